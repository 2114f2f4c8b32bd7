"""Re-run datasets for a date range without a broker, with a progress bar (the operator's force refresh).

    python -m scripts.force_refresh_pos_data --start 2026-01-06 --end 2026-01-07 --targets pos
    python -m scripts.force_refresh_pos_data --date 2026-01-06

Runs the same pipeline functions as the Celery tasks; exits non-zero when any day failed.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date

from tqdm import tqdm

from etl.dates import business_yesterday, day_range
from etl.logs import configure_logging
from etl.pipelines.runs import resolve_datasets, run_days
from etl.settings import exit_on_invalid_settings
from odoorpc_connector import OdooError, get_odoo_connection


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", type=date.fromisoformat, help="first business day (YYYY-MM-DD)")
    parser.add_argument("--end", type=date.fromisoformat, help="last business day (default: --start)")
    parser.add_argument("--date", type=date.fromisoformat, help="a single business day (same as --start D --end D)")
    parser.add_argument("--targets", nargs="+", default=["pos"], help="datasets or aliases (default: pos)")
    parser.add_argument("--no-dimensions", action="store_true", help="skip the dimension refresh before the days")
    args = parser.parse_args(argv)
    if args.date and (args.start or args.end):
        parser.error("use either --date or --start/--end")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    settings = exit_on_invalid_settings()
    configure_logging("WARNING", settings.log_format)
    start = args.date or args.start or business_yesterday(settings.business_timezone)
    days = day_range(start, args.date or args.end or start)
    try:
        datasets = resolve_datasets(args.targets)
        client = get_odoo_connection(settings.require_odoo())
    except (ValueError, OdooError) as exc:
        print(f"force_refresh: {exc}", file=sys.stderr)
        return 2
    bar = tqdm(total=len(days) * len(datasets), unit="day", desc="loading", file=sys.stderr)

    def progress(dataset: str, day: date, summary: dict | None, error: BaseException | None) -> None:
        rows = sum(summary["rows_out"].values()) if summary else 0
        bar.set_postfix_str(f"{dataset} {day} {'FAILED' if error else f'{rows} rows'}")
        bar.update()

    try:
        outcome = run_days(datasets, days, settings, client, progress=progress, refresh_first=not args.no_dimensions)
    except OdooError as exc:
        bar.close()
        print(f"force_refresh: {exc}", file=sys.stderr)
        return 1
    bar.close()
    for key, error in outcome.failed.items():
        print(f"FAILED {key}: {error}", file=sys.stderr)
    print(f"done: {len(outcome.done)} day(s) loaded, {len(outcome.failed)} failed; "
          f"{client.stats.calls} Odoo calls", file=sys.stderr)
    return 1 if outcome.failed else 0


if __name__ == "__main__":
    sys.exit(main())

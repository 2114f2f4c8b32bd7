"""Shared body of the force-refresh commands (`scripts/force_refresh_<dataset>.py`): re-run datasets for business
days without a broker, with a progress bar, or remove days that were loaded by mistake (--drop).

    python -m scripts.force_refresh_<x> --date 2026-01-06
    python -m scripts.force_refresh_<x> --start 2026-01-06 --end 2026-01-07 [--targets pos purchases ...]
    python -m scripts.force_refresh_<x> --drop --date 2026-03-01 [--yes]

Each command differs only in its default `--targets`. Runs the same pipeline functions as the Celery tasks. Exit 0
when every day loaded, 1 when some day failed, 2 when the command is wrong (see scripts/cli.py).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date

from etl.catalog import CATALOG
from etl.day_manifest import DayManifest, drop_day, read_manifest
from etl.settings import Settings
from etl.status import RunRecord, forget_day, record_run
from odoorpc_connector import OdooError
from scripts.cli import (
    EXIT_FAILED, OperatorParser, Selection, Tally, add_day_arguments, add_target_arguments, confirm, count,
    odoo_client, operator_settings, progress_bar, select,
)

PROG = "force_refresh"
DROP_HELP = (
    "Dropping unpublishes each (dataset, day): its manifest and every file version go, its failure record is "
    "forgotten, and the run history gets a record with step=drop, ok=true, rows 0 and partial=true (partial, so a "
    "dropped day never counts as processed). Future days are accepted, to remove days loaded by mistake. Asks you "
    "to type 'drop' unless --yes; without confirmation nothing is removed (exit 1)."
)


def add_load_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-dimensions", action="store_true", help="skip the dimension refresh before the days")


def add_confirm_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--yes", action="store_true", help="drop without asking (for scripts)")


def load_days(selection: Selection, settings: Settings, refresh_first: bool = True) -> int:
    """Run every selected (dataset, day) in this process; failures are listed and make the exit code 1."""
    from etl.pipelines.runs import run_days  # the pipelines (polars, extractors) only when there is work to do

    # datasets derived from the lake (profit) read no Odoo: without Odoo ones, no client and no Odoo settings
    reads_odoo = any(CATALOG[name].reads_odoo for name in selection.datasets)
    client = odoo_client(PROG, settings) if reads_odoo else None
    tally = Tally("loaded")
    with progress_bar(len(selection.pairs), "loading") as bar:

        def progress(dataset: str, day: date, summary: dict | None, error: BaseException | None) -> None:
            state = "FAILED" if error else f"{count(summary.get('rows_out')) if summary else 0} rows"
            bar.set_postfix_str(f"{dataset} {day} {state}")
            bar.update()

        try:
            outcome = run_days(selection.datasets, selection.days, settings, client, progress=progress,
                               refresh_first=refresh_first)
        except OdooError as exc:  # before any day ran (the dimension refresh); days record their own failures
            outcome = None
            tally.fail("odoo", str(exc))
    for summary in outcome.done if outcome else []:
        tally.add(count(summary.get("rows_out")), count(summary.get("quarantined")))
    for key, error in outcome.failed.items() if outcome else []:
        tally.fail(key, error)
    return tally.finish(f"{client.stats.calls} Odoo calls" if client else "no Odoo calls")


def drop_record(dataset: str, day: date, seconds: float) -> RunRecord:
    """The run-history entry of an operator's drop (see DROP_HELP)."""
    return RunRecord(dataset=dataset, day=day.isoformat(), ok=True, rows_in=0, rows_out=0, quarantined=0,
                     seconds=round(seconds, 3), files=[], step="drop", partial=True)


def _describe(dataset: str, day: date, manifest: DayManifest | None) -> str:
    if manifest is None:
        return f"{dataset} {day}: not loaded (only its status is cleared)"
    return f"{dataset} {day}: version {manifest.version}, {count(manifest.rows)} rows"


def drop_days(selection: Selection, settings: Settings, yes: bool) -> int:
    """Unpublish every selected (dataset, day) after confirmation, and record it (see DROP_HELP)."""
    root = settings.data_lake_root
    found = {(dataset, day): read_manifest(root, dataset, day) for dataset, day in selection.pairs}
    if not confirm([_describe(dataset, day, manifest) for (dataset, day), manifest in found.items()], yes):
        print("drop: not confirmed; nothing was removed", file=sys.stderr)
        return EXIT_FAILED
    tally = Tally("dropped")
    for dataset, day in selection.pairs:
        started = time.monotonic()
        try:
            dropped = drop_day(root, dataset, day)
            forget_day(root, dataset, day.isoformat())
            record_run(root, drop_record(dataset, day, time.monotonic() - started))
        except OSError as exc:
            tally.fail(f"{dataset} {day}", f"{type(exc).__name__}: {exc}")
            continue
        if dropped is not None:
            tally.add(count(dropped.rows), dropped.quarantined)
    not_loaded = sum(manifest is None for manifest in found.values())
    return tally.finish(f"{not_loaded} were not loaded" if not_loaded else "")


def _prog() -> str:
    """How the operator started the command (`python -m scripts.force_refresh_pos_data`), for its messages."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    return f"python -m {spec.name}" if spec is not None and spec.name else os.path.basename(sys.argv[0])


def build_parser(default_targets: list[str], description: str) -> OperatorParser:
    parser = OperatorParser(prog=_prog(), description=description, epilog=DROP_HELP)
    add_day_arguments(parser, "default: yesterday; required with --drop")
    add_target_arguments(parser, default_targets)
    add_load_arguments(parser)
    parser.add_argument("--drop", action="store_true", help="remove the days instead of loading them")
    add_confirm_argument(parser)
    return parser


def force_refresh_main(default_targets: list[str], description: str, argv: list[str] | None = None) -> int:
    """Load (or, with --drop, remove) the days of `argv` for its --targets, `default_targets` when none are given."""
    parser = build_parser(default_targets, description)
    args = parser.parse_args(argv)
    if args.yes and not args.drop:
        parser.error("--yes only goes with --drop")
    settings = operator_settings()
    if args.drop:
        return drop_days(select(parser, args, settings, require_days=True, allow_future=True), settings, args.yes)
    return load_days(select(parser, args, settings), settings, refresh_first=not args.no_dimensions)

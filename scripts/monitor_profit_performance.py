"""Show how the profit runs of the last days went: lines, seconds, cost coverage and margin, from the lake's metadata.

    python -m scripts.monitor_profit_performance --days 7 [--verbose]

One line per business day, the last N ending yesterday (business timezone), newest last:
    2026-01-06  lines 1,234  run 1.8s  coverage 97.3%  margin 28.4%
lines from the day's manifest, seconds from its latest successful run in metadata/runs, coverage (share of
revenue excl. tax with a known cost) and margin (gross profit ÷ the revenue with a cost) from its agg_profit_daily.
--verbose adds per channel figures and the cost sources and quality counters of the manifest. Reads no Odoo.
Exit 0 when every day is loaded and its last run did not fail, 1 otherwise, 2 when the command is wrong.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date, timedelta
from typing import Any

import polars as pl

from etl import io_parquet
from etl.catalog import PROFIT
from etl.dates import business_yesterday
from etl.day_manifest import read_manifest
from etl.published import read_published
from etl.status import RUNS_DIR, read_status
from scripts.cli import EXIT_FAILED, EXIT_OK, OperatorParser, operator_settings

DATASET = PROFIT.name


def positive_int(raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(raw)
    return int(raw)


def run_seconds(root: str | os.PathLike[str], days: set[str]) -> dict[str, float]:
    """Seconds of the latest successful run of each of `days` (ISO), from the run history (one pass)."""
    folder = io_parquet.metadata_path(root, RUNS_DIR)
    seconds: dict[str, float] = {}
    for path in sorted(folder.glob(f"*_{DATASET}_*.json")) if folder.is_dir() else []:  # names start with the time
        record = json.loads(path.read_text())
        if record.get("dataset") == DATASET and record.get("ok") and record.get("day") in days \
                and record.get("step") is None:
            seconds[record["day"]] = record.get("seconds", 0.0)
    return seconds


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


def day_figures(agg: pl.DataFrame) -> dict[str, float | None]:
    """Coverage and margin of the whole day from its per-channel rows."""
    costed = agg.select((pl.col("revenue_excl_tax") * pl.col("cost_coverage_pct").fill_null(0.0) / 100).sum()).item()
    revenue, profit = agg["revenue_excl_tax"].sum(), agg["gross_profit"].fill_null(0.0).sum()
    return {"coverage": costed / revenue * 100 if revenue else None,
            "margin": profit / costed * 100 if costed else None}


def describe(root: str | os.PathLike[str], day: date, seconds: dict[str, float], failed: dict[str, Any],
             verbose: bool) -> tuple[bool, list[str]]:
    """(the day is healthy, its printed lines)."""
    key = day.isoformat()
    manifest = read_manifest(root, DATASET, day)
    agg = read_published(root, io_parquet.STAR, "agg_profit_daily", day)
    failure = f"  LAST RUN FAILED at {failed[key].get('step')}: {failed[key].get('error')}" if key in failed else ""
    if manifest is None or agg is None:
        return False, [f"{key}  NOT LOADED{failure}"]
    figures = day_figures(agg)
    run = f"{seconds[key]:.1f}s" if key in seconds else "n/a"
    lines = [f"{key}  lines {manifest.rows.get('fact_sales_lines_profit', 0):,}  run {run}  "
             f"coverage {pct(figures['coverage'])}  margin {pct(figures['margin'])}{failure}"]
    if verbose:
        for row in agg.iter_rows(named=True):
            lines.append(f"    {row['channel']:<8} revenue excl. tax {row['revenue_excl_tax']:,.2f}  "
                         f"cogs {row['cogs'] or 0:,.2f}  gross profit {row['gross_profit'] or 0:,.2f}  "
                         f"margin {pct(row['margin_pct'])}  coverage {pct(row['cost_coverage_pct'])}")
        counters = "  ".join(f"{name} {value:,}" for name, value in sorted(manifest.metrics.items()))
        lines.append(f"    built {manifest.built_at}  quarantined {manifest.quarantined}  {counters}")
    return not failure, lines


def main(argv: list[str] | None = None) -> int:
    parser = OperatorParser(prog="python -m scripts.monitor_profit_performance", description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=positive_int, default=7, metavar="N", help="how many days (default 7)")
    parser.add_argument("--verbose", action="store_true", help="per channel figures and the quality counters")
    args = parser.parse_args(argv)
    settings = operator_settings()
    root = settings.data_lake_root
    last = business_yesterday(settings.business_timezone)
    days = [last - timedelta(days=n) for n in reversed(range(args.days))]
    seconds = run_seconds(root, {day.isoformat() for day in days})
    failed = read_status(root)["datasets"].get(DATASET, {}).get("failed_days", {})
    healthy = 0
    for day in days:
        ok, lines = describe(root, day, seconds, failed, args.verbose)
        healthy += ok
        print("\n".join(lines))
    print(f"{healthy} of {len(days)} day(s) loaded and not failing", file=sys.stderr)
    return EXIT_OK if healthy == len(days) else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())

"""Sales page query latency on the 10M-line benchmark lake: the full set one page load runs, 365-day range.

Measured warm with the query cache disabled (`cache_ttl_seconds=0`), so every run executes in DuckDB: the serving
tables are built once before timing (as the first request after a lake change does). The baseline is the page's KPI
query written naively over the Parquet view `fact_sales_all` (all files, a `date` filter, no serving table), run in
the same process, for a ratio.

Serving refresh: after the full build, one business day is reloaded (identical copies of its files published as a
new version by a new manifest, as a re-run of the day does) and `Lake.refresh` timed, for the full/incremental ratio;
then the page is timed again while another thread reloads and refreshes that day in a loop (readers are not blocked
by refreshes). The reloads happen in a hard-linked copy of the cached lake, so the shared lake's files are never
touched. `run(spec)` takes another lake (e.g. `SMALL_LAKE`, to try the benchmark in seconds).
"""

from __future__ import annotations

import logging
import os
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from benchmarks.lake_generator import BENCHMARK_LAKE, DATASET, LakeSpec, cached_lake
from benchmarks.memory import resident_mib
from etl.day_manifest import commit_day, new_version, read_manifest, version_file
from services import sales_metrics
from services.duckdb_connector import Lake

logger = logging.getLogger(__name__)

RANGE_DAYS = 365
WARMUP_RUNS = 2
TIMED_RUNS = 20
REFRESH_RUNS = 5

NAIVE_KPI_SQL = """
    SELECT sum(revenue) AS revenue, sum(revenue_excl_tax) AS net_sales,
           count(DISTINCT order_id) FILTER (WHERE NOT is_refund) AS orders, sum(quantity) AS units,
           sum(revenue) FILTER (WHERE is_refund) AS refunds
    FROM fact_sales_all WHERE date BETWEEN $start AND $end"""


def _timings_ms(action: Callable[[], object], runs: int = TIMED_RUNS) -> list[float]:
    for _ in range(WARMUP_RUNS):
        action()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


@contextmanager
def _linked_copy(root: Path) -> Iterator[Path]:
    """A copy of the lake made of hard links (instant, no space): replacing a file in it leaves `root` unchanged."""
    copy = Path(tempfile.mkdtemp(prefix=".lake-refresh-", dir=root.parent))
    try:
        shutil.copytree(root, copy, copy_function=os.link, dirs_exist_ok=True)
        yield copy
    finally:
        shutil.rmtree(copy, ignore_errors=True)


def _reload_day(root: Path, day: date) -> None:
    """Publish identical copies of `day`'s files as a new version, as a re-run of that day does."""
    manifest = read_manifest(root, DATASET, day)
    assert manifest is not None, f"{day} is not published"
    version, files = new_version(), {}
    for key, relative in manifest.files.items():
        layer, table = key.rsplit("/", 1)
        target = version_file(root, layer, table, day, version)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / relative, target)
        files[key] = target.relative_to(root).as_posix()
    commit_day(root, replace(manifest, version=version, files=files))


def _refresh_one_day_ms(lake: Lake, last: date) -> list[float]:
    timings = []
    for offset in range(REFRESH_RUNS):
        _reload_day(lake.root, last - timedelta(days=offset))
        started = time.perf_counter()
        assert lake.refresh()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def _timings_during_refreshes(lake: Lake, last: date, action: Callable[[], object]) -> tuple[list[float], int]:
    """`action`'s timings while another thread reloads and refreshes the last day in a loop; refreshes done."""
    stopping, refreshes = threading.Event(), []

    def refresh_loop() -> None:
        while not stopping.is_set():
            _reload_day(lake.root, last)
            refreshes.append(lake.refresh())

    refresher = threading.Thread(target=refresh_loop, name="bench-refresher")
    refresher.start()
    try:
        timings = _timings_ms(action)
    finally:
        stopping.set()
        refresher.join()
    return timings, len(refreshes)


def run(spec: LakeSpec = BENCHMARK_LAKE) -> dict[str, dict]:
    with _linked_copy(cached_lake(spec)) as root:
        return _run(root, spec)


def _run(root: Path, spec: LakeSpec) -> dict[str, dict]:
    lake = Lake(root, cache_ttl_seconds=0, timezone=spec.timezone)
    try:
        resident_before = resident_mib()
        started = time.perf_counter()
        lines = lake.scalar("SELECT count(*) FROM sales_lines")
        build_seconds = time.perf_counter() - started
        serving_memory = resident_mib() - resident_before
        end = spec.end
        filters = sales_metrics.SalesFilters(end - timedelta(days=min(RANGE_DAYS, spec.days) - 1), end)

        def page_load() -> None:  # what layout() and the page callback run
            sales_metrics.filter_options(lake)
            sales_metrics.default_period(lake, today=date.today())
            sales_metrics.sales_page(lake, filters)

        page = _timings_ms(page_load)
        period = {"start": filters.start, "end": filters.end}
        kpis = _timings_ms(lambda: sales_metrics.kpi_comparison(lake, filters))
        naive = _timings_ms(lambda: lake.query(NAIVE_KPI_SQL, period), runs=5)
        refresh = statistics.median(_refresh_one_day_ms(lake, end))
        page_during_refresh, refreshes = _timings_during_refreshes(lake, end, page_load)
    finally:
        lake.close()
    return {
        "dashboard_lake_lines": {"value": lines, "unit": "lines"},
        "dashboard_serving_build": {"value": round(build_seconds, 2), "unit": "s"},
        "dashboard_serving_tables_memory": {"value": round(serving_memory), "unit": "MiB resident, per process"},
        "dashboard_sales_page_p50": {"value": round(statistics.median(page), 1), "unit": "ms"},
        "dashboard_sales_page_p95": {"value": round(_p95(page), 1), "unit": "ms"},
        "dashboard_kpi_query_p50": {"value": round(statistics.median(kpis), 1), "unit": "ms"},
        "dashboard_naive_kpi_query_p50": {"value": round(statistics.median(naive), 1), "unit": "ms"},
        "dashboard_naive_over_serving_ratio": {
            "value": round(statistics.median(naive) / statistics.median(kpis), 1), "unit": "x"
        },
        "dashboard_serving_refresh_one_day": {"value": round(refresh, 1), "unit": "ms"},
        "dashboard_serving_full_over_one_day_ratio": {"value": round(build_seconds * 1000 / refresh, 1), "unit": "x"},
        "dashboard_sales_page_p95_during_refreshes": {"value": round(_p95(page_during_refresh), 1), "unit": "ms"},
        "dashboard_refreshes_during_page_timing": {"value": refreshes, "unit": "refreshes"},
    }

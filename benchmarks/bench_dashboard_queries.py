"""Sales page query latency on the 10M-line benchmark lake: the full set one page load runs, 365-day range.

Measured warm with the query cache disabled (`cache_ttl_seconds=0`), so every run executes in DuckDB: the serving
tables are built once before timing (as the first request after a lake change does). The baseline is the page's KPI
query written naively over the Parquet view `fact_sales_all` (all files, a `date` filter, no serving table), run in
the same process, for a ratio.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta

from benchmarks.lake_generator import BENCHMARK_LAKE, cached_lake
from services import sales_metrics
from services.duckdb_connector import Lake

logger = logging.getLogger(__name__)

RANGE_DAYS = 365
WARMUP_RUNS = 2
TIMED_RUNS = 20

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


def run() -> dict[str, dict]:
    root = cached_lake(BENCHMARK_LAKE)
    lake = Lake(root, cache_ttl_seconds=0, timezone=BENCHMARK_LAKE.timezone)
    try:
        started = time.perf_counter()
        lines = lake.scalar("SELECT count(*) FROM sales_lines")
        build_seconds = time.perf_counter() - started
        end = BENCHMARK_LAKE.end
        filters = sales_metrics.SalesFilters(end - timedelta(days=RANGE_DAYS - 1), end)

        def page_load() -> None:  # what layout() and the page callback run
            sales_metrics.filter_options(lake)
            sales_metrics.default_period(lake, today=date.today())
            sales_metrics.sales_page(lake, filters)

        page = _timings_ms(page_load)
        period = {"start": filters.start, "end": filters.end}
        kpis = _timings_ms(lambda: sales_metrics.kpi_comparison(lake, filters))
        naive = _timings_ms(lambda: lake.query(NAIVE_KPI_SQL, period), runs=5)
    finally:
        lake.close()
    return {
        "dashboard_lake_lines": {"value": lines, "unit": "lines"},
        "dashboard_serving_build": {"value": round(build_seconds, 2), "unit": "s"},
        "dashboard_sales_page_p50": {"value": round(statistics.median(page), 1), "unit": "ms"},
        "dashboard_sales_page_p95": {"value": round(_p95(page), 1), "unit": "ms"},
        "dashboard_kpi_query_p50": {"value": round(statistics.median(kpis), 1), "unit": "ms"},
        "dashboard_naive_kpi_query_p50": {"value": round(statistics.median(naive), 1), "unit": "ms"},
        "dashboard_naive_over_serving_ratio": {
            "value": round(statistics.median(naive) / statistics.median(kpis), 1), "unit": "x"
        },
    }

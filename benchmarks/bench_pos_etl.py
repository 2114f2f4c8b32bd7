"""POS ETL figures: RPC calls per 1000 extracted lines, clean+load throughput for a ~50k-line day, and how fast
the demo Odoo starts with a million POS lines (the benchmark-sized source).

A demo Odoo is started with one large business day. Baselines run in the same process: an N+1 extraction (one
`read` of lines per order, measured on a sample of orders) for the call count, and a plain Parquet read+write of
the same day (no transform) for throughput.
"""

from __future__ import annotations

import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from benchmarks.memory import resident_mib
from etl import io_parquet
from etl.dates import business_yesterday, odoo_window
from etl.pipelines.day import clean_step, extract_step, load_step, save_raw_step
from etl.settings import Settings, load_settings
from odoorpc_connector import OdooClient
from tests.support.processes import PYTHON, isolated_env, running

BIG_DEMO_LINES = 1_000_000
ORDERS_PER_DAY = 17_000  # ≈ 50k lines at the demo's ~3 lines per order
N_PLUS_ONE_SAMPLE = 200
REPEATS = 3


def _settings(url: str, lake: Path) -> Settings:
    return load_settings({"ODOO_URL": url, "ODOO_DB": "nkdash_demo", "ODOO_USERNAME": "admin",
                          "ODOO_API_KEY": "admin", "DATA_LAKE_ROOT": str(lake),
                          "REDIS_URL": "redis://127.0.0.1:6379/14"})


def _n_plus_one_calls_per_1000(client: OdooClient, day: date, settings: Settings) -> float:
    """Calls per 1000 lines when each order's lines are read with their own call (the pattern we avoid)."""
    start, end = odoo_window(day, settings.business_timezone)
    orders = client.call("pos.order", "search_read",
                         [[("date_order", ">=", start), ("date_order", "<", end)]],
                         {"fields": ["lines"], "limit": N_PLUS_ONE_SAMPLE})
    before = client.stats.calls
    lines = sum(len(client.call("pos.order.line", "read", [order["lines"]], {"fields": ["qty"]})) for order in orders)
    return (client.stats.calls - before + 1) / lines * 1000


def _best_seconds(action, repeats: int = REPEATS) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return min(timings)


def demo_startup() -> dict[str, dict]:
    """Seconds and peak memory for demo_odoo to start with a million POS order lines."""
    args = [PYTHON, "-m", "demo_odoo", "--port", "0", "--pos-lines", str(BIG_DEMO_LINES), "--seed", "7"]
    started = time.perf_counter()
    with running(args, isolated_env()) as demo:
        ready = demo.wait_for(r"ready on http://\S+ \(odoo [\d.]+, db \w+, (\d+) pos lines", timeout=300)
        seconds = time.perf_counter() - started
        rss = resident_mib(demo.popen.pid, "VmHWM")
    return {
        "demo_odoo_1m_lines_startup_seconds": {"value": round(seconds, 1), "unit": "s"},
        "demo_odoo_1m_lines_peak_rss": {"value": round(rss), "unit": "MiB"},
        "demo_odoo_1m_lines_pos_lines": {"value": int(ready.group(1)), "unit": "lines"},
    }


def run() -> dict[str, dict]:
    day = business_yesterday(_settings("http://x:1", Path(".")).business_timezone)
    args = [PYTHON, "-m", "demo_odoo", "--port", "0", "--days", "1", "--orders-per-day", str(ORDERS_PER_DAY),
            "--seed", "7", "--end-date", day.isoformat()]
    with tempfile.TemporaryDirectory() as tmp, running(args, isolated_env()) as demo:
        url = demo.wait_for(r"ready on (http://[\d.]+:\d+)", timeout=300).group(1)
        lake = Path(tmp)
        settings = _settings(url, lake)
        client = OdooClient(settings.require_odoo()).connect()
        started = time.perf_counter()
        summary = save_raw_step(extract_step("pos_order_lines", day, settings, client), settings)
        extract_seconds = time.perf_counter() - started
        raw = pl.read_parquet(summary["raw_path"])
        lines = raw.filter(pl.col("_model") == "pos.order.line").height
        search_calls = summary["rpc_calls"]
        baseline_calls = _n_plus_one_calls_per_1000(client, day, settings)
        clean_load = _best_seconds(lambda: load_step(clean_step(summary, settings), settings))
        copy_target = io_parquet.partition_path(lake, "bench-copy", "raw", day + timedelta(days=1))
        plain_io = _best_seconds(lambda: io_parquet.write_parquet_atomic(pl.read_parquet(summary["raw_path"]),
                                                                          copy_target))
    calls_per_1000 = search_calls / lines * 1000
    return {
        **demo_startup(),
        "pos_extract_lines": {"value": lines, "unit": "lines"},
        "pos_extract_seconds": {"value": round(extract_seconds, 2), "unit": "s"},
        "pos_rpc_calls_per_1000_lines": {"value": round(calls_per_1000, 3), "unit": "calls/1000 lines"},
        "pos_rpc_calls_per_1000_lines_n_plus_one_baseline": {"value": round(baseline_calls, 1),
                                                              "unit": "calls/1000 lines"},
        "pos_rpc_calls_ratio_vs_n_plus_one": {"value": round(baseline_calls / calls_per_1000, 1), "unit": "x fewer"},
        "pos_clean_load_lines_per_second": {"value": round(lines / clean_load), "unit": "lines/s"},
        "pos_clean_load_seconds": {"value": round(clean_load, 3), "unit": "s"},
        "pos_clean_load_vs_plain_parquet_copy": {"value": round(clean_load / plain_io, 2),
                                                 "unit": "x the time of read+write without transform"},
    }

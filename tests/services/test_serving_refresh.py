"""Serving tables refreshed per published day: equal to a full build, by source file (a re-run's rows replace the old
file's rows whatever their `date`), invisible to readers until committed, and applied by the background refresher."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from benchmarks.lake_generator import SMALL_LAKE, publish_day
from etl.day_manifest import drop_day
from etl.io_parquet import dimension_path, write_parquet_atomic
from services import sales_metrics
from services.duckdb_connector import Lake, LakeRefresher
from services.sales_metrics import SalesFilters
from tests.services.conftest import published, republish

RELOADED = date(2024, 1, 15)
WHOLE_LAKE = SalesFilters(SMALL_LAKE.start, SMALL_LAKE.end + timedelta(days=1))
WAIT_SECONDS = 30  # a bound against hanging, never a speed expectation


@pytest.fixture
def open_lake(root: Path) -> Iterator[Callable[..., Lake]]:
    """Lakes over `root` (cache on, so stale cached answers would show), closed at the end."""
    lakes: list[Lake] = []

    def open_(before_commit: Callable[[], None] = lambda: None) -> Lake:
        lakes.append(Lake(root, cache_ttl_seconds=300, before_commit=before_commit))
        return lakes[-1]

    yield open_
    for lake in lakes:
        lake.close()


def _even_orders(_fact: str, frame: pl.DataFrame) -> pl.DataFrame:
    """A day's lines or payments reloaded with half of its orders."""
    return frame.filter(pl.col("order_id") % 2 == 0)


def _double_revenue(fact: str, frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(revenue=pl.col("revenue") * 2) if fact == "fact_sales" else frame


def _daily(lake: Lake) -> pl.DataFrame:
    """Revenue, net sales and orders per business day over the whole lake, as the Sales page computes them."""
    return sales_metrics.daily_trend(sales_metrics.sales_cube(lake, WHOLE_LAKE), WHOLE_LAKE)


def _assert_equals_a_full_build(lake: Lake, root: Path) -> None:
    """Both serving tables hold exactly the rows a fresh process would build from the lake as it is now."""
    fresh = Lake(root, cache_ttl_seconds=0)
    try:
        for table in ("sales_lines", "payments_daily"):
            refreshed = lake.query(f"SELECT * FROM {table}", cached=False)
            built = fresh.query(f"SELECT * FROM {table}", cached=False)
            assert_frame_equal(refreshed.sort(refreshed.columns), built.sort(built.columns))
    finally:
        fresh.close()


def test_reloading_a_day_changes_that_day_only(root: Path, open_lake: Callable[..., Lake]) -> None:
    lake = open_lake()
    before = _daily(lake)
    republish(root, RELOADED, _even_orders)
    assert lake.refresh() is True
    after = _daily(lake)
    changed = pl.col("date") == RELOADED
    assert_frame_equal(after.filter(~changed), before.filter(~changed))
    expected = published(root, "fact_sales", RELOADED)
    assert after.filter(changed)["revenue"].item() == pytest.approx(expected["revenue"].sum())
    assert after.filter(changed)["revenue"].item() != pytest.approx(before.filter(changed)["revenue"].item())
    _assert_equals_a_full_build(lake, root)


def test_a_dropped_day_removes_its_rows(root: Path, open_lake: Callable[..., Lake]) -> None:
    lake = open_lake()
    day = SalesFilters(RELOADED, RELOADED)
    assert sales_metrics.kpi_comparison(lake, day)["orders"].value > 0
    assert drop_day(root, "pos_order_lines", RELOADED) is not None
    assert lake.refresh() is True
    assert sales_metrics.kpi_comparison(lake, day)["orders"].value == 0
    assert sales_metrics.payment_mix(lake, day).is_empty()
    _assert_equals_a_full_build(lake, root)


def _as_next_day(frame: pl.DataFrame) -> pl.DataFrame:
    """The same sales one day after the lake's last day, as new orders."""
    return frame.with_columns(date=pl.lit(SMALL_LAKE.end + timedelta(days=1)), order_id=pl.col("order_id") + 10**9)


def test_a_new_day_appears(root: Path, open_lake: Callable[..., Lake]) -> None:
    lake = open_lake()
    new_day = SMALL_LAKE.end + timedelta(days=1)
    day = SalesFilters(new_day, new_day)
    assert sales_metrics.kpi_comparison(lake, day)["revenue"].value == 0
    source = published(root, "fact_sales", SMALL_LAKE.end)
    publish_day(root, new_day, {"fact_sales": _as_next_day(source),
                                "fact_payments": _as_next_day(published(root, "fact_payments", SMALL_LAKE.end))})
    assert lake.refresh() is True
    assert sales_metrics.kpi_comparison(lake, day)["revenue"].value == pytest.approx(source["revenue"].sum())
    _assert_equals_a_full_build(lake, root)


def test_a_refresh_without_changes_keeps_the_tables_and_the_cache(open_lake: Callable[..., Lake]) -> None:
    commits: list[str] = []
    lake = open_lake(before_commit=lambda: commits.append("commit"))
    _daily(lake)
    assert lake.refresh() is False and lake.refresh_if_changed() is False
    assert commits == ["commit"]  # the first build only


def test_a_dimension_change_reaches_cached_answers(root: Path, open_lake: Callable[..., Lake]) -> None:
    lake = open_lake()
    assert "Toko Pusat" in sales_metrics.store_comparison(sales_metrics.sales_cube(lake, WHOLE_LAKE))["store"]
    stores = pl.read_parquet(dimension_path(root, "dim_stores"))
    write_parquet_atomic(stores.with_columns(name=pl.col("name").str.replace("Toko Pusat", "Head Office")),
                         dimension_path(root, "dim_stores"))
    assert lake.refresh() is True
    assert "Head Office" in sales_metrics.store_comparison(sales_metrics.sales_cube(lake, WHOLE_LAKE))["store"]


def test_a_failed_refresh_leaves_the_committed_tables(root: Path, open_lake: Callable[..., Lake]) -> None:
    failing = threading.Event()

    def fail_when_set() -> None:
        if failing.is_set():
            raise RuntimeError("refresh interrupted before commit")

    lake = open_lake(before_commit=fail_when_set)
    before = _daily(lake)
    republish(root, RELOADED, _even_orders)
    failing.set()
    with pytest.raises(RuntimeError):
        lake.refresh()
    assert_frame_equal(_daily(lake), before)
    failing.clear()
    assert lake.refresh() is True
    _assert_equals_a_full_build(lake, root)


def test_a_rerun_removes_rows_of_the_old_file_dated_another_day(root: Path,
                                                               open_lake: Callable[..., Lake]) -> None:
    """A day's file held a line mis-dated to the next day; the re-run without it removes it from serving."""
    misdated = RELOADED + timedelta(days=1)

    def stray(_fact: str, frame: pl.DataFrame) -> pl.DataFrame:
        return pl.concat([frame, frame.head(1).with_columns(date=pl.lit(misdated), order_id=pl.lit(10**9, pl.Int64))])

    republish(root, RELOADED, stray)
    lake = open_lake()
    next_day = SalesFilters(misdated, misdated)
    with_stray = sales_metrics.kpi_comparison(lake, next_day)["orders"].value
    republish(root, RELOADED, lambda _, frame: frame.filter(pl.col("order_id") != 10**9))  # the re-run, no stray
    assert lake.refresh() is True
    assert sales_metrics.kpi_comparison(lake, next_day)["orders"].value == with_stray - 1
    assert lake.scalar("SELECT count(*) FROM sales_lines WHERE order_id = $id", {"id": 10**9}) == 0
    assert lake.scalar("SELECT count(*) FROM payments_daily WHERE date = $d AND source_day = $s",
                       {"d": misdated, "s": RELOADED}) == 0
    _assert_equals_a_full_build(lake, root)


class _Gate:
    """A `before_commit` hook that, once armed, holds the refresh transaction open until released."""

    def __init__(self) -> None:
        self.armed, self.holding, self.released = threading.Event(), threading.Event(), threading.Event()

    def __call__(self) -> None:
        if self.armed.is_set():
            self.holding.set()
            self.released.wait(WAIT_SECONDS)


def test_a_query_during_a_refresh_reads_the_last_committed_tables(root: Path,
                                                                  open_lake: Callable[..., Lake]) -> None:
    gate = _Gate()
    lake = open_lake(before_commit=gate)
    day = SalesFilters(RELOADED, RELOADED)
    before = sales_metrics.sales_page(lake, day)
    republish(root, RELOADED, _double_revenue)
    gate.armed.set()
    with ThreadPoolExecutor(max_workers=1) as pool:
        refreshing = pool.submit(lake.refresh)
        assert gate.holding.wait(WAIT_SECONDS)
        # the refresh has deleted and re-inserted the day but not committed; a query waiting for it would only
        # return after the gate times out, with the new revenue
        during = sales_metrics.sales_page(lake, day)
        gate.released.set()
        assert refreshing.result(WAIT_SECONDS) is True
    assert during.kpis == before.kpis
    assert_frame_equal(during.payments, before.payments)
    after = sales_metrics.kpi_comparison(lake, day)["revenue"].value
    assert after == pytest.approx(2 * before.kpis["revenue"].value)


def _wait_until(condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_the_background_refresher_applies_an_etl_run_and_stops(root: Path, open_lake: Callable[..., Lake]) -> None:
    lake = open_lake()
    day = SalesFilters(RELOADED, RELOADED)
    before = sales_metrics.kpi_comparison(lake, day)["revenue"].value
    refresher = LakeRefresher(lambda: lake, interval_seconds=0.01).start()
    try:
        republish(root, RELOADED, _double_revenue)
        assert _wait_until(
            lambda: sales_metrics.kpi_comparison(lake, day)["revenue"].value == pytest.approx(2 * before)
        )
    finally:
        refresher.stop(WAIT_SECONDS)
    assert not refresher.running

"""The shared serving base: processes that attach it serve exactly what a process computing every day itself serves;
a day re-published after the base was built comes from the delta, whole; a new base copies unchanged days and
computes changed ones; a file that does not read takes out its day only; one build at a time."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from benchmarks.lake_generator import SMALL_LAKE
from etl.day_manifest import drop_day
from etl.io_parquet import dimension_path, write_parquet_atomic
from services import sales_metrics
from services.duckdb_connector import Lake
from services.lake_sql import CUSTOMER_FIRSTS, serving_tables
from services.sales_metrics import SalesFilters
from services.serving_base import (BaseBuilds, build_base, current_base, pointer_path, read_pointer, serving_dir)
from tests.services.conftest import published, republish

TZ = "Asia/Jakarta"
RELOADED = date(2024, 1, 15)
WAIT_SECONDS = 120  # a bound against hanging, never a speed expectation
SELECTIONS = [
    SalesFilters(SMALL_LAKE.start, SMALL_LAKE.end),
    SalesFilters(date(2024, 2, 1), date(2024, 2, 20), store_ids=(1, 3)),
    SalesFilters(SMALL_LAKE.start, SMALL_LAKE.end, category_ids=(100,)),  # long: the product-clustered copy
    SalesFilters(date(2024, 2, 1), date(2024, 2, 7), category_ids=(200,)),  # short: the date-ordered lines
    SalesFilters(SMALL_LAKE.start, SMALL_LAKE.end, brand_ids=(1, 2), store_ids=(2,)),
    SalesFilters(SMALL_LAKE.start, SMALL_LAKE.end, category_ids=(300,), brand_ids=(3, 4, 5)),
]


@pytest.fixture
def lakes(root: Path) -> Iterator[Callable[..., Lake]]:
    opened: list[Lake] = []

    def open_(shared: bool = True) -> Lake:
        opened.append(Lake(root, cache_ttl_seconds=0, timezone=TZ, shared_base=shared))
        return opened[-1]

    yield open_
    for lake in opened:
        lake.close()


def _table(lake: Lake, name: str) -> pl.DataFrame:
    frame = lake.query(f"SELECT * FROM {name}", cached=False)
    return frame.sort(frame.columns)


def _page(lake: Lake, filters: SalesFilters) -> tuple[object, ...]:
    page = sales_metrics.sales_page(lake, filters)
    kpis = {(name, side): value for name, kpi in page.kpis.items()
            for side, value in (("now", kpi.value), ("previous", kpi.previous), ("last_year", kpi.vs_last_year.value))}
    return (kpis, page.trend, page.heatmap, page.stores, page.top_products, page.payments,
            sales_metrics.basket_sizes(lake, filters), sales_metrics.cashier_performance(lake, filters))


def _assert_same_as_computed_in_process(shared: Lake, root: Path) -> None:
    """Every serving table and the Sales page for several selections equal those of a process with no base."""
    alone = Lake(root, cache_ttl_seconds=0, timezone=TZ)
    try:
        for name in [table.name for table in serving_tables()] + [CUSTOMER_FIRSTS]:
            assert_frame_equal(_table(shared, name), _table(alone, name), check_exact=False)
        for filters in SELECTIONS:
            kpis, *frames = _page(shared, filters)
            expected_kpis, *expected = _page(alone, filters)
            assert kpis == pytest.approx(expected_kpis), filters
            for frame, other in zip(frames, expected):
                assert_frame_equal(frame.sort(frame.columns), other.sort(other.columns), check_exact=False)
    finally:
        alone.close()


def test_a_process_on_the_base_serves_what_it_would_compute(root: Path, lakes: Callable[..., Lake]) -> None:
    pointer = build_base(root, TZ)
    assert pointer.days_computed == SMALL_LAKE.days and pointer.days_copied == 0
    lake = lakes()
    assert lake.scalar("SELECT count(*) FROM sales_lines") > 0
    assert lake._serving.base == pointer
    assert lake.scalar("SELECT count(*) FROM delta_sales_lines") == 0  # nothing computed in this process
    assert lake.serves_scope("category", 100) and lake.serves_scope("brand", 1)  # from the base's scope tables
    _assert_same_as_computed_in_process(lake, root)


def test_a_day_republished_after_the_build_comes_whole_from_the_delta(root: Path,
                                                                      lakes: Callable[..., Lake]) -> None:
    build_base(root, TZ)
    lake = lakes()
    day = SalesFilters(RELOADED, RELOADED)
    before = sales_metrics.kpi_comparison(lake, day)["revenue"].value
    republish(root, RELOADED, lambda fact, frame: frame.filter(pl.col("order_id") % 2 == 0))
    assert lake.refresh_if_changed() is True
    expected = published(root, "fact_sales", RELOADED)
    assert sales_metrics.kpi_comparison(lake, day)["revenue"].value == pytest.approx(expected["revenue"].sum())
    assert expected["revenue"].sum() != pytest.approx(before)
    assert lake.scalar("SELECT count(DISTINCT source_day) FROM delta_sales_lines") == 1
    _assert_same_as_computed_in_process(lake, root)


def test_a_new_base_copies_unchanged_days_and_the_process_switches_to_it(root: Path,
                                                                         lakes: Callable[..., Lake]) -> None:
    first = build_base(root, TZ)
    lake = lakes()
    republish(root, RELOADED, lambda fact, frame: frame.with_columns(revenue=pl.col("revenue") * 2)
              if fact == "fact_sales" else frame)
    drop_day(root, "pos_order_lines", RELOADED + timedelta(days=1))
    lake.refresh_if_changed()
    second = build_base(root, TZ)
    assert (second.days_computed, second.days_copied) == (1, SMALL_LAKE.days - 2)
    assert lake.refresh_if_changed() is True
    assert lake._serving.base == second and lake.scalar("SELECT count(*) FROM delta_sales_lines") == 0
    assert sorted(path.name for path in serving_dir(root).glob("base-*")) == sorted([first.file, second.file])
    dropped = SalesFilters(RELOADED + timedelta(days=1), RELOADED + timedelta(days=1))
    assert sales_metrics.kpi_comparison(lake, dropped)["orders"].value == 0
    _assert_same_as_computed_in_process(lake, root)
    third = build_base(root, TZ)  # the first base is removed once two newer ones exist
    assert not (serving_dir(root) / first.file).exists() and third.days_copied == SMALL_LAKE.days - 1


def test_first_purchases_follow_a_day_republished_after_the_build(root: Path, lakes: Callable[..., Lake]) -> None:
    """The base's first purchase of a customer may come from a day re-published since: it is then read again from
    the base's other days and the delta's."""
    build_base(root, TZ)
    lake = lakes()
    before = _table(lake, CUSTOMER_FIRSTS)
    odd_customers = pl.col("customer_id").is_not_null() & (pl.col("customer_id") % 2 == 1)
    republish(root, SMALL_LAKE.start,
              lambda fact, frame: frame.filter(~odd_customers) if fact == "fact_sales" else frame)
    assert lake.refresh_if_changed() is True
    lines = pl.concat([published(root, "fact_sales", SMALL_LAKE.start + timedelta(days=offset))
                       for offset in range(SMALL_LAKE.days)])
    expected = lines.filter(~pl.col("is_refund") & pl.col("customer_id").is_not_null()).group_by("customer_id").agg(
        first_purchase=pl.col("date").min())
    after = _table(lake, CUSTOMER_FIRSTS)
    assert_frame_equal(after, expected.sort(expected.columns))
    moved = after.join(before, on="customer_id", suffix="_before").filter(
        pl.col("first_purchase") != pl.col("first_purchase_before"))
    assert moved.height > 0 and (moved["customer_id"] % 2 == 1).all()
    _assert_same_as_computed_in_process(lake, root)


def test_a_category_change_after_the_build_is_followed_exactly(root: Path, lakes: Callable[..., Lake]) -> None:
    """The product-clustered copy is ordered by the categories of the build; a moved product is found by its id."""
    build_base(root, TZ)
    products = pl.read_parquet(dimension_path(root, "dim_products"))
    moved = products.filter(pl.col("category_id") // 100 == 2)["product_id"].head(5)
    write_parquet_atomic(products.with_columns(
        category_id=pl.when(pl.col("product_id").is_in(moved.implode())).then(101).otherwise(pl.col("category_id"))),
        dimension_path(root, "dim_products"))
    lake = lakes()
    # the scopes the moved products left or joined fall back to the lines; the others are served from the base
    assert not any(lake.serves_scope("category", node) for node in (100, 101, 200))
    assert lake.serves_scope("category", 300) and lake.serves_scope("category", 102)
    _assert_same_as_computed_in_process(lake, root)


def test_a_file_that_does_not_read_takes_out_its_day_only(root: Path, lakes: Callable[..., Lake]) -> None:
    bad_day = date(2024, 2, 10)
    path = root / republish(root, bad_day).files["star-schema/fact_sales"]
    path.write_bytes(path.read_bytes()[:200] + b"\0" * 400 + path.read_bytes()[600:])  # footer intact, pages not
    pointer = build_base(root, TZ)
    with duckdb.connect(str(pointer.path(root)), read_only=True) as base:
        built = {fact: {day for day, in base.execute("SELECT day FROM base_files WHERE fact = ?", [fact]).fetchall()}
                 for fact in ("fact_sales", "fact_payments")}
    assert bad_day not in built["fact_sales"] and len(built["fact_sales"]) == SMALL_LAKE.days - 1
    assert bad_day in built["fact_payments"]  # the other files of the day are built
    lake = lakes()
    assert lake.scalar("SELECT count(*) FROM sales_lines") > 0  # the process tries the day itself, and fails
    assert [(bad.dataset, bad.day) for bad in lake.unreadable()] == [("pos_order_lines", bad_day)]
    assert sales_metrics.kpi_comparison(lake, SalesFilters(bad_day, bad_day))["orders"].value == 0
    other = bad_day + timedelta(days=1)
    assert sales_metrics.kpi_comparison(lake, SalesFilters(other, other))["revenue"].value == pytest.approx(
        published(root, "fact_sales", other)["revenue"].sum())


def test_a_base_of_another_timezone_or_code_is_not_used(root: Path) -> None:
    pointer = build_base(root, TZ)
    assert current_base(root, TZ) == pointer
    assert current_base(root, "UTC") is None
    pointer_path(root).write_text(json.dumps({**json.loads(pointer_path(root).read_text()), "format": "other"}))
    assert read_pointer(root) is not None and current_base(root, TZ) is None
    pointer_path(root).write_text("{not json")
    assert read_pointer(root) is None


def test_one_build_at_a_time(root: Path) -> None:
    serving_dir(root).mkdir(parents=True, exist_ok=True)
    fd = os.open(serving_dir(root) / ".build.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another process is building
        builds = BaseBuilds(root, TZ)
        assert builds.locked() and builds.start() is False and not builds.running
    finally:
        os.close(fd)
    assert not BaseBuilds(root, TZ).locked()


def test_a_serving_process_without_a_base_has_one_built_and_attaches_it(root: Path,
                                                                        lakes: Callable[..., Lake]) -> None:
    lake = lakes()  # its first refresh starts `python -m services.serving_base` and waits for it
    assert lake.scalar("SELECT count(*) FROM sales_lines") > 0
    assert lake._serving.base is not None and lake._serving.base == current_base(root, TZ)
    assert lake.scalar("SELECT count(*) FROM delta_sales_lines") == 0
    assert lake._serving._builds is not None and lake._serving._builds.wait(WAIT_SECONDS)

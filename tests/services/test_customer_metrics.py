"""Every customer figure equals an independent polars computation over the published sales lines of the test lake."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from etl.io_parquet import dimension_path
from services import customer_metrics
from services.duckdb_connector import Lake
from services.filters import Selection
from tests.services.conftest import republish
from tests.services.stock_lake import END, PARTNERS, published_rows, selected_products, stock_lake, stock_lake_root

__all__ = ["stock_lake", "stock_lake_root"]

FEBRUARY = Selection("custom", date(2024, 2, 1), END)
SELECTIONS = [
    FEBRUARY,
    Selection("custom", date(2024, 1, 15), date(2024, 2, 14)),
    Selection("custom", date(2024, 2, 1), END, store_ids=(1, 3)),
    Selection("custom", date(2024, 2, 1), END, channel="invoice"),
    Selection("custom", date(2024, 2, 1), END, channel="pos", category_ids=(100, 200), brand_ids=tuple(range(1, 8))),
    Selection("custom", date(2024, 1, 15), END, category_ids=(100,)),  # one scope: its scope tables
    Selection("custom", date(2024, 2, 1), END, store_ids=(2,), brand_ids=(3,)),
]


def published_lines(root: Path) -> pl.DataFrame:
    """fact_sales_all's lines of both channels as published under `root`, in one shape."""
    columns = ["channel", "date", "order_id", "store_id", "customer_id", "product_id", "revenue", "is_refund"]
    pos = published_rows(root, "pos_order_lines", "fact_sales").with_columns(channel=pl.lit("pos"))
    invoices = published_rows(root, "invoice_sales", "fact_invoice_sales").with_columns(
        channel=pl.lit("invoice"), order_id=pl.col("move_id"), store_id=pl.lit(None, pl.Int64),
        is_refund=pl.col("move_type") == "out_refund")
    return pl.concat([pos.select(columns), invoices.select(columns)])


@pytest.fixture(scope="module")
def lines(stock_lake_root: Path) -> pl.DataFrame:
    return published_lines(stock_lake_root)


@pytest.fixture(scope="module")
def products(stock_lake_root: Path) -> pl.DataFrame:
    return pl.read_parquet(dimension_path(stock_lake_root, "dim_products"))


def selected(lines: pl.DataFrame, products: pl.DataFrame, selection: Selection) -> pl.DataFrame:
    chosen = lines.filter(pl.col("date").is_between(selection.start, selection.end))
    if selection.store_ids:
        chosen = chosen.filter(pl.col("store_id").is_in(selection.store_ids))
    if selection.channel:
        chosen = chosen.filter(pl.col("channel") == selection.channel)
    if selection.category_ids or selection.brand_ids:
        chosen = chosen.filter(pl.col("product_id").is_in(sorted(selected_products(products, selection))))
    return chosen


def expected_customers(lines: pl.DataFrame, products: pl.DataFrame, selection: Selection) -> pl.DataFrame:
    """Per identified customer with an order in the selection: orders, revenue, first purchase ever, new."""
    chosen = selected(lines, products, selection).filter(pl.col("customer_id").is_not_null())
    orders = chosen.filter(~pl.col("is_refund")).select("customer_id", "channel", "order_id").unique()
    first = lines.filter(~pl.col("is_refund") & pl.col("customer_id").is_not_null()).group_by("customer_id").agg(
        pl.col("date").min().alias("first_purchase"))
    return (orders.group_by("customer_id").agg(pl.len().alias("orders"))
            .join(chosen.group_by("customer_id").agg(pl.col("revenue").sum()), on="customer_id")
            .join(first, on="customer_id").with_columns(is_new=pl.col("first_purchase") >= selection.start))


@pytest.mark.parametrize("selection", SELECTIONS)
def test_customer_kpis_equal_polars_over_the_selected_lines(stock_lake: Lake, lines: pl.DataFrame,
                                                            products: pl.DataFrame, selection: Selection) -> None:
    chosen = selected(lines, products, selection)
    customers = expected_customers(lines, products, selection)
    summary = customer_metrics.customers_page(stock_lake, selection).summary
    revenue, identified = chosen["revenue"].sum(), chosen.filter(pl.col("customer_id").is_not_null())["revenue"].sum()
    assert summary.revenue == pytest.approx(revenue)
    assert summary.identified_share == pytest.approx(identified / revenue * 100)
    assert summary.unique_customers == customers.height > 0
    assert summary.new_customers == customers.filter(pl.col("is_new")).height
    assert summary.returning_customers == customers.filter(~pl.col("is_new")).height
    assert summary.repeat_rate == pytest.approx(customers.filter(pl.col("orders") >= 2).height / customers.height * 100)
    assert summary.purchase_frequency == pytest.approx(customers["orders"].sum() / customers.height)


def test_the_lake_has_new_and_returning_customers_and_walk_ins(stock_lake: Lake) -> None:
    summary = customer_metrics.customers_page(stock_lake, FEBRUARY).summary
    assert 0 < summary.new_customers < summary.unique_customers
    assert 0 < summary.identified_share < 100


def test_a_store_filter_leaves_invoices_out(stock_lake: Lake) -> None:
    stores = customer_metrics.daily(stock_lake, SELECTIONS[2])
    pos_only = customer_metrics.daily(stock_lake, replace(SELECTIONS[2], channel="pos"))
    assert stores["revenue"].sum() == pytest.approx(pos_only["revenue"].sum())
    assert customer_metrics.customers(stock_lake, SELECTIONS[3]).height > 0  # while invoices do have customers


@pytest.mark.parametrize("selection", SELECTIONS[:3])
def test_top_customers_rank_revenue_per_customer_and_are_labelled_with_name_and_ref(
        stock_lake: Lake, lines: pl.DataFrame, products: pl.DataFrame, selection: Selection) -> None:
    chosen = selected(lines, products, selection).filter(pl.col("customer_id").is_not_null())
    revenue = sorted(chosen.group_by("customer_id").agg(pl.col("revenue").sum()).iter_rows(),
                     key=lambda row: (-row[1], row[0]))[:customer_metrics.TOP_CUSTOMERS]
    top = customer_metrics.customers_page(stock_lake, selection).top
    assert top["customer_id"].to_list() == [customer for customer, _ in revenue]
    assert top["revenue"].to_list() == pytest.approx([value for _, value in revenue])
    for customer, label in top.select("customer_id", "label").iter_rows():
        if customer > PARTNERS:
            assert label == f"Customer {customer}"  # no dim_partners row
        else:
            assert label == f"Pelanggan {customer:03d}" + (f" (C{customer:03d})" if customer % 2 == 0 else "")


@pytest.mark.parametrize("selection", SELECTIONS[:2])
def test_orders_per_customer_histogram_counts_customers_by_orders(
        stock_lake: Lake, lines: pl.DataFrame, products: pl.DataFrame, selection: Selection) -> None:
    orders = expected_customers(lines, products, selection)["orders"].to_list()
    frequency = customer_metrics.customers_page(stock_lake, selection).frequency
    expected = {bucket: sum(1 for count in orders if min(count, 5) == bucket) for bucket in range(1, 6)}
    assert dict(frequency.iter_rows()) == expected


@pytest.mark.parametrize("selection", [FEBRUARY, replace(FEBRUARY, store_ids=(2,)),
                                       replace(FEBRUARY, channel="invoice"), replace(FEBRUARY, store_ids=(1, 3)),
                                       replace(FEBRUARY, channel="pos")])
def test_daily_revenue_splits_into_known_customers_and_walk_ins(stock_lake: Lake, lines: pl.DataFrame,
                                                                products: pl.DataFrame, selection: Selection) -> None:
    daily = customer_metrics.customers_page(stock_lake, selection).daily
    chosen = selected(lines, products, selection)
    assert daily["date"].to_list() == [FEBRUARY.start + timedelta(days=offset) for offset in range(29)]
    assert daily["loaded"].all()
    for day, revenue, identified, walk_in, customers in daily.select(
            "date", "revenue", "identified_revenue", "walk_in_revenue", "customers").iter_rows():
        rows = chosen.filter(pl.col("date") == day)
        known = rows.filter(pl.col("customer_id").is_not_null())
        assert revenue == pytest.approx(rows["revenue"].sum())
        assert identified == pytest.approx(known["revenue"].sum())
        assert walk_in == pytest.approx(revenue - identified)
        assert customers == known.filter(~pl.col("is_refund"))["customer_id"].n_unique()


def test_days_not_loaded_are_gaps_not_zeros(stock_lake: Lake) -> None:
    daily = customer_metrics.daily(stock_lake, Selection("custom", date(2024, 2, 20), date(2024, 3, 5)))
    missing = daily.filter(~pl.col("loaded"))
    assert missing["date"].min() == END + timedelta(days=1)
    assert missing["revenue"].is_null().all() and missing["identified_revenue"].is_null().all()


def test_a_file_holding_rows_of_another_date_counts_each_customer_once(stock_lake_root: Path, tmp_path: Path) -> None:
    """Customers per day read one row per customer, date and source day; a file whose rows carry another date (which
    the ETL quarantines, but a file may still hold) must not count a customer of that date twice."""
    root = tmp_path / "lake"
    shutil.copytree(stock_lake_root, root)
    day, before = date(2024, 2, 10), date(2024, 2, 9)
    republish(root, day, lambda fact, frame: frame.with_columns(date=pl.lit(before)) if fact == "fact_sales" else frame)
    lines = published_lines(root).filter(~pl.col("is_refund") & pl.col("customer_id").is_not_null())
    on_both = lines.filter(pl.col("date") == before).group_by("customer_id").agg(pl.col("order_id").n_unique())
    assert on_both.filter(pl.col("order_id") > 1).height > 0  # some customer now has two files' rows on the 9th
    lake = Lake(root, cache_ttl_seconds=0)
    try:
        daily = customer_metrics.daily(lake, Selection("custom", before, day))
    finally:
        lake.close()
    expected = {when: lines.filter(pl.col("date") == when)["customer_id"].n_unique() for when in (before, day)}
    assert dict(daily.select("date", "customers").iter_rows()) == expected

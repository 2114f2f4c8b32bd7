"""The Overview's alerts against independent polars computations: A items out of stock, products sold at a loss,
datasets that are not ok."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from benchmarks.lake_generator import publish_day
from etl import schemas
from etl.io_parquet import dimension_path
from services import alerts
from services.duckdb_connector import Lake
from services.filters import Selection
from tests.services.stock_lake import END, SNAPSHOTS, published_rows, stock_lake_root

__all__ = ["stock_lake_root"]

FEBRUARY = Selection("custom", date(2024, 2, 1), date(2024, 2, 29))


def test_a_items_out_of_stock_are_top_sellers_with_nothing_on_hand(stock_lake_root: Path) -> None:
    lake = Lake(stock_lake_root, cache_ttl_seconds=0)
    try:
        found = alerts.out_of_stock_a_items(lake, FEBRUARY)
    finally:
        lake.close()
    pos = published_rows(stock_lake_root, "pos_order_lines", "fact_sales").select("date", "product_id", "revenue")
    invoices = published_rows(stock_lake_root, "invoice_sales", "fact_invoice_sales").select(
        "date", "product_id", "revenue")
    window = pl.concat([pos, invoices]).filter(pl.col("date").is_between(END - timedelta(days=89), END))
    ranked = window.group_by("product_id").agg(pl.col("revenue").sum()).filter(pl.col("revenue") > 0).sort(
        ["revenue", "product_id"], descending=[True, False])
    a_items = ranked.head(-(-ranked.height * 20 // 100))
    snapshot = published_rows(stock_lake_root, "stock_quants", "fact_stock_on_hand_snapshot").filter(
        pl.col("snapshot_date") == max(SNAPSHOTS))
    on_hand = snapshot.group_by("product_id").agg(pl.col("quantity").sum())
    products = pl.read_parquet(dimension_path(stock_lake_root, "dim_products"))
    judged = a_items.join(products.select("product_id", "product_type"), on="product_id", how="left").join(
        on_hand, on="product_id", how="left")
    expected = judged.filter(((pl.col("product_type") == "product") | pl.col("quantity").is_not_null())
                             & (pl.col("quantity").fill_null(0) <= 0))
    assert expected.height > 0  # product 8 sells well and is missing from the quants
    assert found["product_id"].to_list() == expected["product_id"].to_list()
    assert found["revenue"].to_list() == pytest.approx(expected["revenue"].to_list())


def test_no_snapshot_no_stock_alert(small_lake_root: Path) -> None:
    lake = Lake(small_lake_root, cache_ttl_seconds=0)
    try:
        assert alerts.out_of_stock_a_items(lake, FEBRUARY).is_empty()
        assert not alerts.profit_loaded(lake, FEBRUARY)
    finally:
        lake.close()


def test_negative_margins_sum_gross_profit_per_product(small_lake_root: Path, tmp_path: Path) -> None:
    root = tmp_path / "lake"
    shutil.copytree(small_lake_root, root)
    rows = [  # (day, channel, product, revenue excl. tax, gross profit or None when the cost is missing)
        (date(2024, 2, 1), "pos", 1, 1000.0, -50.0), (date(2024, 2, 2), "invoice", 1, 500.0, 20.0),
        (date(2024, 2, 1), "pos", 2, 800.0, 100.0), (date(2024, 2, 2), "pos", 3, 300.0, -10.0),
        (date(2024, 2, 2), "pos", 4, 300.0, None), (date(2024, 1, 5), "pos", 2, 900.0, -500.0),
    ]
    frame = pl.DataFrame(rows, schema=["date", "channel", "product_id", "revenue_excl_tax", "gross_profit"],
                         orient="row").with_columns(quantity=pl.lit(1.0),
                                                    cogs=pl.col("revenue_excl_tax") - pl.col("gross_profit"))
    frame = schemas.conform(frame, schemas.AGG_PROFIT_DAILY_BY_PRODUCT)
    for day in frame["date"].unique().to_list():
        publish_day(root, day, {"agg_profit_daily_by_product": frame.filter(pl.col("date") == day)}, dataset="profit")
    lake = Lake(root, cache_ttl_seconds=0)
    try:
        assert alerts.profit_loaded(lake, FEBRUARY)
        losses = alerts.negative_margins(lake, FEBRUARY)
        pos_only = alerts.negative_margins(lake, Selection("custom", FEBRUARY.start, FEBRUARY.end, channel="pos"))
    finally:
        lake.close()
    assert losses.select("product_id", "gross_profit").rows() == [(1, -30.0), (3, -10.0)]  # worst first
    assert losses["margin_pct"].to_list() == pytest.approx([-30.0 / 1500 * 100, -10.0 / 300 * 100])
    assert pos_only.select("product_id", "gross_profit").rows() == [(1, -50.0), (3, -10.0)]


def test_data_alerts_list_every_dataset_not_ok() -> None:
    def entry(status: str) -> dict:
        return {"title": status.title(), "status": status, "last_processed_date": "2024-02-29",
                "failed_days": [{"day": "2024-02-28", "step": None, "error": "x"}] if status == "failing" else [],
                "missing_days": ["2024-02-27"] if status == "stale" else []}

    report = {"datasets": {"a": entry("ok"), "b": entry("stale"), "c": entry("failing"), "d": entry("unreadable")}}
    found = alerts.data_alerts(report)
    assert [(item.dataset, item.status) for item in found] == [("b", "stale"), ("c", "failing"), ("d", "unreadable")]
    assert found[0].missing_days == 1 and found[1].failed_days == ["2024-02-28"]


def test_the_alerts_export_holds_every_alert_of_the_card(stock_lake_root: Path) -> None:
    report = {"datasets": {"purchases": {"title": "Purchases", "status": "failing", "last_processed_date": "2024-02-27",
                                         "failed_days": [{"day": "2024-02-28", "step": "extract", "error": "x"}],
                                         "missing_days": []}}}
    lake = Lake(stock_lake_root, cache_ttl_seconds=0)
    try:
        rows = alerts.alert_rows(lake, FEBRUARY, report)
        stock = alerts.out_of_stock_a_items(lake, FEBRUARY)
    finally:
        lake.close()
    assert rows.columns[0] == "alert"
    out_of_stock = rows.filter(pl.col("alert") == "out_of_stock_a_item")
    assert out_of_stock["product_id"].to_list() == stock["product_id"].to_list() and stock.height > 0
    assert out_of_stock["revenue"].to_list() == stock["revenue"].to_list()  # exact, not formatted
    data = rows.filter(pl.col("alert") == "data").row(0, named=True)
    assert (data["dataset"], data["status"], data["failed_days"]) == ("purchases", "failing", "2024-02-28")

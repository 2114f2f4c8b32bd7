"""The Overview page's alerts (docs/KPIS.md "Overview alerts"): A items out of stock, products sold at a loss, and
datasets whose data is late, failing or unreadable. Each alert is a small frame or list the page lays out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import polars as pl

from services import inventory_metrics, profit_metrics
from services.duckdb_connector import Lake
from services.filters import Selection

ABC_WINDOW_DAYS = 90  # the class of a product for the stock alert: ABC by revenue over these days up to the snapshot
SHOWN = 10


def out_of_stock_a_items(lake: Lake, selection: Selection) -> pl.DataFrame:
    """Class A products (by revenue over the 90 days up to the latest stock snapshot) with nothing on hand in it.

    Products Odoo keeps no stock for (consumables, services) are left out unless they appear in the snapshot. The
    selection's category and brand filters apply; its dates do not (stock is about now). Empty without a snapshot.
    """
    days = lake.loaded_days(inventory_metrics.SNAPSHOT_FACT)
    if not days:
        return pl.DataFrame(schema={"product_id": pl.Int64, "product": pl.String, "default_code": pl.String,
                                    "revenue": pl.Float64, "on_hand": pl.Float64})
    day = days[-1]
    window = replace(selection, preset="custom", start=day - timedelta(days=ABC_WINDOW_DAYS - 1), end=day,
                     store_ids=(), channel=None)
    classes = inventory_metrics.abc_classes(inventory_metrics.period_product_sales(lake, window))
    stock = inventory_metrics.product_stock(lake, window, day).select(
        "product_id", "product_type", "in_snapshot", "on_hand")
    a_items = classes.filter(pl.col("abc") == "A").join(stock, on="product_id", how="left")
    tracked = pl.col("in_snapshot").fill_null(False) | (pl.col("product_type") == inventory_metrics.STORABLE)
    return a_items.filter(tracked & (pl.col("on_hand").fill_null(0.0) <= 0)).select(
        "product_id", "product", "default_code", "revenue", pl.col("on_hand").fill_null(0.0)).sort(
        ["revenue", "product_id"], descending=[True, False])


def profit_loaded(lake: Lake, selection: Selection) -> bool:
    """Whether the profit dataset has a loaded day in the period."""
    return any(selection.start <= day <= selection.end for day in profit_metrics.profit_days(lake))


def negative_margins(lake: Lake, selection: Selection) -> pl.DataFrame:
    """Products whose gross profit over the period is below zero, worst first, by the Profit page's definition
    (services.profit_metrics.product_profit: lines with a known cost; margin over their revenue); the selection's
    category, brand, channel and store filters apply."""
    losses = profit_metrics.loss_making(profit_metrics.product_profit(lake, selection))
    return losses.select("product_id", pl.coalesce("name", "product").alias("product"), "default_code",
                         "revenue_excl_tax", "gross_profit", "margin_pct", "cost_coverage_pct")


@dataclass(frozen=True)
class DataAlert:
    """A dataset that is not `ok` in the health report."""

    dataset: str
    title: str
    status: str  # stale | failing | unreadable
    last_processed: str | None
    failed_days: list[str]
    missing_days: int


def data_alerts(report: Mapping[str, Any]) -> list[DataAlert]:
    """The datasets of the health report (etl.pipelines.health) that are late, failing or unreadable."""
    return [
        DataAlert(name, entry["title"], entry["status"], entry["last_processed_date"],
                  [item["day"] for item in entry["failed_days"]], len(entry["missing_days"]))
        for name, entry in report["datasets"].items() if entry["status"] != "ok"
    ]


def alert_rows(lake: Lake, selection: Selection, report: Mapping[str, Any]) -> pl.DataFrame:
    """Every alert of the Overview as one table (the card's export): `alert` = out_of_stock_a_item | negative_margin
    | data, with the columns of its kind (the others null) and exact values."""
    parts = [out_of_stock_a_items(lake, selection).with_columns(alert=pl.lit("out_of_stock_a_item"))]
    if profit_loaded(lake, selection):
        parts.append(negative_margins(lake, selection).with_columns(alert=pl.lit("negative_margin")))
    late = data_alerts(report)
    if late:
        parts.append(pl.DataFrame({
            "dataset": [item.dataset for item in late], "status": [item.status for item in late],
            "last_processed": [item.last_processed for item in late],
            "failed_days": [", ".join(item.failed_days) for item in late],
            "missing_days": [item.missing_days for item in late],
        }, schema={"dataset": pl.String, "status": pl.String, "last_processed": pl.String, "failed_days": pl.String,
                   "missing_days": pl.Int64}).with_columns(alert=pl.lit("data")))
    rows = pl.concat(parts, how="diagonal_relaxed")
    return rows.select("alert", *[column for column in rows.columns if column != "alert"])

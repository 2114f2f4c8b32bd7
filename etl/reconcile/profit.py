"""Profit against an independent recomputation from the published facts (profit reads no Odoo: `client` is unused).

Per business day D and channel (pos, invoice): revenue_excl_tax, cogs and gross_profit of agg_profit_daily against
the same figures computed here with plain polars, written apart from etl/transform/profit.py on the same business
rules: the cost of a product is the unit_cost_excl_tax of its latest non-bonus vendor bill line (in_invoice, cost
> 0) dated on or before D (ties: highest line_id), else its positive dim_products.standard_price, else unknown (left
out of cogs and gross profit). Plus the line count, exact. Sums agree to float precision (tolerance: 1e-6 + 1e-9 of
the figure). The reference side is printed where other datasets print Odoo's figures. dim_products is read as it is
now: a standard price changed since the day was built shows as a difference until the day is rebuilt.
"""

from __future__ import annotations

import os
from datetime import date
from zoneinfo import ZoneInfo

import polars as pl

from etl import io_parquet
from etl.catalog import PROFIT
from etl.day_manifest import loaded_days
from etl.published import read_published
from etl.reconcile import Check, DayReconciliation

DATASET = PROFIT.name
FIGURES = ("revenue_excl_tax", "cogs", "gross_profit")
SALES = {"pos": "fact_sales", "invoice": "fact_invoice_sales"}
ABSOLUTE_TOLERANCE, RELATIVE_TOLERANCE = 1e-6, 1e-9


def _sales(lake: str | os.PathLike[str], day: date) -> pl.DataFrame:
    """The day's sales lines of both channels: channel, product_id, quantity, revenue_excl_tax."""
    pieces = []
    for channel, table in SALES.items():
        frame = read_published(lake, io_parquet.STAR, table, day)
        if frame is not None:
            pieces.append(frame.select(pl.lit(channel).alias("channel"), "product_id", "quantity", "revenue_excl_tax"))
    empty = pl.DataFrame(schema={"channel": pl.String, "product_id": pl.Int64, "quantity": pl.Float64,
                                 "revenue_excl_tax": pl.Float64})
    return pl.concat([empty, *pieces])


def _purchase_costs(lake: str | os.PathLike[str], day: date) -> pl.DataFrame:
    """product_id, purchase_cost: the latest qualifying vendor bill line of each product dated on or before `day`."""
    frames = [read_published(lake, io_parquet.STAR, "fact_purchases", d)
              for d in loaded_days(lake, "purchases") if d <= day]
    frames = [frame for frame in frames if frame is not None]
    if not frames:
        return pl.DataFrame(schema={"product_id": pl.Int64, "purchase_cost": pl.Float64})
    bills = pl.concat(frames).filter(
        (pl.col("move_type") == "in_invoice") & ~pl.col("is_bonus") & pl.col("product_id").is_not_null()
        & (pl.col("unit_cost_excl_tax") > 0) & pl.col("unit_cost_excl_tax").is_finite())
    return bills.group_by("product_id").agg(
        pl.col("unit_cost_excl_tax").sort_by("date", "line_id").last().alias("purchase_cost"))


def _standard_prices(lake: str | os.PathLike[str]) -> pl.DataFrame:
    path = io_parquet.dimension_path(lake, "dim_products")
    if not path.is_file():
        return pl.DataFrame(schema={"product_id": pl.Int64, "standard_cost": pl.Float64})
    return pl.read_parquet(path, columns=["product_id", "standard_price"]).select(
        "product_id", pl.when(pl.col("standard_price") > 0).then(pl.col("standard_price")).alias("standard_cost"))


def recompute(lake: str | os.PathLike[str], day: date) -> dict[str, dict[str, float]]:
    """Per channel: revenue_excl_tax (every line), cogs and gross_profit (lines with a cost), and lines."""
    lines = (_sales(lake, day).join(_purchase_costs(lake, day), on="product_id", how="left")
             .join(_standard_prices(lake), on="product_id", how="left")
             .with_columns((pl.coalesce("purchase_cost", "standard_cost") * pl.col("quantity")).alias("cogs")))
    known = pl.col("cogs").is_not_null()
    totals = lines.group_by("channel").agg(
        pl.col("revenue_excl_tax").sum(), pl.col("cogs").sum(),
        (pl.col("revenue_excl_tax") - pl.col("cogs")).filter(known).sum().alias("gross_profit"),
        pl.len().alias("lines"))
    return {row.pop("channel"): row for row in totals.iter_rows(named=True)}


def _published(agg: pl.DataFrame | None, channel: str, figure: str) -> float:
    if agg is None:
        return 0.0
    return float(agg.filter(pl.col("channel") == channel)[figure].fill_null(0.0).sum())


def reconcile_profit_day(client: object, lake: str | os.PathLike[str], day: date, tz: ZoneInfo) -> DayReconciliation:
    """Compare one business day of agg_profit_daily (and the line count) with the independent recomputation."""
    expected = recompute(lake, day)
    agg = read_published(lake, io_parquet.STAR, "agg_profit_daily", day)
    lines = read_published(lake, io_parquet.STAR, "fact_sales_lines_profit", day)
    checks = []
    for channel in SALES:
        reference = expected.get(channel, {})
        for figure in FIGURES:
            value = float(reference.get(figure) or 0.0)
            checks.append(Check(f"{channel}_{figure}", value, _published(agg, channel, figure),
                                ABSOLUTE_TOLERANCE + RELATIVE_TOLERANCE * abs(value)))
    checks.append(Check("lines", sum(int(r["lines"]) for r in expected.values()),
                        lines.height if lines is not None else 0))
    return DayReconciliation(DATASET, day, agg is not None, tuple(checks))

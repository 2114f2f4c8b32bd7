"""Profit KPIs and breakdowns (docs/KPIS.md "Profit"): the one definition of gross profit, margin and cost coverage.

The ETL (etl/transform/profit.py) gives every sales line its unit cost as of the sale date (latest earlier non-bonus
purchase, else the product's standard price, else missing) and publishes sums per day × channel × product. Over any
group of those rows:

- Revenue excl. tax = Σ `revenue_excl_tax` of every line; costed revenue = the same over lines with a known cost;
- COGS = Σ `cogs`, Gross profit = Σ `gross_profit` (lines with a known cost only; None when no line has one);
- Margin % = gross profit ÷ costed revenue × 100 (None when the costed revenue is 0);
- Cost coverage % = costed revenue ÷ revenue excl. tax × 100 (None when that revenue is 0), shown beside every
  profit figure so a figure resting on few costed lines never reads as complete; uncosted revenue = the rest.

Rows come from `agg_profit_daily_by_product`, or from `fact_sales_lines_profit` when a store is selected (only POS
lines carry a store) or the cost source is needed. Days without a published profit day are gaps, never zeros;
comparisons use the days loaded in both periods (services.periods). Values stay exact; formatting rounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from etl.catalog import fact_schemas
from services.duckdb_connector import Lake
from services.filters import Selection, category_labels
from services.periods import COMPARISONS, LAST_YEAR, PREVIOUS, Change, Coverage, comparison_window, coverage
from services.product_scope import product_condition, sales_condition, with_clause
from services.sales_metrics import Kpi

LINES_FACT = "fact_sales_lines_profit"
PRODUCT_FACT = "agg_profit_daily_by_product"
DAY_FACT = PRODUCT_FACT  # a profit day is published with all its facts in one manifest
COST_SOURCES = ("purchase", "standard_price", "missing")  # etl/transform/profit.py's cost_source values
KPI_NAMES = ("revenue_excl_tax", "cogs", "gross_profit", "margin_pct", "cost_coverage_pct", "uncosted_revenue")
# Whether a rise is good news: more cost of goods is neither (it follows sales), more uncosted revenue is bad.
HIGHER_IS_BETTER: dict[str, bool | None] = {
    "revenue_excl_tax": True, "cogs": None, "gross_profit": True, "margin_pct": True, "cost_coverage_pct": True,
    "uncosted_revenue": False,
}
MEASURES = """sum(revenue_excl_tax) AS revenue_excl_tax,
        coalesce(sum(revenue_excl_tax) FILTER (WHERE gross_profit IS NOT NULL), 0) AS costed_revenue,
        sum(cogs) AS cogs, sum(gross_profit) AS gross_profit"""
SUMMED = ("revenue_excl_tax", "costed_revenue", "cogs", "gross_profit")


def with_ratios(frame: pl.DataFrame) -> pl.DataFrame:
    """Margin %, cost coverage % and uncosted revenue of summed rows (the only place they are derived)."""
    revenue, costed = pl.col("revenue_excl_tax").fill_null(0), pl.col("costed_revenue").fill_null(0)
    return frame.with_columns(
        margin_pct=pl.when(costed != 0).then(pl.col("gross_profit") / costed * 100),
        cost_coverage_pct=pl.when(revenue != 0).then(costed / revenue * 100),
        uncosted_revenue=revenue - costed,
    )


def summed(frame: pl.DataFrame, *keys: str) -> pl.DataFrame:
    """`frame`'s measures summed by `keys` (a null-only sum stays null: no known cost is not a zero cost), with
    the ratios."""
    sums = [pl.when(pl.col(name).is_not_null().any()).then(pl.col(name).sum()).alias(name) for name in SUMMED]
    grouped = frame.group_by(*keys).agg(sums) if keys else frame.select(sums)
    return with_ratios(grouped)


def profit_days(lake: Lake) -> list[date]:
    """Business days with a published profit day."""
    return lake.loaded_days(DAY_FACT) if DAY_FACT in fact_schemas() else []


def profit_partial_days(lake: Lake) -> list[date]:
    return lake.partial_days(DAY_FACT) if DAY_FACT in fact_schemas() else []


def profit_coverage(lake: Lake, selection: Selection, today: date) -> Coverage:
    return coverage(selection.start, selection.end, set(profit_days(lake)), today, set(profit_partial_days(lake)))


def _rows(selection: Selection, params: dict[str, Any], columns: str, *, lines: bool = False,
          only_days: tuple[date, ...] | None = None) -> str:
    """`WITH … rows AS (…)`: the profit rows of the selection (`columns` of them). A store filter reads the lines
    (only POS lines have a store); `lines` asks for them anyway (cost source)."""
    source = LINES_FACT if lines or selection.store_ids else PRODUCT_FACT
    params.update(start=selection.start, end=selection.end)
    conditions = ["date BETWEEN $start AND $end", product_condition(selection, params),
                  sales_condition(selection, params)]
    if only_days is not None:
        params["only_days"] = list(only_days)
        conditions.append("list_contains($only_days, date)")
    where = "\n        AND ".join(conditions)
    return with_clause(selection, f"""rows AS (
        SELECT {columns} FROM {source}
        WHERE {where}
    )""")


def _grouped(lake: Lake, selection: Selection, keys: tuple[str, ...],
             only_days: tuple[date, ...] | None = None) -> pl.DataFrame:
    """The measures summed by `keys` (columns of the profit facts) with the ratios."""
    params: dict[str, Any] = {}
    columns = ", ".join((*keys, "revenue_excl_tax", "cogs", "gross_profit"))
    group = f", {', '.join(keys)}" if keys else ""
    by = f"GROUP BY {', '.join(keys)}" if keys else ""
    sql = f"{_rows(selection, params, columns, only_days=only_days)}\n    SELECT {MEASURES}{group} FROM rows {by}"
    return with_ratios(lake.query(sql, params))


def totals(lake: Lake, selection: Selection, only_days: tuple[date, ...] | None = None) -> dict[str, float | None]:
    """The KPIs of the selection (over `only_days` of it when given)."""
    row = _grouped(lake, selection, (), only_days).row(0, named=True)
    return {name: row[name] for name in KPI_NAMES}


def _change(name: str, current: float | None, earlier: float | None, matched: int, total: int, kind: str) -> Change:
    change = None if current is None or not earlier else (current - earlier) / abs(earlier) * 100
    direction = HIGHER_IS_BETTER[name]
    good = None if direction is None or not change else (change > 0) == direction
    return Change(kind, current, earlier, change, matched, total, good)


def kpi_comparison(lake: Lake, selection: Selection) -> dict[str, Kpi]:
    """Every profit KPI, against the previous period of equal length and the same dates last year, each compared
    over the days with a published profit day in both periods only."""
    values = totals(lake, selection)
    loaded = set(profit_days(lake))
    changes: dict[str, dict[str, Change]] = {name: {} for name in KPI_NAMES}
    for kind in COMPARISONS:
        window = comparison_window(kind, selection.start, selection.end, loaded)
        current, earlier = values, dict.fromkeys(KPI_NAMES)
        if window.available:
            if window.restricted:
                current = totals(lake, selection, window.current_days)
            earlier = totals(lake, Selection("custom", window.start, window.end, selection.store_ids,
                                             selection.category_ids, selection.brand_ids, selection.channel),
                             window.compare_days)
        for name in KPI_NAMES:
            changes[name][kind] = _change(name, current[name], earlier[name], window.matched, window.total, kind)
    return {name: Kpi(name, values[name], changes[name][PREVIOUS], changes[name][LAST_YEAR]) for name in KPI_NAMES}


def daily_profit(lake: Lake, selection: Selection) -> pl.DataFrame:
    """One row per day of the range: the measures and ratios, `loaded` and `partial`; a day without a published
    profit day has nulls (a gap), a loaded day without sales zeros."""
    loaded, partial = profit_days(lake), profit_partial_days(lake)
    by_day = _grouped(lake, selection, ("date",))
    calendar = pl.DataFrame({"date": pl.date_range(selection.start, selection.end, eager=True)})
    frame = calendar.join(by_day, on="date", how="left").with_columns(
        pl.col("revenue_excl_tax", "costed_revenue", "uncosted_revenue").fill_null(0.0),
        loaded=pl.col("date").is_in(loaded), partial=pl.col("date").is_in(partial))
    values = [column for column in frame.columns if column not in ("date", "loaded", "partial")]
    return frame.with_columns(pl.when(pl.col("loaded")).then(pl.col(values)).name.keep()).sort("date")


def channel_profit(lake: Lake, selection: Selection) -> pl.DataFrame:
    """By channel ('pos', 'invoice'), largest revenue first."""
    return _grouped(lake, selection, ("channel",)).sort("revenue_excl_tax", descending=True)


def _label(frame: pl.DataFrame) -> pl.DataFrame:
    """`product`: `[default_code] name` (the code tells products with one name apart), `Product <id>` without a
    dimension row."""
    name = pl.coalesce(pl.col("name"), pl.format("Product {}", pl.col("product_id")))
    return frame.with_columns(product=pl.when(pl.col("default_code").is_not_null()).then(
        pl.format("[{}] {}", pl.col("default_code"), name)).otherwise(name))


def product_profit(lake: Lake, selection: Selection) -> pl.DataFrame:
    """One row per product sold: its name, code, category, brand and the measures with the ratios, largest gross
    profit first (products without a known cost last). The one definition of a product's gross profit and margin
    (the Overview's loss alert reads it)."""
    products = _grouped(lake, selection, ("product_id",))
    names = lake.query("SELECT product_id, name, default_code, category_id, brand_id, brand_name FROM dim_products")
    frame = _label(products.join(names, on="product_id", how="left"))
    frame = frame.join(category_labels(lake).rename({"label": "category_name"}), on="category_id", how="left")
    return frame.sort(["gross_profit", "revenue_excl_tax", "product_id"], descending=[True, True, False],
                      nulls_last=True)


def _ranked(products: pl.DataFrame, key: str, label: str) -> pl.DataFrame:
    grouped = summed(products, key).join(products.group_by(key).agg(pl.col(label).first().alias("label")), on=key,
                                        how="left", nulls_equal=True)
    return grouped.rename({key: "key"}).sort(["gross_profit", "revenue_excl_tax"], descending=True, nulls_last=True)


def category_profit(products: pl.DataFrame) -> pl.DataFrame:
    """By the product's own category (`key`, `label` = path without the common root)."""
    return _ranked(products, "category_id", "category_name")


def brand_profit(products: pl.DataFrame) -> pl.DataFrame:
    """By brand (`key`, `label`); products without a brand are one row with a null key."""
    return _ranked(products, "brand_id", "brand_name")


def loss_making(products: pl.DataFrame) -> pl.DataFrame:
    """Products (with an id) whose gross profit is below zero, worst first."""
    return products.filter(pl.col("product_id").is_not_null() & (pl.col("gross_profit") < 0)).sort(
        ["gross_profit", "product_id"])


def cost_sources(lake: Lake, selection: Selection) -> pl.DataFrame:
    """Revenue excl. tax and lines per cost source (purchase, standard_price, missing; each present, 0 when none)
    and its share of the revenue."""
    params: dict[str, Any] = {}
    found = lake.query(f"""{_rows(selection, params, 'cost_source, revenue_excl_tax', lines=True)}
    SELECT cost_source, sum(revenue_excl_tax) AS revenue_excl_tax, count(*) AS lines FROM rows GROUP BY cost_source""",
                       params)
    frame = pl.DataFrame({"cost_source": COST_SOURCES}).join(found, on="cost_source", how="left").with_columns(
        pl.col("revenue_excl_tax").fill_null(0.0), pl.col("lines").fill_null(0))
    total = frame["revenue_excl_tax"].sum()
    return frame.with_columns(share_pct=pl.col("revenue_excl_tax") / total * 100 if total else pl.lit(None, pl.Float64))


def uncosted_products(lake: Lake, selection: Selection) -> pl.DataFrame:
    """The lines without a cost, per product: product, code, revenue excl. tax and lines, largest revenue first."""
    params: dict[str, Any] = {}
    frame = lake.query(f"""{_rows(selection, params, 'product_id, cost_source, revenue_excl_tax', lines=True)},
    missing AS (
        SELECT product_id, sum(revenue_excl_tax) AS revenue_excl_tax, count(*) AS lines
        FROM rows WHERE cost_source = 'missing' GROUP BY product_id
    )
    SELECT product_id, dim_products.name, dim_products.default_code, revenue_excl_tax, lines
    FROM missing LEFT JOIN dim_products USING (product_id)""", params)
    return _label(frame).select("product_id", "product", "default_code", "revenue_excl_tax", "lines").sort(
        ["revenue_excl_tax", "product_id"], descending=[True, False], nulls_last=True)


def uncosted_lines(lake: Lake, selection: Selection) -> pl.DataFrame:
    """Every line without a cost: its day, channel, order and line ids, product, quantity and revenue excl. tax, by
    day and order (what `uncosted_products` sums per product; the export of the page's list)."""
    params: dict[str, Any] = {}
    columns = "date, channel, order_id, line_id, product_id, quantity, revenue_excl_tax, cost_source"
    frame = lake.query(f"""{_rows(selection, params, columns, lines=True)}
    SELECT date, channel, order_id, line_id, product_id, dim_products.name, dim_products.default_code, quantity,
           revenue_excl_tax
    FROM rows LEFT JOIN dim_products USING (product_id) WHERE cost_source = 'missing'""", params)
    return _label(frame).select("date", "channel", "order_id", "line_id", "product_id", "product", "default_code",
                                "quantity", "revenue_excl_tax").sort("date", "channel", "order_id", "line_id")


@dataclass(frozen=True)
class ProfitPage:
    """Everything the Profit page shows for one selection."""

    kpis: dict[str, Kpi]
    daily: pl.DataFrame
    channels: pl.DataFrame
    products: pl.DataFrame
    categories: pl.DataFrame
    brands: pl.DataFrame
    sources: pl.DataFrame
    uncosted: pl.DataFrame


def profit_page(lake: Lake, selection: Selection) -> ProfitPage:
    products = product_profit(lake, selection)
    return ProfitPage(kpis=kpi_comparison(lake, selection), daily=daily_profit(lake, selection),
                      channels=channel_profit(lake, selection), products=products,
                      categories=category_profit(products), brands=brand_profit(products),
                      sources=cost_sources(lake, selection), uncosted=uncosted_products(lake, selection))

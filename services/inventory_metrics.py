"""Inventory KPIs (DESIGN §6): the one definition of each stock number the pages show.

Stock is read from the fact_stock_on_hand_snapshot of the latest snapshot_date in the selected period (its `source`
says whether Odoo's quants were read that day or the day was reconstructed from today's quants and the moves since);
sales from the `sales_products` serving table (fact_sales_all per day and product: POS and invoices, refunds net);
receipts, movements and on hand from moves from `moves_daily` (fact_inventory_moves per day, product and type).
Quantities are in each product's unit of measure; values are the snapshot's stock_value (cost, tax excluded). The
category and brand filters select products; the store and channel filters do not apply (the dimensions link no stock
location to a POS store, and stock serves every channel). Categories are labelled by their path without the common
root (`Food / Basic`, not `All / Food / Basic`), as on the Sales and Profit pages.

- Days of cover = on hand ÷ (Σ quantity sold over the 28 days ending on the snapshot day ÷ 28), per product; low stock
  = cover < 7 days. Only products Odoo keeps stock for (storable) or present in the snapshot are judged.
- Dead stock: on hand > 0 and no non-refund sales line in the 90 days ending on the snapshot day.
- Sell-through % = units sold in the period ÷ units received in the period (incoming + production_in moves) × 100.
- ABC: the SKUs with positive revenue in the period ranked by revenue (then product id); A = the first ⌈20 % of
  SKUs⌉, B = up to ⌈50 %⌉, C = the rest.
- Stock variance per storable product = on hand from moves − on hand from quants (the snapshot), where on hand from
  moves is `etl.stock_positions.on_hand_from_moves` over every published move up to the snapshot day, summed per
  product.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl

from services.duckdb_connector import Lake
from services.filters import Selection, category_labels
from services.periods import Coverage as PeriodCoverage
from services.periods import coverage as period_coverage
from services.product_scope import product_condition, with_clause

SNAPSHOT_FACT = "fact_stock_on_hand_snapshot"
MOVES_FACT = "fact_inventory_moves"
MOVES_DAILY = "moves_daily"  # serving table of fact_inventory_moves per day, product and movement type
SALES_FACTS = ("fact_sales", "fact_invoice_sales")
COVER_WINDOW_DAYS = 28
LOW_STOCK_COVER_DAYS = 7
DEAD_STOCK_DAYS = 90
RECEIVED_TYPES = ("incoming", "production_in")  # DESIGN §5: units received for sell-through
ABC_CUMULATIVE_SHARES = (("A", 20), ("B", 50))  # % of ranked SKUs up to which each class reaches; C is the rest
STORABLE = "product"  # dim_products.product_type of goods Odoo keeps quants for (Odoo 18 is_storable included)
VARIANCE_TOLERANCE = 1e-6  # float sums taken in another order
# the product's labels but `category`, which _with_category adds
PRODUCT_LABELS = """coalesce(dim_products.name, 'Product ' || product_id) AS product, dim_products.default_code,
           dim_products.category_id, dim_products.brand_id, dim_products.brand_name AS brand"""


def _with_category(lake: Lake, frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` (with PRODUCT_LABELS) with `category` after `category_id`: the path without the common root."""
    columns = frame.columns
    after = columns.index("category_id") + 1
    labels = category_labels(lake).rename({"label": "category"})
    return frame.join(labels, on="category_id", how="left").select(*columns[:after], "category", *columns[after:])


def snapshot_day(lake: Lake, selection: Selection) -> date | None:
    """The latest business day in the period with a published stock snapshot (None when there is none)."""
    days = [day for day in lake.loaded_days(SNAPSHOT_FACT) if selection.start <= day <= selection.end]
    return days[-1] if days else None


def _snapshot_where(day: date, params: dict[str, Any]) -> str:
    """The rows of `day`'s snapshot file (the hive columns let DuckDB read that file alone)."""
    params |= {"snapshot": day, "year": day.year, "month": day.month, "day": day.day}
    return "year = $year AND month = $month AND day = $day AND snapshot_date = $snapshot"


def snapshot_sources(lake: Lake, day: date) -> list[str]:
    """The snapshot's `source` values: ['quant'], ['reconstructed'], or none for an empty snapshot."""
    params: dict[str, Any] = {}
    frame = lake.query(f"SELECT DISTINCT source FROM {SNAPSHOT_FACT} WHERE {_snapshot_where(day, params)} "
                       "ORDER BY source", params)
    return [source for source in frame["source"].to_list() if source is not None]


def stock_by_location(lake: Lake, selection: Selection, day: date) -> pl.DataFrame:
    """On hand quantity and value per internal location of the snapshot (lots and products summed)."""
    params: dict[str, Any] = {}
    where = f"{_snapshot_where(day, params)} AND {product_condition(selection, params)}"
    return lake.query(
        f"""{with_clause(selection, f'''stock AS (
        SELECT location_id, sum(quantity) AS quantity, sum(stock_value) AS value
        FROM {SNAPSHOT_FACT} WHERE {where} GROUP BY location_id
    )''')}
    SELECT location_id, coalesce(dim_locations.complete_name, dim_locations.name, 'Location ' || location_id) AS label,
           quantity, value
    FROM stock LEFT JOIN dim_locations USING (location_id)
    ORDER BY value DESC NULLS LAST, label""",
        params,
    )


def product_stock(lake: Lake, selection: Selection, day: date) -> pl.DataFrame:
    """One row per product in the snapshot or ever sold up to `day`: on hand (Σ over locations and lots), value,
    positions without a value, units sold over the cover window, the last non-refund sale up to `day`, labels."""
    params: dict[str, Any] = {"cover_start": day - timedelta(days=COVER_WINDOW_DAYS - 1)}
    scope = product_condition(selection, params)
    snapshot = _snapshot_where(day, params)
    return _with_category(lake, lake.query(
        f"""{with_clause(selection, f'''stock AS (
        SELECT product_id, sum(quantity) AS on_hand, sum(stock_value) AS value,
               count(*) FILTER (WHERE stock_value IS NULL) AS unvalued_positions
        FROM {SNAPSHOT_FACT} WHERE {snapshot} AND {scope} GROUP BY product_id
    )''', f'''demand AS (
        SELECT product_id, sum(units) FILTER (WHERE date >= $cover_start) AS units_sold_window,
               max(date) FILTER (WHERE sold_lines > 0) AS last_sale
        FROM sales_products WHERE date <= $snapshot AND product_id IS NOT NULL AND {scope} GROUP BY product_id
    )''')}
    SELECT product_id, {PRODUCT_LABELS}, dim_products.product_type,
           stock.product_id IS NOT NULL AS in_snapshot, coalesce(stock.on_hand, 0.0) AS on_hand, stock.value,
           coalesce(stock.unvalued_positions, 0) AS unvalued_positions,
           coalesce(demand.units_sold_window, 0.0) AS units_sold_window, demand.last_sale
    FROM stock FULL JOIN demand USING (product_id) LEFT JOIN dim_products USING (product_id)""",
        params,
    ))


def with_cover(products: pl.DataFrame) -> pl.DataFrame:
    """`avg_daily_units` (over the cover window) and `cover_days` = on hand ÷ avg daily units (null when the product
    did not sell on balance), for the products judged: storable ones and those in the snapshot."""
    judged = products.filter(pl.col("in_snapshot") | (pl.col("product_type") == STORABLE))
    average = pl.col("units_sold_window") / COVER_WINDOW_DAYS
    return judged.with_columns(avg_daily_units=average).with_columns(
        cover_days=pl.when(pl.col("avg_daily_units") > 0).then(pl.col("on_hand") / pl.col("avg_daily_units")))


def low_stock(products: pl.DataFrame) -> pl.DataFrame:
    """Products with days of cover < 7 (out of stock first), then by product."""
    return with_cover(products).filter(pl.col("cover_days") < LOW_STOCK_COVER_DAYS).sort(
        ["cover_days", "product_id"])


def dead_stock(products: pl.DataFrame, day: date) -> pl.DataFrame:
    """Products with on hand > 0 and no non-refund sale in the 90 days ending on `day`, largest value first."""
    since = day - timedelta(days=DEAD_STOCK_DAYS - 1)
    unsold = pl.col("last_sale").is_null() | (pl.col("last_sale") < since)
    return products.filter((pl.col("on_hand") > 0) & unsold).sort(
        ["value", "product_id"], descending=[True, False], nulls_last=True)


def _grouped_stock(products: pl.DataFrame, key: str, label: str, missing: str) -> pl.DataFrame:
    stocked = products.filter(pl.col("in_snapshot"))
    grouped = stocked.group_by(key).agg(pl.col(label).first().fill_null(missing).alias("label"),
                                        pl.col("on_hand").sum().alias("quantity"), pl.col("value").sum())
    return grouped.sort(["value", "label"], descending=[True, False], nulls_last=True)


def stock_by_category(products: pl.DataFrame) -> pl.DataFrame:
    """On hand quantity and value per product category (path without the common root)."""
    return _grouped_stock(products, "category_id", "category", "(unknown)")


def stock_by_brand(products: pl.DataFrame) -> pl.DataFrame:
    """On hand quantity and value per brand; products without one under `(no brand)`."""
    return _grouped_stock(products, "brand_id", "brand", "(no brand)")


def period_product_sales(lake: Lake, selection: Selection) -> pl.DataFrame:
    """Revenue and units per product over the period's sales lines (both channels), with labels."""
    params: dict[str, Any] = {"start": selection.start, "end": selection.end}
    scope = product_condition(selection, params)
    return _with_category(lake, lake.query(
        f"""{with_clause(selection, f'''sold AS (
        SELECT product_id, sum(revenue) AS revenue, sum(units) AS units FROM sales_products
        WHERE date BETWEEN $start AND $end AND {scope} GROUP BY product_id
    )''')}
    SELECT product_id, {PRODUCT_LABELS}, revenue, units FROM sold LEFT JOIN dim_products USING (product_id)""",
        params,
    ))


def units_received(lake: Lake, selection: Selection) -> float:
    """Σ quantity of the period's incoming and production_in moves."""
    params: dict[str, Any] = {"start": selection.start, "end": selection.end, "received": list(RECEIVED_TYPES)}
    scope = product_condition(selection, params)
    frame = lake.query(
        f"""{with_clause(selection)} SELECT coalesce(sum(quantity), 0.0) AS received FROM {MOVES_DAILY}
    WHERE date BETWEEN $start AND $end AND list_contains($received, movement_type) AND {scope}""",
        params,
    )
    return float(frame.item())


@dataclass(frozen=True)
class SellThrough:
    units_sold: float
    units_received: float

    @property
    def pct(self) -> float | None:
        """Units sold ÷ units received × 100; None when nothing was received."""
        return self.units_sold / self.units_received * 100 if self.units_received else None


def abc_classes(sales: pl.DataFrame) -> pl.DataFrame:
    """The SKUs with positive revenue ranked by revenue: rank, share and cumulative share of revenue (%), class."""
    ranked = sales.filter(pl.col("revenue") > 0).sort(["revenue", "product_id"], descending=[True, False])
    count = ranked.height
    rank = pl.int_range(1, count + 1, dtype=pl.Int64)
    total = ranked["revenue"].sum() if count else 0.0
    abc = pl.lit("C")
    for label, share in reversed(ABC_CUMULATIVE_SHARES):
        abc = pl.when(pl.col("rank") <= -(-count * share // 100)).then(pl.lit(label)).otherwise(abc)
    return ranked.with_columns(rank=rank).with_columns(
        revenue_share=pl.col("revenue") / total * 100 if total else pl.lit(None, pl.Float64),
        cumulative_share=pl.col("revenue").cum_sum() / total * 100 if total else pl.lit(None, pl.Float64),
        abc=abc,
    )


def abc_summary(classes: pl.DataFrame) -> pl.DataFrame:
    """Per class A/B/C: SKUs, revenue and share of revenue (classes without SKUs shown with zeros)."""
    grouped = classes.group_by("abc").agg(pl.len().alias("skus"), pl.col("revenue").sum())
    frame = pl.DataFrame({"abc": ["A", "B", "C"]}).join(grouped, on="abc", how="left").fill_null(0)
    total = frame["revenue"].sum()
    return frame.with_columns(
        revenue_share=pl.col("revenue") / total * 100 if total else pl.lit(None, pl.Float64),
        skus=pl.col("skus").cast(pl.Int64))


def moves_coverage(lake: Lake, selection: Selection, today: date) -> PeriodCoverage:
    """Which days of the period have their stock moves loaded (movements, sell-through's receipts), are still to
    come, or are in progress."""
    return period_coverage(selection.start, selection.end, set(lake.loaded_days(MOVES_FACT)), today,
                           set(lake.partial_days(MOVES_FACT)))


def movements(lake: Lake, selection: Selection) -> pl.DataFrame:
    """Σ quantity and move lines per business day and movement_type in the period."""
    params: dict[str, Any] = {"start": selection.start, "end": selection.end}
    scope = product_condition(selection, params)
    return lake.query(
        f"""{with_clause(selection)} SELECT date, movement_type, sum(quantity) AS quantity,
           CAST(sum(lines) AS BIGINT) AS lines
    FROM {MOVES_DAILY} WHERE date BETWEEN $start AND $end AND {scope}
    GROUP BY date, movement_type ORDER BY date, movement_type""",
        params,
    )


def stock_variance(lake: Lake, selection: Selection, day: date, products: pl.DataFrame) -> pl.DataFrame:
    """Per storable product: on hand from moves (every published move up to `day`, as
    etl.stock_positions.on_hand_from_moves counts them, summed per product: the `net_quantity` of `moves_daily`), on
    hand from quants (the snapshot of `day`), variance = moves − quants; the products whose variance is not zero,
    largest first."""
    params: dict[str, Any] = {"day": day}
    scope = product_condition(selection, params)
    from_moves = lake.query(
        f"""{with_clause(selection)} SELECT product_id, sum(net_quantity) AS moves_qty FROM {MOVES_DAILY}
    WHERE date <= $day AND {scope} GROUP BY product_id""",
        params,
    )
    quants = products.filter(pl.col("in_snapshot")).select("product_id", pl.col("on_hand").alias("quant_qty"))
    joined = from_moves.join(quants, on="product_id", how="full", coalesce=True).with_columns(
        pl.col("moves_qty", "quant_qty").fill_null(0.0))
    storable = lake.query("SELECT product_id, name AS product, default_code FROM dim_products "
                          "WHERE product_type = $storable", {"storable": STORABLE})
    return joined.join(storable, on="product_id", how="inner").with_columns(
        variance=pl.col("moves_qty") - pl.col("quant_qty")).filter(
        pl.col("variance").abs() > VARIANCE_TOLERANCE).sort(
        [pl.col("variance").abs(), pl.col("product_id")], descending=[True, False])


@dataclass(frozen=True)
class Coverage:
    """How much history the windows rest on: loaded sales days in the cover and dead-stock windows, the first
    loaded move day (variance only balances when every day since the first stock move is loaded)."""

    cover_days_loaded: int
    dead_stock_days_loaded: int
    first_move_day: date | None


def coverage(lake: Lake, day: date) -> Coverage:
    sales_days = {loaded for fact in SALES_FACTS for loaded in lake.loaded_days(fact)}

    def loaded_within(days: int) -> int:
        return sum(1 for offset in range(days) if day - timedelta(days=offset) in sales_days)

    move_days = lake.loaded_days(MOVES_FACT)
    return Coverage(loaded_within(COVER_WINDOW_DAYS), loaded_within(DEAD_STOCK_DAYS),
                    move_days[0] if move_days else None)


@dataclass(frozen=True)
class StockSummary:
    """The headline stock numbers of a snapshot."""

    on_hand_units: float
    on_hand_value: float
    unvalued_positions: int
    skus_in_stock: int
    low_stock_skus: int
    dead_stock_skus: int
    dead_stock_value: float
    variance_skus: int


@dataclass(frozen=True)
class InventoryPage:
    """Everything the Inventory page shows for one selection; the stock parts are None without a snapshot."""

    snapshot_day: date | None
    sources: list[str]
    summary: StockSummary | None
    by_location: pl.DataFrame | None
    by_category: pl.DataFrame | None
    by_brand: pl.DataFrame | None
    low_stock: pl.DataFrame | None
    dead_stock: pl.DataFrame | None
    variance: pl.DataFrame | None
    coverage: Coverage | None
    sell_through: SellThrough
    abc: pl.DataFrame
    abc_summary: pl.DataFrame
    movements: pl.DataFrame


def _summary(products: pl.DataFrame, low: pl.DataFrame, dead: pl.DataFrame, variance: pl.DataFrame) -> StockSummary:
    stocked = products.filter(pl.col("in_snapshot"))
    return StockSummary(
        on_hand_units=float(stocked["on_hand"].sum()),
        on_hand_value=float(stocked["value"].sum()),
        unvalued_positions=int(stocked["unvalued_positions"].sum()),
        skus_in_stock=stocked.filter(pl.col("on_hand") > 0).height,
        low_stock_skus=low.height,
        dead_stock_skus=dead.height,
        dead_stock_value=float(dead["value"].sum()),
        variance_skus=variance.height,
    )


def inventory_page(lake: Lake, selection: Selection) -> InventoryPage:
    """The Inventory page's queries for `selection`."""
    sales = period_product_sales(lake, selection)
    classes = abc_classes(sales)
    common = {
        "sell_through": SellThrough(float(sales["units"].sum()), units_received(lake, selection)),
        "abc": classes, "abc_summary": abc_summary(classes), "movements": movements(lake, selection),
    }
    day = snapshot_day(lake, selection)
    if day is None:
        return InventoryPage(None, [], None, None, None, None, None, None, None, None, **common)
    products = product_stock(lake, selection, day)
    low, dead = low_stock(products), dead_stock(products, day)
    variance = stock_variance(lake, selection, day, products)
    return InventoryPage(
        snapshot_day=day, sources=snapshot_sources(lake, day), summary=_summary(products, low, dead, variance),
        by_location=stock_by_location(lake, selection, day), by_category=stock_by_category(products),
        by_brand=stock_by_brand(products), low_stock=low, dead_stock=dead, variance=variance,
        coverage=coverage(lake, day), **common,
    )

"""Sales KPIs and breakdowns (DESIGN §6): the one definition of each number the pages show.

Every query reads the `sales_lines` serving table (built from `fact_sales_all`, POS + invoices) through the same
filtered-lines CTE, so a KPI means the same on every page: Revenue = Σ revenue (tax incl.); Net sales = Σ revenue_excl_tax; Orders = distinct orders with a
non-refund line; AOV = revenue ÷ orders; Units = Σ quantity; Refunds = Σ revenue of refund lines (negative).
Filters are values passed as query parameters; a category filter includes all its descendant categories (parent
chain of dim_categories). Results are polars frames or plain values; rounding is left to `services.formatting`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import polars as pl

from services.duckdb_connector import Lake, latest_loaded_day, loaded_sales_days

KPI_NAMES = ("revenue", "net_sales", "orders", "aov", "units", "refunds")


@dataclass(frozen=True)
class SalesFilters:
    """What the user selected: an inclusive business-day range and optional store/category/brand ids."""

    start: date
    end: date
    store_ids: tuple[int, ...] = field(default=())
    category_ids: tuple[int, ...] = field(default=())
    brand_ids: tuple[int, ...] = field(default=())

    @property
    def cuts_orders(self) -> bool:
        """Whether a filter selects some lines of an order but not others (product-level filters do)."""
        return bool(self.category_ids or self.brand_ids)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> SalesFilters:
        """The period of equal length that ends the day before `start`."""
        end = self.start - timedelta(days=1)
        return SalesFilters(end - timedelta(days=self.days - 1), end, self.store_ids, self.category_ids,
                            self.brand_ids)


def orders_sql(filters: SalesFilters) -> str:
    """Orders = distinct orders with a non-refund line among the selected lines.

    When every filter is order-level, each order's `first_sale_line` is selected with the order, so counting the flag
    is the same number without hashing millions of order ids; product-level filters need the distinct count.
    """
    if filters.cuts_orders:
        return "count(DISTINCT order_id) FILTER (WHERE NOT is_refund)"
    return "count(*) FILTER (WHERE first_sale_line)"


def _filtered_lines(filters: SalesFilters) -> tuple[str, dict[str, Any]]:
    """`WITH [RECURSIVE] … lines AS (…)`: the sales lines the filters select, grain one row per sales line.

    The SQL text depends only on which filters are set, never on their values (those are parameters).
    """
    params: dict[str, Any] = {"start": filters.start, "end": filters.end}
    ctes: list[str] = []
    conditions = ["date BETWEEN $start AND $end"]
    if filters.store_ids:
        params["store_ids"] = list(filters.store_ids)
        conditions.append("list_contains($store_ids, store_id)")
    if filters.category_ids:
        params["category_ids"] = list(filters.category_ids)
        ctes.append("""category_tree AS (
        SELECT category_id FROM dim_categories WHERE list_contains($category_ids, category_id)
        UNION
        SELECT child.category_id FROM dim_categories AS child JOIN category_tree ON child.parent_id = category_tree.category_id
    )""")
        conditions.append(
            "product_id IN (SELECT product_id FROM dim_products WHERE category_id IN (SELECT category_id FROM category_tree))"
        )
    if filters.brand_ids:
        params["brand_ids"] = list(filters.brand_ids)
        conditions.append("product_id IN (SELECT product_id FROM dim_products WHERE list_contains($brand_ids, brand_id))")
    where = "\n        AND ".join(conditions)
    ctes.append(f"""lines AS (
        SELECT * FROM sales_lines
        WHERE {where}
    )""")
    keyword = "WITH RECURSIVE" if filters.category_ids else "WITH"
    return f"{keyword} " + ",\n    ".join(ctes), params


def _change_pct(current: float | None, previous: float | None) -> float | None:
    if current is None or not previous:
        return None
    return (current - previous) / abs(previous) * 100


@dataclass(frozen=True)
class Kpi:
    """One KPI for the selected period, the previous period of equal length, and the change in percent."""

    name: str
    value: float
    previous: float | None  # None when no day of the previous period is loaded ("not loaded" is not "no sales")
    change_pct: float | None


def sales_cube(lake: Lake, filters: SalesFilters) -> pl.DataFrame:
    """The selected lines summed per business day × local weekday × local hour × store (the page's order grain).

    Every order falls in exactly one cell (one day, one time, one store), so distinct-order counts add up across
    cells, and KPIs, the daily trend, the heatmap and the store comparison are all sums over this one result.
    Invoice lines have no time or store: their cells carry nulls there.
    """
    ctes, params = _filtered_lines(filters)
    return lake.query(
        f"""{ctes},
    cells AS (
        SELECT date, local_weekday AS weekday, local_hour AS hour, store_id, sum(revenue) AS revenue,
               sum(revenue_excl_tax) AS net_sales, {orders_sql(filters)} AS orders, sum(quantity) AS units,
               coalesce(sum(revenue) FILTER (WHERE is_refund), 0) AS refunds
        FROM lines GROUP BY ALL
    )
    SELECT cells.*, coalesce(dim_stores.name, 'Store ' || cells.store_id) AS store
    FROM cells LEFT JOIN dim_stores USING (store_id)""",
        params,
    )


def _cube_kpis(cube: pl.DataFrame) -> dict[str, float]:
    totals = cube.select(pl.col("revenue", "net_sales", "orders", "units", "refunds").sum())
    return _kpi_values(totals.row(0, named=True))


def kpi_comparison(lake: Lake, filters: SalesFilters, cube: pl.DataFrame | None = None) -> dict[str, Kpi]:
    """The six headline KPIs for the period and the previous period of equal length."""
    current = _cube_kpis(sales_cube(lake, filters) if cube is None else cube)
    earlier = filters.previous()
    loaded = any(earlier.start <= day <= earlier.end for day in loaded_sales_days(lake))
    previous: dict[str, float | None] = _cube_kpis(sales_cube(lake, earlier)) if loaded else dict.fromkeys(KPI_NAMES)
    return {name: Kpi(name, current[name], previous[name], _change_pct(current[name], previous[name]))
            for name in KPI_NAMES}


def _kpi_values(row: dict[str, Any]) -> dict[str, float]:
    revenue = row.get("revenue") or 0.0
    orders = row.get("orders") or 0
    return {
        "revenue": revenue,
        "net_sales": row.get("net_sales") or 0.0,
        "orders": float(orders),
        "aov": revenue / orders if orders else 0.0,
        "units": row.get("units") or 0.0,
        "refunds": row.get("refunds") or 0.0,
    }


def daily_trend(cube: pl.DataFrame, filters: SalesFilters) -> pl.DataFrame:
    """One row per business day of the range (zero on days without sales): revenue, net sales, orders."""
    calendar = pl.DataFrame({"date": pl.date_range(filters.start, filters.end, eager=True)})
    by_day = cube.group_by("date").agg(pl.col("revenue", "net_sales", "orders").sum())
    return calendar.join(by_day, on="date", how="left").fill_null(0).sort("date")


def hour_weekday_heatmap(cube: pl.DataFrame) -> pl.DataFrame:
    """Revenue and orders by ISO weekday (1 = Monday) × hour of day, both in the business timezone.

    `order_ts` is UTC; the serving table converts it with the business timezone, so 17:30 UTC is 00:30 WIB of the
    next day. Invoice lines have no time of day and are left out.
    """
    timed = cube.filter(pl.col("hour").is_not_null())
    return timed.group_by("weekday", "hour").agg(pl.col("revenue", "orders").sum()).sort("weekday", "hour")


def product_sales(lake: Lake, filters: SalesFilters) -> pl.DataFrame:
    """One row per product sold: revenue, units, and the product's name, category (complete path) and brand."""
    ctes, params = _filtered_lines(filters)
    return lake.query(
        f"""{ctes},
    by_product AS (
        SELECT product_id, sum(revenue) AS revenue, sum(quantity) AS units FROM lines GROUP BY product_id
    )
    SELECT product_id, dim_products.name, category_id, category_name, brand_id, brand_name, revenue, units
    FROM by_product LEFT JOIN dim_products USING (product_id)""",
        params,
    )


def _top_by(products: pl.DataFrame, key: str, label: str, limit: int) -> pl.DataFrame:
    """Revenue and units by a product attribute (`key` id, `label` name), largest revenue first."""
    grouped = products.group_by(key).agg(
        pl.col(label).first().fill_null("(unknown)").alias("label"), pl.col("revenue").sum(), pl.col("units").sum()
    )
    return grouped.rename({key: "key"}).sort(["revenue", "label"], descending=[True, False]).head(limit)


def top_products(products: pl.DataFrame, limit: int = 10) -> pl.DataFrame:
    return _top_by(products, "product_id", "name", limit)


def top_categories(products: pl.DataFrame, limit: int = 10) -> pl.DataFrame:
    """By the product's own category (complete path, e.g. `Food / Snacks`)."""
    return _top_by(products, "category_id", "category_name", limit)


def top_brands(products: pl.DataFrame, limit: int = 10) -> pl.DataFrame:
    """By brand; products without a brand are grouped under `(no brand)`."""
    frame = _top_by(products, "brand_id", "brand_name", limit)
    return frame.with_columns(
        label=pl.when(pl.col("key").is_null()).then(pl.lit("(no brand)")).otherwise(pl.col("label"))
    )


def store_comparison(cube: pl.DataFrame) -> pl.DataFrame:
    """Revenue, orders and AOV per store (POS only: invoice lines have no store)."""
    stores = cube.filter(pl.col("store_id").is_not_null()).group_by("store_id", "store").agg(
        pl.col("revenue", "orders").sum()
    )
    aov = pl.when(pl.col("orders") > 0).then(pl.col("revenue") / pl.col("orders"))
    return stores.with_columns(aov=aov).sort("revenue", descending=True)


def payment_mix(lake: Lake, filters: SalesFilters) -> pl.DataFrame:
    """Σ amount by payment method name (POS payments; change rows are negative so the sum is what was kept).

    Payments belong to whole orders, so only the date range and store filters apply.
    """
    params: dict[str, Any] = {"start": filters.start, "end": filters.end}
    store_condition = ""
    if filters.store_ids:
        params["store_ids"] = list(filters.store_ids)
        store_condition = "AND list_contains($store_ids, store_id)"
    return lake.query(
        f"""WITH payments AS (
        SELECT payment_method_id, amount FROM payments_daily
        WHERE date BETWEEN $start AND $end {store_condition}
    ),
    by_method AS (
        SELECT payment_method_id, sum(amount) AS amount FROM payments GROUP BY payment_method_id
    )
    SELECT payment_method_id, coalesce(dim_payment_methods.name, 'Method ' || payment_method_id) AS method, amount
    FROM by_method LEFT JOIN dim_payment_methods USING (payment_method_id)
    ORDER BY amount DESC""",
        params,
    )


@dataclass(frozen=True)
class FilterOptions:
    """Choices for the filter bar: (id, label) pairs from the dimensions."""

    stores: list[tuple[int, str]]
    categories: list[tuple[int, str]]
    brands: list[tuple[int, str]]


def filter_options(lake: Lake) -> FilterOptions:
    def pairs(sql: str) -> list[tuple[int, str]]:
        return [(int(key), str(label)) for key, label in lake.query(sql).iter_rows()]

    return FilterOptions(
        stores=pairs("SELECT store_id, name FROM dim_stores ORDER BY name"),
        categories=pairs("SELECT category_id, coalesce(complete_name, name) AS label FROM dim_categories ORDER BY label"),
        brands=pairs("SELECT brand_id, name FROM dim_brands ORDER BY name"),
    )


def default_period(lake: Lake, today: date, days: int = 30) -> SalesFilters:
    """The last `days` business days ending at the latest loaded day (or `today` when nothing is loaded)."""
    end = latest_loaded_day(lake) or today
    return SalesFilters(end - timedelta(days=days - 1), end)


@dataclass(frozen=True)
class SalesPage:
    """Everything the Sales page shows for one selection."""

    kpis: dict[str, Kpi]
    trend: pl.DataFrame
    heatmap: pl.DataFrame
    stores: pl.DataFrame
    top_products: pl.DataFrame
    top_categories: pl.DataFrame
    top_brands: pl.DataFrame
    payments: pl.DataFrame


def sales_page(lake: Lake, filters: SalesFilters) -> SalesPage:
    """The Sales page's queries for `filters` (also what the dashboard benchmark times)."""
    cube, products = sales_cube(lake, filters), product_sales(lake, filters)
    return SalesPage(
        kpis=kpi_comparison(lake, filters, cube),
        trend=daily_trend(cube, filters),
        heatmap=hour_weekday_heatmap(cube),
        stores=store_comparison(cube),
        top_products=top_products(products),
        top_categories=top_categories(products),
        top_brands=top_brands(products),
        payments=payment_mix(lake, filters),
    )

"""Sales KPIs and breakdowns (DESIGN §6): the one definition of each number the pages show.

Every query reads the `sales_lines` serving table (built from `fact_sales_all`, POS + invoices) through the same
filtered-lines CTE, so a KPI means the same on every page: Revenue = Σ revenue (tax incl.); Net sales = Σ
revenue_excl_tax; Orders = distinct orders with a non-refund line; AOV = revenue ÷ orders; Units = Σ quantity;
Refunds = Σ revenue of refund lines (negative); Basket size = units sold ÷ orders; Discount depth = discount given ÷
(revenue + discount given) of the sold lines. Filters are values passed as query parameters; a category filter
includes all its descendant categories (parent chain of dim_categories). Comparisons (previous period, same dates
last year) use only the days loaded in both periods (services.periods). Results are polars frames or plain values;
rounding is left to `services.formatting`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import polars as pl

from services.duckdb_connector import Lake, latest_loaded_day
from services.lake_sql import (BASKET_UNITS, CASHIER_COLUMNS, CASHIER_SUMS, CELL_SUMS, CUBE_COLUMNS, CUBE_GRAIN,
                               ORDER_SUMS_SQL, cube_sql, product_lines_sql, resummed)
from services.filters import Selection, category_labels, category_tree_cte
from services.periods import (COMPARISONS, LAST_YEAR, PREVIOUS, Change, Coverage, Window, comparison_window, coverage,
                              days_between, loaded_in_all)
from services.scoped_tables import BRAND, CATEGORY, Scope, scope_rows_sql

# From this range on, a product filter reads the base's product-clustered lines (a category's lines over the whole
# lake) rather than the date-ordered ones (every line of the range's days).
BY_PRODUCT_FROM_DAYS = 60
KPI_NAMES = ("revenue", "net_sales", "orders", "aov", "units", "refunds")  # the headline six (Overview)
SALES_KPI_NAMES = (*KPI_NAMES, "basket_size", "discount_depth")  # the Sales page's cards
# Whether a rise is good news for the owner: refunds compare by their size (more refunded is bad whatever the sign),
# deeper discounts are neither (a promotion may be intended).
HIGHER_IS_BETTER: dict[str, bool | None] = {
    "revenue": True, "net_sales": True, "orders": True, "aov": True, "units": True, "refunds": False,
    "basket_size": True, "discount_depth": None,
}
CHANNEL_FACTS = {"pos": "fact_sales", "invoice": "fact_invoice_sales"}
TREND_GRAIN = ("date", "channel")  # the coarsest cube a daily trend (per channel) is summed from


@dataclass(frozen=True)
class SalesFilters:
    """What the user selected: an inclusive business-day range and optional store/category/brand ids and channel.

    `only_days`, when set, restricts the range to those business days (a comparison over the days loaded in both
    periods).
    """

    start: date
    end: date
    store_ids: tuple[int, ...] = field(default=())
    category_ids: tuple[int, ...] = field(default=())
    brand_ids: tuple[int, ...] = field(default=())
    channel: str | None = None  # 'pos' | 'invoice' | None (both)
    only_days: tuple[date, ...] | None = None

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
        return replace(self, start=end - timedelta(days=self.days - 1), end=end, only_days=None)

    def over(self, start: date, end: date, only_days: tuple[date, ...] | None = None) -> SalesFilters:
        """The same filters over another range (and day subset)."""
        return replace(self, start=start, end=end, only_days=only_days)


def sales_filters(selection: Selection) -> SalesFilters:
    """The filter bar's selection as sales filters."""
    return SalesFilters(selection.start, selection.end, selection.store_ids, selection.category_ids,
                        selection.brand_ids, selection.channel)


def orders_sql(filters: SalesFilters) -> str:
    """Orders = distinct orders with a non-refund line among the selected lines.

    When every filter is order-level, each order's `first_sale_line` is selected with the order, so counting the flag
    is the same number without hashing millions of order ids; product-level filters need the distinct count.
    """
    if filters.cuts_orders:
        return "count(DISTINCT order_id) FILTER (WHERE NOT is_refund)"
    return "count(*) FILTER (WHERE first_sale_line)"


def _order_conditions(filters: SalesFilters, params: dict[str, Any]) -> list[str]:
    """WHERE conditions of the order-level filters (range, days, channel, stores); their values go to `params`."""
    params.update(start=filters.start, end=filters.end)
    conditions = ["date BETWEEN $start AND $end"]
    if filters.only_days is not None:
        params["only_days"] = list(filters.only_days)
        conditions.append("list_contains($only_days, date)")
    if filters.channel:
        params["channel"] = filters.channel
        conditions.append("channel = $channel")
    if filters.store_ids:
        params["store_ids"] = list(filters.store_ids)
        conditions.append("list_contains($store_ids, store_id)")
    return conditions


def filtered_rows(filters: SalesFilters, table: str = "sales_lines",
                  scope: Scope | None = None) -> tuple[str, dict[str, Any]]:
    """`WITH [RECURSIVE] … lines AS (…)`: the rows of the serving table `table` the filters select (grain: the
    table's, one row per sales line for `sales_lines`).

    With `scope` (the filters' one category or brand, when `served` serves it), the rows of the order-level table
    `table` for that scope (services.scoped_tables). Otherwise product-level filters select `selected_products`; sales
    lines of those are read from the product-clustered copy of the shared base (services.lake_sql.product_lines_sql).
    The SQL text depends only on which filters are set, never on their values (those are parameters).
    """
    params: dict[str, Any] = {}
    ctes: list[str] = []
    where = "\n        AND ".join(_order_conditions(filters, params))
    if scope is not None:
        params.update(scope_kind=scope[0], scope_id=scope[1])
        return f"WITH lines AS (\n        {scope_rows_sql(table, where)}\n    )", params
    product: list[str] = []
    if filters.category_ids:
        params["category_ids"] = list(filters.category_ids)
        ctes.append(category_tree_cte())
        product.append("category_id IN (SELECT category_id FROM category_tree)")
    if filters.brand_ids:
        params["brand_ids"] = list(filters.brand_ids)
        product.append("list_contains($brand_ids, brand_id)")
    if product:
        ctes.append(f"selected_products AS (SELECT product_id FROM dim_products WHERE {' AND '.join(product)})")
    if product and table == "sales_lines" and filters.days > BY_PRODUCT_FROM_DAYS:
        source = product_lines_sql("selected_products", where)
    else:
        selected = "\n        AND product_id IN (SELECT product_id FROM selected_products)" if product else ""
        source = f"SELECT * FROM {table}\n        WHERE {where}{selected}"
    ctes.append(f"""lines AS (
        {source}
    )""")
    keyword = "WITH RECURSIVE" if filters.category_ids else "WITH"
    return f"{keyword} " + ",\n    ".join(ctes), params


def product_scope(filters: SalesFilters) -> Scope | None:
    """The one product scope the filters select: a single category (with its subcategories) or a single brand."""
    if len(filters.category_ids) == 1 and not filters.brand_ids:
        return CATEGORY, filters.category_ids[0]
    if len(filters.brand_ids) == 1 and not filters.category_ids:
        return BRAND, filters.brand_ids[0]
    return None


@dataclass(frozen=True)
class Served:
    """The selection is read from order-level serving tables: the unscoped ones (`scope` None: no product filter)
    or those of one product scope."""

    scope: Scope | None = None


def served(lake: Lake, filters: SalesFilters) -> Served | None:
    """How order-level serving tables serve the selection; None when its lines must be summed (several categories
    or brands, a category and a brand, or a scope the lake does not serve now)."""
    if not filters.cuts_orders:
        return Served()
    scope = product_scope(filters)
    return Served(scope) if scope is not None and lake.serves_scope(*scope) else None


def sales_days(lake: Lake, channel: str | None = None) -> set[date]:
    """Business days whose sales are loaded for `channel` (both: days loaded for every channel ever loaded)."""
    channels = [channel] if channel else list(CHANNEL_FACTS)
    return loaded_in_all(lake.loaded_days(CHANNEL_FACTS[name]) for name in channels
                         if CHANNEL_FACTS[name] in _facts(lake))


def sales_partial_days(lake: Lake, channel: str | None = None) -> set[date]:
    """Loaded days still in progress (today so far) in any selected channel."""
    channels = [channel] if channel else list(CHANNEL_FACTS)
    return {day for name in channels if CHANNEL_FACTS[name] in _facts(lake)
            for day in lake.partial_days(CHANNEL_FACTS[name])}


def _facts(lake: Lake) -> set[str]:
    from etl.catalog import fact_schemas  # the catalogue (never the ETL registry)

    return set(fact_schemas())


def sales_coverage(lake: Lake, filters: SalesFilters, today: date) -> Coverage:
    """Which days of the selection are loaded, still to come, or in progress."""
    return coverage(filters.start, filters.end, sales_days(lake, filters.channel), today,
                    sales_partial_days(lake, filters.channel))


def _change_pct(current: float | None, previous: float | None) -> float | None:
    if current is None or not previous:
        return None
    return (current - previous) / abs(previous) * 100


@dataclass(frozen=True)
class Kpi:
    """One KPI for the selected period with its comparisons (previous period of equal length, same dates last
    year). Sums over days without sales are 0; ratios without a denominator (AOV with no order) are None."""

    name: str
    value: float | None
    vs_previous: Change
    vs_last_year: Change

    @property
    def previous(self) -> float | None:
        """The previous period's value; None when none of its days is loaded ("not loaded" is not "no sales")."""
        return self.vs_previous.value

    @property
    def change_pct(self) -> float | None:
        return self.vs_previous.change_pct


def sales_cube(lake: Lake, filters: SalesFilters, grain: Sequence[str] = tuple(CUBE_GRAIN)) -> pl.DataFrame:
    """The selected lines summed per business day × channel × local weekday × local hour × store (the order grain),
    or per cell of a coarser `grain` (some of CUBE_GRAIN's columns, e.g. the day alone).

    Every order falls in exactly one cell (one day, one channel, one time, one store), so distinct-order counts add
    up across cells, and KPIs, the daily trend, the heatmap and the store comparison are all sums over this one
    result. Invoice lines have no time or store: their cells carry nulls there.

    Without a product-level filter the cube is a sum of the `sales_cells` serving table (the same measures per cell
    and source day, services.lake_sql.cube_sql); with one, the selected lines are summed.
    """
    how = served(lake, filters)
    if how is None:
        ctes, params = filtered_rows(filters)
        cells = cube_sql("lines", {name: CUBE_GRAIN[name] for name in grain})
    else:
        ctes, params = filtered_rows(filters, "sales_cells", how.scope)
        cells = f"SELECT {', '.join(grain)}, {CELL_SUMS} FROM lines GROUP BY ALL"
    if "store_id" not in grain:
        return lake.query(f"{ctes},\n    cells AS ({cells})\n    SELECT * FROM cells", params)
    return lake.query(
        f"""{ctes},
    cells AS ({cells})
    SELECT cells.*, coalesce(dim_stores.name, 'Store ' || cells.store_id) AS store
    FROM cells LEFT JOIN dim_stores USING (store_id)""",
        params,
    )


_SUMMED = CUBE_COLUMNS


def _ratio(numerator: float, denominator: float, scale: float = 1.0) -> float | None:
    return numerator / denominator * scale if denominator else None


def kpi_values(totals: dict[str, Any]) -> dict[str, float | None]:
    """The KPIs from summed cube columns (DESIGN §6 and docs/KPIS.md)."""
    revenue, orders = totals.get("revenue") or 0.0, totals.get("orders") or 0
    sold, discount = totals.get("sold_revenue") or 0.0, totals.get("discount") or 0.0
    return {
        "revenue": revenue,
        "net_sales": totals.get("net_sales") or 0.0,
        "orders": float(orders),
        "aov": _ratio(revenue, orders),
        "units": totals.get("units") or 0.0,
        "refunds": totals.get("refunds") or 0.0,
        "basket_size": _ratio(totals.get("sold_units") or 0.0, orders),
        "discount_depth": _ratio(discount, sold + discount, 100.0),
    }


def _cube_kpis(cube: pl.DataFrame) -> dict[str, float | None]:
    return kpi_values(cube.select(pl.col(*_SUMMED).sum()).row(0, named=True))


def _compared(name: str, current: float | None, earlier: float | None) -> tuple[float | None, bool | None]:
    """Change in percent (refunds: of their size) and whether it is good news."""
    if name == "refunds":
        current, earlier = (abs(v) if v is not None else None for v in (current, earlier))
    change = _change_pct(current, earlier)
    direction = HIGHER_IS_BETTER[name]
    good = None if direction is None or not change else (change > 0) == direction
    return change, good


def _period_kpis(lake: Lake, filters: SalesFilters) -> dict[str, float | None]:
    """The KPIs of a selection: the sales cube's measures over the whole selection, without its cells."""
    how = served(lake, filters)
    if how is None:
        ctes, params = filtered_rows(filters)
        sql = f"{ctes}\n    {cube_sql('lines', {})}"
    else:
        ctes, params = filtered_rows(filters, "sales_cells", how.scope)
        sql = f"{ctes}\n    SELECT {CELL_SUMS} FROM lines"
    return kpi_values(lake.query(sql, params).row(0, named=True))


def _days_kpis(daily: pl.DataFrame, start: date, end: date, days: Collection[date] | None) -> dict[str, float | None]:
    """The KPIs of the days start..end (only `days` when given) of a per-day cube."""
    rows = daily.filter(pl.col("date").is_between(start, end))
    if days is not None:
        rows = rows.filter(pl.col("date").is_in(list(days)))
    return _cube_kpis(rows)


def _comparison_daily(lake: Lake, filters: SalesFilters, windows: Collection[Window],
                      current_known: bool) -> pl.DataFrame:
    """One query for every comparison: the cube per business day over the days the windows compare (and the
    period's matched days when the period's own values are not known per day yet)."""
    days: set[date] = set()
    for window in windows:
        if not window.available:
            continue
        days.update(window.compare_days if window.compare_days is not None
                    else days_between(window.start, window.end))
        if window.restricted and not current_known:
            days.update(window.current_days or ())
    if not days:
        return pl.DataFrame(schema={"date": pl.Date, **dict.fromkeys(_SUMMED, pl.Float64)})
    return sales_cube(lake, filters.over(min(days), max(days), tuple(sorted(days))), ("date",))


def kpi_comparison(lake: Lake, filters: SalesFilters, cube: pl.DataFrame | None = None) -> dict[str, Kpi]:
    """Every sales KPI for the period, against the previous period of equal length and the same dates last year,
    each compared over the days loaded in both periods only.

    `cube`: the period's sales cube when the caller has it (its cells give the period's values). The comparison
    periods are read in one query at day grain, whatever they are."""
    values = _period_kpis(lake, filters) if cube is None else _cube_kpis(cube)
    loaded = sales_days(lake, filters.channel)
    windows = [comparison_window(kind, filters.start, filters.end, loaded) for kind in COMPARISONS]
    daily = _comparison_daily(lake, filters, windows, cube is not None)
    changes: dict[str, dict[str, Change]] = {name: {} for name in SALES_KPI_NAMES}
    for window in windows:
        current, earlier = values, dict.fromkeys(values)
        if window.available:
            if window.restricted:
                current = _days_kpis(daily if cube is None else cube, filters.start, filters.end,
                                     window.current_days)
            earlier = _days_kpis(daily, window.start, window.end, window.compare_days)
        for name in SALES_KPI_NAMES:
            change, good = _compared(name, current[name], earlier[name])
            changes[name][window.kind] = Change(window.kind, current[name], earlier[name], change, window.matched,
                                                window.total, good)
    return {name: Kpi(name, values[name], changes[name][PREVIOUS], changes[name][LAST_YEAR])
            for name in SALES_KPI_NAMES}


def daily_trend(cube: pl.DataFrame, filters: SalesFilters, loaded: Collection[date] | None = None,
                partial: Collection[date] = ()) -> pl.DataFrame:
    """One row per business day of the range: revenue, net sales, orders, refunds, discount depth, revenue per
    channel, whether the day is loaded and in progress.

    With `loaded` given, a day not loaded has nulls (a gap in a chart, never a zero); otherwise days without sales
    are zero.
    """
    calendar = pl.DataFrame({"date": pl.date_range(filters.start, filters.end, eager=True)})
    by_day = cube.group_by("date").agg(
        pl.col("revenue", "net_sales", "orders", "refunds", "refund_orders", "sold_revenue", "discount").sum(),
        pos_revenue=pl.col("revenue").filter(pl.col("channel") == "pos").sum(),
        invoice_revenue=pl.col("revenue").filter(pl.col("channel") == "invoice").sum(),
    )
    trend = calendar.join(by_day, on="date", how="left").fill_null(0)
    depth = pl.when(pl.col("sold_revenue") + pl.col("discount") != 0).then(
        pl.col("discount") / (pl.col("sold_revenue") + pl.col("discount")) * 100)
    is_loaded = pl.lit(True) if loaded is None else pl.col("date").is_in(list(loaded))
    trend = trend.with_columns(discount_depth=depth, loaded=is_loaded, partial=pl.col("date").is_in(list(partial)))
    values = [column for column in trend.columns if column not in ("date", "loaded", "partial")]
    return trend.with_columns(pl.when(pl.col("loaded")).then(pl.col(values))).sort("date")


def loaded_trend(lake: Lake, filters: SalesFilters, cube: pl.DataFrame | None = None) -> pl.DataFrame:
    """`daily_trend` as the pages show it: days not loaded as gaps, days in progress marked. `cube`: the sales
    cube at TREND_GRAIN or finer, when the caller has it."""
    cube = sales_cube(lake, filters, TREND_GRAIN) if cube is None else cube
    return daily_trend(cube, filters, sales_days(lake, filters.channel), sales_partial_days(lake, filters.channel))


def hour_weekday_heatmap(cube: pl.DataFrame) -> pl.DataFrame:
    """Revenue and orders by ISO weekday (1 = Monday) × hour of day, both in the business timezone.

    `order_ts` is UTC; the serving table converts it with the business timezone, so 17:30 UTC is 00:30 WIB of the
    next day. Invoice lines have no time of day and are left out.
    """
    timed = cube.filter(pl.col("hour").is_not_null())
    return timed.group_by("weekday", "hour").agg(pl.col("revenue", "orders").sum()).sort("weekday", "hour")


def product_sales(lake: Lake, filters: SalesFilters) -> pl.DataFrame:
    """One row per product sold: revenue, units, and the product's code, name, category and brand.

    `label` is `[default_code] name` (the code tells products with the same name apart); `category_name` is the
    category path without the common root (`Food / Snacks`, not `All / Food / Snacks`).
    """
    ctes, params = filtered_rows(filters, "sales_products")
    products = lake.query(
        f"""{ctes},
    by_product AS (
        SELECT product_id, sum(revenue) AS revenue, sum(units) AS units FROM lines GROUP BY product_id
    )
    SELECT product_id, dim_products.name, default_code, category_id, brand_id, brand_name, revenue, units
    FROM by_product LEFT JOIN dim_products USING (product_id)""",
        params,
    )
    label = pl.when(pl.col("default_code").is_not_null()).then(
        pl.format("[{}] {}", pl.col("default_code"), pl.col("name"))).otherwise(pl.col("name"))
    return products.with_columns(label=label).join(
        category_labels(lake).rename({"label": "category_name"}), on="category_id", how="left")


def _top_by(products: pl.DataFrame, key: str, label: str, limit: int) -> pl.DataFrame:
    """Revenue and units by a product attribute (`key` id, `label` name), largest revenue first."""
    grouped = products.group_by(key).agg(
        pl.col(label).first().alias("label"), pl.col("revenue").sum(), pl.col("units").sum()
    )
    return grouped.rename({key: "key"}).sort(["revenue", "key"], descending=[True, False], nulls_last=True).head(limit)


def top_products(products: pl.DataFrame, limit: int = 10) -> pl.DataFrame:
    """By product id, labelled `[default_code] name`."""
    return _top_by(products, "product_id", "label", limit)


def top_categories(products: pl.DataFrame, limit: int = 10) -> pl.DataFrame:
    """By the product's own category (path without the common root, e.g. `Food / Snacks`)."""
    return _top_by(products, "category_id", "category_name", limit)


def top_brands(products: pl.DataFrame, limit: int = 10) -> pl.DataFrame:
    """By brand; products without a brand are one row with a null key."""
    return _top_by(products, "brand_id", "brand_name", limit)


def store_comparison(cube: pl.DataFrame) -> pl.DataFrame:
    """Revenue, orders and AOV per store (POS only: invoice lines have no store)."""
    stores = cube.filter(pl.col("store_id").is_not_null()).group_by("store_id", "store").agg(
        pl.col("revenue", "orders").sum()
    )
    aov = pl.when(pl.col("orders") > 0).then(pl.col("revenue") / pl.col("orders"))
    return stores.with_columns(aov=aov).sort("revenue", descending=True)


def channel_split(cube: pl.DataFrame) -> pl.DataFrame:
    """Revenue, orders and AOV per channel ('pos', 'invoice'), largest revenue first."""
    channels = cube.group_by("channel").agg(pl.col("revenue", "orders").sum())
    aov = pl.when(pl.col("orders") > 0).then(pl.col("revenue") / pl.col("orders"))
    return channels.with_columns(aov=aov).sort("revenue", descending=True)


def orders_cte(filters: SalesFilters) -> tuple[str, dict[str, Any]]:
    """`WITH … orders AS (…)`: one row per selected order with its selected lines' sums (lake_sql.ORDER_SUMS_SQL),
    summed from the selected lines (for selections that order-level serving tables do not serve)."""
    ctes, params = filtered_rows(filters)
    return f"{ctes},\n    orders AS MATERIALIZED ({ORDER_SUMS_SQL.format(lines='lines', more_keys='')})", params


# Each order breakdown's final SELECT over a relation of its rows: baskets (units, orders), cashiers (cashier_id and
# CASHIER_COLUMNS), payments (payment_method_id, amount).
_BREAKDOWN_SQL = {
    "baskets": "SELECT least(units, $largest) AS units, CAST(sum(orders) AS BIGINT) AS orders FROM {rows} "
               "WHERE units > 0 GROUP BY ALL",
    "cashiers": "SELECT by_cashier.*, dim_cashiers.name AS cashier FROM {rows} AS by_cashier "
                "LEFT JOIN dim_cashiers USING (cashier_id)",
    "payments": "SELECT payment_method_id, coalesce(dim_payment_methods.name, 'Method ' || payment_method_id) AS "
                "method, amount FROM (SELECT payment_method_id, sum(amount) AS amount FROM {rows} "
                "GROUP BY payment_method_id) AS by_method LEFT JOIN dim_payment_methods USING (payment_method_id)",
}
# The rows of each breakdown from the selected orders (`orders`: ORDER_SUMS_SQL's columns). Cashiers and payments are
# POS only; an order's payments are scaled by its selected lines' share of its revenue.
_FROM_ORDERS = {
    "baskets": f"(SELECT {BASKET_UNITS} AS units, count(*) AS orders FROM orders WHERE sold GROUP BY ALL)",
    "cashiers": f"(SELECT cashier_id, {CASHIER_SUMS} FROM orders WHERE channel = 'pos' GROUP BY cashier_id)",
    "payments": "(SELECT payment_method_id, amount * orders.revenue / order_revenue AS amount FROM order_payments "
                "JOIN orders USING (order_id) WHERE orders.channel = 'pos' AND order_revenue <> 0)",
}
_BREAKDOWN_ORDER = {"baskets": ("units", False), "cashiers": ("revenue", True), "payments": ("amount", True)}


@dataclass(frozen=True)
class OrderBreakdowns:
    """The selection's orders by basket size, by cashier and by payment method (`basket_sizes`,
    `cashier_performance`, `payment_mix`)."""

    baskets: pl.DataFrame
    cashiers: pl.DataFrame
    payments: pl.DataFrame


def _finished(part: str, frame: pl.DataFrame) -> pl.DataFrame:
    column, descending = _BREAKDOWN_ORDER[part]
    frame = frame.sort(column, descending=descending, nulls_last=True)
    if part != "cashiers":
        return frame
    per_order = pl.when(pl.col("orders") > 0)
    return frame.with_columns(aov=per_order.then(pl.col("revenue") / pl.col("orders")),
                              basket_size=per_order.then(pl.col("sold_units") / pl.col("orders")))


def order_breakdowns(lake: Lake, filters: SalesFilters, largest: int = 10) -> OrderBreakdowns:
    """Baskets, cashiers and payments of the selection. Each reads its own serving table when the selection is
    served (`served`); otherwise the selected lines are summed per order once, in one query, for all three."""
    how = served(lake, filters)
    if how is not None:
        return OrderBreakdowns(*(_order_level_breakdown(lake, filters, how, part, largest) for part in _BREAKDOWN_SQL))
    return _line_breakdowns(lake, filters, largest)


def _line_breakdowns(lake: Lake, filters: SalesFilters, largest: int) -> OrderBreakdowns:
    """The three breakdowns from the selected lines summed per order (one query)."""
    ctes, params = orders_cte(filters)
    parts = [f"{part} AS ({sql.format(rows=_FROM_ORDERS[part])})" for part, sql in _BREAKDOWN_SQL.items()]
    union = "\n    UNION ALL BY NAME ".join(f"SELECT '{part}' AS part, * FROM {part}" for part in _BREAKDOWN_SQL)
    frame = lake.query(f"{ctes},\n    " + ",\n    ".join(parts) + f"\n    {union}", {**params, "largest": largest})
    columns = {"baskets": ["units", "orders"], "cashiers": ["cashier_id", *CASHIER_COLUMNS, "cashier"],
               "payments": ["payment_method_id", "method", "amount"]}
    return OrderBreakdowns(*(_finished(part, frame.filter(pl.col("part") == part).select(columns[part]))
                             for part in _BREAKDOWN_SQL))


def _order_level_breakdown(lake: Lake, filters: SalesFilters, how: Served, part: str, largest: int) -> pl.DataFrame:
    """One breakdown from its serving table (`sales_baskets`, `sales_cashiers`, `payments_daily`, or their scope
    tables)."""
    if part == "baskets":
        ctes, params = filtered_rows(filters, "sales_baskets", how.scope)
        rows = "(SELECT units, orders FROM lines)"
    elif part == "cashiers":
        ctes, params = filtered_rows(replace(filters, channel="pos"), "sales_cashiers", how.scope)
        rows = f"(SELECT cashier_id, {resummed(CASHIER_COLUMNS)} FROM lines GROUP BY cashier_id)"
    else:  # invoices have no POS payment
        ctes, params = filtered_rows(replace(filters, channel=None), "payments_daily", how.scope)
        rows = "(SELECT * FROM lines WHERE false)" if filters.channel == "invoice" else "lines"
    if part == "baskets":
        params["largest"] = largest
    return _finished(part, lake.query(f"{ctes}\n    {_BREAKDOWN_SQL[part].format(rows=rows)}", params))


def _breakdown(lake: Lake, filters: SalesFilters, part: str, largest: int = 10) -> pl.DataFrame:
    how = served(lake, filters)
    if how is None:
        return getattr(_line_breakdowns(lake, filters, largest), part)
    return _order_level_breakdown(lake, filters, how, part, largest)


def payment_mix(lake: Lake, filters: SalesFilters) -> pl.DataFrame:
    """Σ amount by payment method name (POS payments; change rows are negative so the sum is what was kept).

    Payments belong to whole orders. With only date and store filters every payment of the selected days counts.
    With a category or brand filter, each order holding selected lines counts with its payments scaled by those
    lines' share of the order's revenue (an order paid half cash, half QRIS whose selected products are 40 % of its
    total adds 20 % of its total to each), so the mix follows the products. Invoices have no POS payment.
    """
    return _breakdown(lake, filters, "payments")


def basket_sizes(lake: Lake, filters: SalesFilters, largest: int = 10) -> pl.DataFrame:
    """Orders by units sold in the order (the selected non-refund lines): 1, 2, … and `largest`+ together."""
    return _breakdown(lake, filters, "baskets", largest)


def cashier_performance(lake: Lake, filters: SalesFilters) -> pl.DataFrame:
    """Per POS cashier (hr.employee, `dim_cashiers`): revenue, orders, AOV, units per order, refunds, discount.

    Lines without a cashier (POS without employee login) are one row with a null id.
    """
    return _breakdown(lake, filters, "cashiers")


def default_period(lake: Lake, today: date, days: int = 30) -> SalesFilters:
    """The last `days` business days ending at the latest loaded day (or `today` when nothing is loaded)."""
    end = latest_loaded_day(lake) or today
    return SalesFilters(end - timedelta(days=days - 1), end)


@dataclass(frozen=True)
class SalesPage:
    """Everything the Sales page shows for one selection (also what the dashboard benchmark times)."""

    kpis: dict[str, Kpi]
    trend: pl.DataFrame
    heatmap: pl.DataFrame
    stores: pl.DataFrame
    top_products: pl.DataFrame
    top_categories: pl.DataFrame
    top_brands: pl.DataFrame
    payments: pl.DataFrame


def sales_page(lake: Lake, filters: SalesFilters) -> SalesPage:
    """The Sales page's main queries for `filters`."""
    cube, products = sales_cube(lake, filters), product_sales(lake, filters)
    return SalesPage(
        kpis=kpi_comparison(lake, filters, cube),
        trend=loaded_trend(lake, filters, cube),
        heatmap=hour_weekday_heatmap(cube),
        stores=store_comparison(cube),
        top_products=top_products(products),
        top_categories=top_categories(products),
        top_brands=top_brands(products),
        payments=payment_mix(lake, filters),
    )

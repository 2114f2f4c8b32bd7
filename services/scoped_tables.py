"""Serving tables per product scope: the order-level serving tables again, for the lines of one category (with its
subcategories) or one brand, so a page filtered by a category or a brand sums pre-aggregated rows instead of counting
distinct orders over millions of selected lines.

Why. Orders, baskets, cashiers, payments and customers count whole orders, so under a product filter they were
computed from the selected lines at every page load (≈ 50 ms per million lines on two cores). A scope is one node of
the category tree or one brand; a line belongs to the scope of its product's brand and of its category and every
ancestor of it, as the filter bar selects them (`services.filters.category_tree_cte`). Per scope, an order lies in
one cell, on one day, with one cashier and customer, so each table below is additive over its rows like the table it
mirrors: `scope_cells` ↔ `sales_cells`, `scope_baskets` ↔ `sales_baskets`, `scope_cashiers` ↔ `sales_cashiers`,
`scope_customer_dates` ↔ `customer_dates`, `scope_payments` ↔ `payments_daily` (each POS order's payments scaled by
the scope's share of its revenue, as `services.sales_metrics.payment_mix` defines).

Where they live. Only in the shared base (services.serving_base builds them from its own `sales_lines` and
`order_payments`, with `product_scopes`, the products of every scope when it was built), sorted by scope so that one
scope is a few row groups. A reader (services.serving_reader) serves a scope from them only when the base's products
of that scope are the dimensions' products of it now (a product moved to another category makes that scope fall back
to the lines until the next base), and computes the same rows at query time, with the same SQL, for the days the base
does not hold as published (`scope_delta_lines`). A selection of several categories or brands, or of both a category
and a brand, is not one scope: it is summed from the selected lines as before; so are a scope's customers under a
store or channel filter (`scope_customer_dates` has neither).
"""

from __future__ import annotations

from dataclasses import dataclass

from services.lake_sql import (BASKET_UNITS, CASHIER_SUMS, CUSTOMER_DAY_SUMS, ORDER_SUMS_SQL, SALES_CELLS_GRAIN,
                               cube_sql)

SCOPE_PRODUCTS = "product_scopes"
DELTA_LINES = "scope_delta_lines"  # the reader's view of the sales lines of the days its base does not serve
CATEGORY, BRAND = "category", "brand"
Scope = tuple[str, int]  # (CATEGORY or BRAND, its id)

# Every (product, scope) pair from the dimension relations {products} and {categories}: a product is in the scope of
# its category and of each ancestor (parent_id chain; UNION ends a cycle) and in the scope of its brand.
PRODUCT_SCOPES_SQL = f"""
    WITH RECURSIVE ancestry AS (
        SELECT category_id, category_id AS node FROM {{categories}}
        UNION
        SELECT ancestry.category_id, parent.parent_id FROM ancestry
        JOIN {{categories}} AS parent ON parent.category_id = ancestry.node WHERE parent.parent_id IS NOT NULL
    )
    SELECT product_id, '{CATEGORY}' AS scope_kind, node AS scope_id FROM {{products}} JOIN ancestry USING (category_id)
    UNION ALL
    SELECT product_id, '{BRAND}' AS scope_kind, brand_id AS scope_id FROM {{products}} WHERE brand_id IS NOT NULL"""

# Per scope and order of the scoped lines `{lines}` (sales lines with scope_kind and scope_id): ORDER_SUMS_SQL's sums.
SCOPE_ORDERS_SQL = ORDER_SUMS_SQL.format(lines="{lines}", more_keys=", source_day, scope_kind, scope_id")
_ORDER_KEYS = "source_day, scope_kind, scope_id"


@dataclass(frozen=True)
class ScopeTable:
    """`name` mirrors the order-level serving table `mirrors` (same columns, plus scope_kind and scope_id). `sql`
    reads the scoped lines `{lines}` or, `over_orders`, the relation `scope_orders` (SCOPE_ORDERS_SQL's rows) and the
    order payments `{payments}`."""

    name: str
    mirrors: str
    sql: str
    over_orders: bool = True


SCOPE_TABLES = (
    ScopeTable("scope_cells", "sales_cells",
               cube_sql("{lines}", {**SALES_CELLS_GRAIN, "scope_kind": "scope_kind", "scope_id": "scope_id"}),
               over_orders=False),
    ScopeTable("scope_baskets", "sales_baskets",
               f"SELECT date, channel, store_id, {BASKET_UNITS} AS units, count(*) AS orders, {_ORDER_KEYS} "
               "FROM scope_orders WHERE sold GROUP BY ALL"),
    ScopeTable("scope_cashiers", "sales_cashiers",
               f"SELECT date, channel, store_id, cashier_id, {CASHIER_SUMS}, {_ORDER_KEYS} FROM scope_orders "
               "GROUP BY ALL"),
    ScopeTable("scope_customer_dates", "customer_dates",
               f"SELECT date, customer_id, {CUSTOMER_DAY_SUMS}, {_ORDER_KEYS} FROM scope_orders GROUP BY ALL"),
    ScopeTable("scope_payments", "payments_daily",
               "SELECT orders.date, orders.store_id, payment_method_id, "
               "sum(paid.amount * orders.revenue / paid.order_revenue) AS amount, orders.source_day, "
               "orders.scope_kind, orders.scope_id FROM {payments} AS paid JOIN scope_orders AS orders "
               "USING (order_id) WHERE orders.channel = 'pos' AND paid.order_revenue <> 0 GROUP BY ALL"),
)
SCOPE_TABLE_OF = {table.mirrors: table for table in SCOPE_TABLES}


def scope_table_sql(table: ScopeTable, lines: str, payments: str) -> str:
    """`table`'s rows over the scoped lines relation `lines` and the order payments `payments`."""
    rows = table.sql.format(lines=lines, payments=payments)
    return f"WITH scope_orders AS ({SCOPE_ORDERS_SQL.format(lines=lines)})\n    {rows}" if table.over_orders else rows


def scoped_lines_sql(lines: str, scopes: str) -> str:
    """The sales lines of `lines` once per scope of their product (`scopes`: product_id, scope_kind, scope_id)."""
    return f"(SELECT lines.*, scopes.scope_kind, scopes.scope_id FROM {lines} AS lines JOIN {scopes} AS scopes " \
           "USING (product_id))"


def scope_rows_sql(mirrored: str, conditions: str) -> str:
    """The rows of the order-level serving table `mirrored` for the lines of the scope ($scope_kind, $scope_id) that
    meet `conditions` (order-level: date, channel, store): the base's rows, and the same rows computed from the
    lines of the days the base does not serve (views of services.serving_reader)."""
    table = SCOPE_TABLE_OF[mirrored]
    in_scope = "scope_kind = $scope_kind AND scope_id = $scope_id"
    lines = (f"(SELECT *, $scope_kind AS scope_kind, $scope_id AS scope_id FROM {DELTA_LINES} WHERE product_id IN "
             f"(SELECT product_id FROM {SCOPE_PRODUCTS} WHERE {in_scope}) AND {conditions})")
    return f"""SELECT * EXCLUDE (scope_kind, scope_id) FROM base_{table.name} WHERE {in_scope} AND {conditions}
        UNION ALL BY NAME
        SELECT * EXCLUDE (scope_kind, scope_id) FROM ({scope_table_sql(table, lines, 'order_payments')})"""

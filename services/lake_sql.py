"""SQL text of the DuckDB views and serving tables (DESIGN §5), built from the catalogue and the schema contract.

Only identifiers from the contract and lake file paths named by the day manifests (never user input) are put into SQL
text; values are parameters.

- A fact is read from a list of files (the published ones, never a glob: unpublished or superseded version directories
  lie beside them), with the hive `year`, `month`, `day` columns of its day partition: the business day the file
  belongs to, which serving tables keep as `source_day`.
- A fact or dimension with no readable file is a typed-empty relation, so pages show "no data" rather than failing.
- `fact_sales_all`: POS and invoice sales lines in one shape (`channel` = 'pos' | 'invoice'). An invoice line has no
  cashier (null) and its `discount_amount` is derived in revenue's basis (tax incl., company currency):
  revenue × discount_pct ÷ (100 − discount_pct), null for a line given away whole (100 %).

Serving tables (`serving_tables`) are computed per source day from that day's files alone (an order's lines all
live in its day's file) and embed no dimension attribute, so a dimension change only concerns the views. Every row
carries `source_day`, the business day of the file it came from (its `date` may differ when a row is mis-dated): a
refresh replaces a day's rows by that column, so every row of a replaced file goes, whatever its `date`. They are
`sales_lines` (one row per sales line) and, derived from it, aggregates at the grains the pages read: `sales_cells`
(the sales cube), `sales_products`, `sales_orders` (one row per order), `sales_cashiers`, `sales_baskets`,
`customer_days`, `customer_dates`; from the payments, `payments_daily` and `order_payments`; from the stock moves,
`moves_daily`. Where they are kept: services.serving_base (shared file) and services.serving_reader (each process's
delta).

Grain and tax basis: fact_sales is one row per POS order line, `revenue` tax included after discount
(price_subtotal_incl), `revenue_excl_tax` = price_subtotal, refunds negative with `is_refund`; fact_payments one row
per pos.payment (change given back is a negative row); fact_invoice_sales one row per product line of a posted
non-POS customer invoice or refund, signed; fact_sales_all one row per sales line of either channel.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from etl.catalog import fact_schemas

INVOICE_FACT = "fact_invoice_sales"
MOVES_FACT = "fact_inventory_moves"
SALES_FACTS = ("fact_sales", INVOICE_FACT)
PARTITION_COLUMNS = {"year": "INTEGER", "month": "INTEGER", "day": "INTEGER"}
_DUCKDB_TYPES: dict[type[pl.DataType], str] = {
    pl.Int64: "BIGINT",
    pl.Int32: "INTEGER",
    pl.Float64: "DOUBLE",
    pl.String: "VARCHAR",
    pl.Boolean: "BOOLEAN",
    pl.Date: "DATE",
}


def duckdb_type(dtype: pl.DataType) -> str:
    if isinstance(dtype, pl.Datetime):
        return "TIMESTAMPTZ" if dtype.time_zone else "TIMESTAMP"
    return _DUCKDB_TYPES[type(dtype)]


def _typed_columns(schema: pl.Schema) -> dict[str, str]:
    return {col: duckdb_type(dtype) for col, dtype in schema.items()}


def empty_relation(columns: Mapping[str, str]) -> str:
    """SELECT of zero rows with typed columns (a table that has no readable file)."""
    typed = ", ".join(f"CAST(NULL AS {sql_type}) AS {name}" for name, sql_type in columns.items())
    return f"SELECT {typed} WHERE false"


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def fact_files_sql(files: Iterable[str | Path], schema: pl.Schema) -> str:
    """A fact over exactly `files` with the hive `year/month/day` columns; typed-empty for none."""
    paths = [sql_string(str(path)) for path in files]
    if not paths:
        return empty_relation(_typed_columns(schema) | PARTITION_COLUMNS)
    hive_types = ", ".join(f"'{col}': {sql_type}" for col, sql_type in PARTITION_COLUMNS.items())
    return (f"SELECT * FROM read_parquet([{', '.join(paths)}], hive_partitioning = true, "
            f"hive_types = {{{hive_types}}})")


def dimension_sql(path: Path | None, schema: pl.Schema) -> str:
    """A dimension over its file; typed-empty without a (readable) one."""
    if path is None:
        return empty_relation(_typed_columns(schema))
    return f"SELECT * FROM read_parquet({sql_string(str(path))})"


def probe_sql(path: Path) -> str:
    """Every column of one file: reading it whole proves the file readable."""
    return f"SELECT * FROM read_parquet({sql_string(str(path))})"


_POS_SALES_PIECE = """
    SELECT 'pos' AS channel, date, year, month, day, order_ts, order_id, line_id, store_id, product_id, customer_id,
           quantity, revenue, revenue_excl_tax, tax_amount, is_refund, cashier_id, discount_amount
    FROM {relation}"""

_INVOICE_SALES_PIECE = """
    SELECT 'invoice' AS channel, date, year, month, day, CAST(NULL AS TIMESTAMPTZ) AS order_ts, move_id AS order_id,
           line_id, CAST(NULL AS BIGINT) AS store_id, product_id, customer_id, quantity, revenue, revenue_excl_tax,
           tax_amount, move_type = 'out_refund' AS is_refund, CAST(NULL AS BIGINT) AS cashier_id,
           CASE WHEN discount_pct > 0 AND discount_pct < 100 THEN revenue * discount_pct / (100 - discount_pct)
                WHEN coalesce(discount_pct, 0) = 0 THEN 0.0 END AS discount_amount
    FROM {relation}"""


def sales_all_sql(relations: Mapping[str, str]) -> str:
    """`fact_sales_all` over `relations` (fact → view name or parenthesised query): the POS piece, plus the invoice
    piece when `fact_invoice_sales` is among them."""
    pieces = [_POS_SALES_PIECE.format(relation=relations["fact_sales"])]
    if INVOICE_FACT in relations:
        pieces.append(_INVOICE_SALES_PIECE.format(relation=relations[INVOICE_FACT]))
    return "\nUNION ALL".join(pieces)


_SOURCE_DAY = "make_date(year, month, day) AS source_day"

# Grain: one row per sales line of fact_sales_all. `first_sale_line` marks one non-refund line per order, so counting
# it counts orders when every filter is order-level (date, store, hour); `local_*` are in the business timezone.
_SALES_LINES_SQL = f"""
    WITH ranked AS (
        SELECT *, row_number() OVER (PARTITION BY channel, order_id ORDER BY is_refund, line_id) AS line_rank
        FROM ({{source}})
    )
    SELECT channel, date, CAST(hour(timezone($tz, order_ts)) AS TINYINT) AS local_hour,
           CAST(isodow(timezone($tz, order_ts)) AS TINYINT) AS local_weekday, order_id, store_id, product_id,
           quantity, revenue, revenue_excl_tax, is_refund, line_rank = 1 AND NOT is_refund AS first_sale_line,
           cashier_id, discount_amount, customer_id,  -- customer_id: the Customers page
           {_SOURCE_DAY}
    FROM ranked ORDER BY date, order_id"""

# Grain: one row per business day, store and payment method (and source day).
_PAYMENTS_DAILY_SQL = f"""
    SELECT date, store_id, payment_method_id, sum(amount) AS amount, {_SOURCE_DAY}
    FROM {{source}} GROUP BY ALL ORDER BY date"""


# The sales cube (services.sales_metrics.sales_cube): the measures of selected sales lines per cell of a grain. Each
# is additive across cells of the cube's grain (business day × channel × local weekday × local hour × store: every
# order lies in one cell), so `sales_cells` holds them per cell and source day, and a cube without product filters
# sums cells. Lines are first summed per cell and refund flag, so orders (distinct orders with a sold line) and
# refund orders (distinct orders with a refund line) are one plain distinct count. A measure added to the cube is
# added here.
CUBE_COLUMNS = ("revenue", "net_sales", "orders", "units", "refunds", "refund_orders", "sold_revenue", "sold_units",
                "discount")
CUBE_GRAIN = {"date": "date", "channel": "channel", "weekday": "local_weekday", "hour": "local_hour",
              "store_id": "store_id"}
_SPLIT_SUMS = """sum(revenue) AS revenue, sum(revenue_excl_tax) AS net_sales, sum(quantity) AS units,
           sum(discount_amount) AS discount, count(DISTINCT order_id) AS orders"""
_CUBE_MEASURES = """sum(revenue) AS revenue, sum(net_sales) AS net_sales,
           CAST(coalesce(sum(orders) FILTER (WHERE NOT is_refund), 0) AS BIGINT) AS orders, sum(units) AS units,
           coalesce(sum(revenue) FILTER (WHERE is_refund), 0) AS refunds,
           CAST(coalesce(sum(orders) FILTER (WHERE is_refund), 0) AS BIGINT) AS refund_orders,
           coalesce(sum(revenue) FILTER (WHERE NOT is_refund), 0) AS sold_revenue,
           coalesce(sum(units) FILTER (WHERE NOT is_refund), 0) AS sold_units,
           coalesce(sum(discount) FILTER (WHERE NOT is_refund), 0) AS discount"""


def cube_sql(lines: str, grain: Mapping[str, str]) -> str:
    """SELECT of the cube's measures of the rows of `lines` (a relation of sales lines) per cell of `grain` (output
    column → expression over the lines; empty: one row of totals)."""
    split_keys = "".join(f"{expression} AS {name}, " for name, expression in grain.items())
    keys = "".join(f"{name}, " for name in grain)
    return f"""SELECT {keys}{_CUBE_MEASURES}
    FROM (SELECT {split_keys}is_refund, {_SPLIT_SUMS} FROM {lines} GROUP BY ALL) AS split GROUP BY ALL"""


_COUNTS = ("orders", "refund_orders")


def resummed(columns: Iterable[str]) -> str:
    """`sum(c) AS c` for each of `columns` (counts stay integers): a serving aggregate summed over its rows."""
    return ", ".join(f"CAST(sum({column}) AS BIGINT) AS {column}" if column in _COUNTS else f"sum({column}) AS {column}"
                     for column in columns)


# The cube's measures summed over cells
CELL_SUMS = resummed(CUBE_COLUMNS)

# Grain: one row per cube cell and source day.
SALES_CELLS_GRAIN = {**CUBE_GRAIN, "source_day": "source_day"}


# Grain: one row per business day × channel × store × product (and source day): the product's sales there.
_SALES_PRODUCTS_SQL = """
    SELECT date, channel, store_id, product_id, sum(revenue) AS revenue, sum(revenue_excl_tax) AS net_sales,
           sum(quantity) AS units, count(*) FILTER (WHERE NOT is_refund) AS sold_lines, source_day
    FROM {source} GROUP BY ALL ORDER BY date"""

# Grain: one row per business day, product and movement type of fact_inventory_moves (and source day): Σ quantity,
# move lines, and `net_quantity`, the lines' net effect on the product's internal stock as
# etl.stock_positions.on_hand_from_moves counts it (+ quantity when signed_quantity > 0, − when < 0; a transfer
# between internal locations adds and takes the same quantity, so 0), which is additive over days and locations.
_MOVES_DAILY_SQL = f"""
    SELECT date, product_id, movement_type, sum(quantity) AS quantity, count(*) AS lines,
           sum(CASE WHEN signed_quantity > 0 THEN quantity WHEN signed_quantity < 0 THEN -quantity ELSE 0 END)
               AS net_quantity,
           {_SOURCE_DAY}
    FROM {{source}} GROUP BY ALL ORDER BY date"""

# One row per order of the sales lines `{lines}` (per channel and order id, `{more_keys}` adding the source day for
# the serving table): its day, store, customer and cashier (order-level), and its lines' sums; `sold` / `refunded`:
# whether it has a non-refund / refund line. Orders-level metrics (basket sizes, cashiers, customers) read
# `sales_orders` when every filter is order-level, and this over the selected lines otherwise.
ORDER_SUMS_SQL = """
    SELECT any_value(date) AS date, channel, any_value(store_id) AS store_id, order_id{more_keys},
           any_value(customer_id) AS customer_id, any_value(cashier_id) AS cashier_id,
           sum(revenue) AS revenue, sum(revenue_excl_tax) AS net_sales, sum(quantity) AS units,
           coalesce(sum(quantity) FILTER (WHERE NOT is_refund), 0) AS sold_units,
           coalesce(sum(revenue) FILTER (WHERE is_refund), 0) AS refunds,
           coalesce(sum(discount_amount) FILTER (WHERE NOT is_refund), 0) AS discount,
           bool_or(NOT is_refund) AS sold, bool_or(is_refund) AS refunded
    FROM {lines} GROUP BY channel, order_id{more_keys}"""

# Per cashier, over order rows (ORDER_SUMS_SQL): what services.sales_metrics.cashier_performance shows. Basket sizes:
# orders with a sold line by units sold (rounded). `sales_cashiers` / `sales_baskets` hold them per business day,
# channel and store (order-level filters only), summed again by `resummed`.
CASHIER_SUMS = """sum(revenue) AS revenue, count(*) FILTER (WHERE sold) AS orders, sum(sold_units) AS sold_units,
           sum(refunds) AS refunds, sum(discount) AS discount"""
CASHIER_COLUMNS = ("revenue", "orders", "sold_units", "refunds", "discount")
BASKET_UNITS = "CAST(round(sold_units) AS BIGINT)"

# One row per business day, channel, store and customer (walk-ins: customer null) of order rows (ORDER_SUMS_SQL):
# Σ revenue, the orders with a sold line, and whether any has one. The Customers page reads `customer_days` (these
# rows of `sales_orders`, per source day) when every filter is order-level: a third of the order rows; without a
# store or channel filter it reads `customer_dates`, the same per business day and customer only (one row per
# customer and day, so customers per day are counted without a distinct).
CUSTOMER_DAY_SUMS = """sum(revenue) AS revenue, count(*) FILTER (WHERE sold) AS orders, bool_or(sold) AS sold"""
CUSTOMER_DATE_SUMS = """sum(revenue) AS revenue, CAST(sum(orders) AS BIGINT) AS orders, bool_or(sold) AS sold"""

# Per identified customer, the first business day with an order (a sold line) in rows of `customer_dates` ({rows}),
# and the source day of a row that gives it. New vs returning customers compare it with the period's start. The
# shared base holds it for its days (`customer_firsts`), so a page looks first purchases up instead of reading every
# day of `customer_dates`; the reader's view of it (services.serving_reader) adds the days the base does not hold.
CUSTOMER_FIRSTS = "customer_firsts"
CUSTOMER_FIRSTS_SQL = """SELECT customer_id, min(date) AS first_purchase, arg_min(source_day, date) AS source_day
    FROM {rows} WHERE sold AND customer_id IS NOT NULL GROUP BY customer_id"""

# Grain: one row per POS order × payment method (and source day): Σ amount, beside the order's revenue (Σ of its
# lines' revenue), for payment mixes that follow a product selection.
_ORDER_PAYMENTS_SQL = f"""
    WITH paid AS (
        SELECT date, store_id, order_id, payment_method_id, sum(amount) AS amount, {_SOURCE_DAY}
        FROM {{payments}} GROUP BY ALL
    ),
    orders AS (SELECT order_id, sum(revenue) AS order_revenue FROM {{sales}} GROUP BY order_id)
    SELECT paid.*, orders.order_revenue FROM paid LEFT JOIN orders USING (order_id) ORDER BY date, order_id"""

# The shared base also holds `sales_lines` clustered by product (`BY_PRODUCT`), each product keyed by its place in
# the category tree and brand when the base was built (`PRODUCT_KEYS`), so a category's lines are neighbours and a
# product filter reads only their row groups. The key serves to skip rows, never to select them: a product whose
# category changed since is still found by its id (see `product_lines_sql`).
BY_PRODUCT = "sales_lines_by_product"
PRODUCT_KEYS = "product_keys"
PRODUCT_KEYS_SQL = """
    SELECT sold.product_id, CAST(row_number() OVER (
        ORDER BY categories.complete_name NULLS LAST, products.brand_id NULLS LAST, sold.product_id) AS INTEGER)
        AS product_key
    FROM (SELECT DISTINCT product_id FROM {lines}) AS sold
    LEFT JOIN ({products}) AS products USING (product_id)
    LEFT JOIN ({categories}) AS categories USING (category_id)"""
BY_PRODUCT_SQL = """
    SELECT lines.*, keys.product_key FROM {lines} AS lines LEFT JOIN {keys} AS keys USING (product_id)
    ORDER BY keys.product_key, lines.date"""


def product_lines_sql(selected: str, conditions: str) -> str:
    """Sales lines of the products in the relation `selected` (one `product_id` column) that meet `conditions`:
    from the base's product-clustered copy (only the row groups of the selected products' keys are read) and from
    the delta, the rows of the days the base does not hold. Views of services.serving_reader."""
    return f"""SELECT * EXCLUDE (product_key) FROM base_{BY_PRODUCT}
        WHERE product_key IN (SELECT product_key FROM {PRODUCT_KEYS}
                              WHERE product_id IN (SELECT product_id FROM {selected}))
          AND product_id IN (SELECT product_id FROM {selected}) AND {conditions}
        UNION ALL
        SELECT * FROM delta_sales_lines WHERE product_id IN (SELECT product_id FROM {selected}) AND {conditions}"""


@dataclass(frozen=True)
class ServingTable:
    """A table computed per source day from `facts`; `select(relations)` is its rows over the given relation of
    each fact (the views for a full build, a few days' files for a refresh), or, for a table derived from another
    serving table (`source`), over that table's rows of those days (`relations[source]`)."""

    name: str
    facts: tuple[str, ...]
    select: Callable[[Mapping[str, str]], str]
    source: str | None = None


def serving_tables() -> tuple[ServingTable, ...]:
    """Every serving table, each after the table it derives from."""
    sales_facts = tuple(fact for fact in SALES_FACTS if fact in fact_schemas())
    return (
        ServingTable("sales_lines", sales_facts,
                     lambda relations: _SALES_LINES_SQL.format(source=sales_all_sql(relations))),
        ServingTable("payments_daily", ("fact_payments",),
                     lambda relations: _PAYMENTS_DAILY_SQL.format(source=relations["fact_payments"])),
        ServingTable("sales_cells", sales_facts,
                     lambda relations: cube_sql(relations["sales_lines"], SALES_CELLS_GRAIN) + " ORDER BY date",
                     source="sales_lines"),
        ServingTable("sales_products", sales_facts,
                     lambda relations: _SALES_PRODUCTS_SQL.format(source=relations["sales_lines"]),
                     source="sales_lines"),
        ServingTable("sales_orders", sales_facts,
                     lambda relations: ORDER_SUMS_SQL.format(lines=relations["sales_lines"],
                                                             more_keys=", source_day") + " ORDER BY date",
                     source="sales_lines"),
        ServingTable("sales_cashiers", sales_facts,
                     lambda relations: f"SELECT date, channel, store_id, cashier_id, {CASHIER_SUMS}, source_day "
                                       f"FROM {relations['sales_orders']} GROUP BY ALL ORDER BY date",
                     source="sales_orders"),
        ServingTable("sales_baskets", sales_facts,
                     lambda relations: f"SELECT date, channel, store_id, {BASKET_UNITS} AS units, count(*) AS orders, "
                                       f"source_day FROM {relations['sales_orders']} WHERE sold GROUP BY ALL "
                                       "ORDER BY date",
                     source="sales_orders"),
        ServingTable("customer_days", sales_facts,
                     lambda relations: f"SELECT date, channel, store_id, customer_id, {CUSTOMER_DAY_SUMS}, source_day "
                                       f"FROM {relations['sales_orders']} GROUP BY ALL ORDER BY date",
                     source="sales_orders"),
        ServingTable("customer_dates", sales_facts,
                     lambda relations: f"SELECT date, customer_id, {CUSTOMER_DATE_SUMS}, source_day "
                                       f"FROM {relations['customer_days']} GROUP BY ALL ORDER BY date",
                     source="customer_days"),
        ServingTable("moves_daily", (MOVES_FACT,),
                     lambda relations: _MOVES_DAILY_SQL.format(source=relations[MOVES_FACT])),
        ServingTable("order_payments", ("fact_payments", "fact_sales"),
                     lambda relations: _ORDER_PAYMENTS_SQL.format(payments=relations["fact_payments"],
                                                                  sales=relations["fact_sales"])),
    )

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
refresh replaces a day's rows by that column, so every row of a replaced file goes, whatever its `date`.

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
           cashier_id, discount_amount,
           {_SOURCE_DAY}
    FROM ranked ORDER BY date, order_id"""

# Grain: one row per business day, store and payment method (and source day).
_PAYMENTS_DAILY_SQL = f"""
    SELECT date, store_id, payment_method_id, sum(amount) AS amount, {_SOURCE_DAY}
    FROM {{source}} GROUP BY ALL ORDER BY date"""


@dataclass(frozen=True)
class ServingTable:
    """An in-memory table computed per source day from `facts`; `select(relations)` is its rows over the given
    relation of each fact (the views for a full build, a few days' files for a refresh)."""

    name: str
    facts: tuple[str, ...]
    select: Callable[[Mapping[str, str]], str]


def serving_tables() -> tuple[ServingTable, ...]:
    sales_facts = tuple(fact for fact in SALES_FACTS if fact in fact_schemas())
    return (
        ServingTable("sales_lines", sales_facts,
                     lambda relations: _SALES_LINES_SQL.format(source=sales_all_sql(relations))),
        ServingTable("payments_daily", ("fact_payments",),
                     lambda relations: _PAYMENTS_DAILY_SQL.format(source=relations["fact_payments"])),
    )

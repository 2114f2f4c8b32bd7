"""Read-only DuckDB views over the star schema (DESIGN §5) and a TTL query cache that the lake invalidates.

The views are built from small named pieces, derived from the dataset registry and the schema contract:

- one view per fact table (`etl.datasets.DATASETS[*].fact_tables`) over its daily partitions, hive-partitioned so the
  `year`, `month`, `day` path columns are there for partition pruning (see `partition_filter`);
- one view per dimension (`etl.schemas.DIMENSIONS`);
- `fact_sales_all`, POS and invoice sales lines in one shape (`channel` = 'pos' | 'invoice').

Serving tables: Parquet scans of a year (≈5M lines, 365 files) cost 100–450 ms per query, so the Sales page's queries
read two in-memory tables built from the views once per lake change (see `SERVING_TABLES`): `sales_lines` (the
columns the metrics use, local hour and weekday precomputed, sorted by date so zone maps skip other days) and
`payments_daily`. Building them costs a few seconds on 10M lines and is paid by the first query after the lake
changes.

A fact or dimension with no file yet still gets a view: zero rows with the contract's column types, so pages show
"no data" rather than failing. Views are rebuilt when the lake's fingerprint changes (a new fact or dimension file
appears), so files landing after start are picked up without a restart.

Grain and tax basis of the facts read here:

- fact_sales: one row per POS order line (pos.order.line of a paid/done/invoiced order). `revenue` is tax included
  after discount (price_subtotal_incl), `revenue_excl_tax` is price_subtotal, `tax_amount` their difference; refund
  lines carry negative quantity and revenue with `is_refund` true.
- fact_payments: one row per pos.payment; change given back is a negative row, so Σ amount = Σ order totals.
- fact_invoice_sales (when loaded): one row per product line of a posted non-POS customer invoice or refund; revenue
  tax included, signed (refunds negative).
- fact_sales_all: one row per sales line of either channel; same tax basis as its sources.

One DuckDB connection per process; each query runs on its own cursor, so Dash's worker threads can query at once.
All values reach SQL as parameters; only identifiers from the contract (never user input) are put into SQL text.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from etl import schemas
from etl.datasets import DATASETS
from etl.io_parquet import STAR, dimension_path, lake_root, metadata_path, partition_days
from etl.settings import get_settings
from etl.status import STATUS_FILE

logger = logging.getLogger(__name__)

CACHE_MAX_ENTRIES = 512
INVOICE_FACT = "fact_invoice_sales"
PARTITION_COLUMNS = {"year": "INTEGER", "month": "INTEGER", "day": "INTEGER"}
_DUCKDB_TYPES: dict[type[pl.DataType], str] = {
    pl.Int64: "BIGINT",
    pl.Int32: "INTEGER",
    pl.Float64: "DOUBLE",
    pl.String: "VARCHAR",
    pl.Boolean: "BOOLEAN",
    pl.Date: "DATE",
}


def _duckdb_type(dtype: pl.DataType) -> str:
    if isinstance(dtype, pl.Datetime):
        return "TIMESTAMPTZ" if dtype.time_zone else "TIMESTAMP"
    return _DUCKDB_TYPES[type(dtype)]


def fact_schemas() -> dict[str, pl.Schema]:
    """Every fact table the registry declares, by name."""
    return {name: schema for spec in DATASETS.values() for name, schema in spec.fact_tables.items()}


def _empty_relation(columns: dict[str, str]) -> str:
    """SELECT of zero rows with typed columns (a view for a table that has no file yet)."""
    typed = ", ".join(f"CAST(NULL AS {sql_type}) AS {name}" for name, sql_type in columns.items())
    return f"SELECT {typed} WHERE false"


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def fact_view_sql(root: Path, name: str, schema: pl.Schema) -> str:
    """A fact over its daily partition files, with the hive `year/month/day` columns; typed-empty without files."""
    base = root / STAR / name
    if next(base.glob(f"year=*/month=*/day=*/{name}_*.parquet"), None) is None:
        columns = {col: _duckdb_type(dtype) for col, dtype in schema.items()} | PARTITION_COLUMNS
        return _empty_relation(columns)
    pattern = _sql_string(str(base / "year=*" / "month=*" / "day=*" / f"{name}_*.parquet"))
    hive_types = ", ".join(f"'{col}': {sql_type}" for col, sql_type in PARTITION_COLUMNS.items())
    return f"SELECT * FROM read_parquet({pattern}, hive_partitioning = true, hive_types = {{{hive_types}}})"


def dimension_view_sql(root: Path, name: str, schema: pl.Schema) -> str:
    path = dimension_path(root, name)
    if not path.exists():
        return _empty_relation({col: _duckdb_type(dtype) for col, dtype in schema.items()})
    return f"SELECT * FROM read_parquet({_sql_string(str(path))})"


_POS_SALES_PIECE = """
    SELECT 'pos' AS channel, date, year, month, day, order_ts, order_id, line_id, store_id, product_id, customer_id,
           quantity, revenue, revenue_excl_tax, tax_amount, is_refund
    FROM fact_sales"""

_INVOICE_SALES_PIECE = """
    SELECT 'invoice' AS channel, date, year, month, day, CAST(NULL AS TIMESTAMPTZ) AS order_ts, move_id AS order_id,
           line_id, CAST(NULL AS BIGINT) AS store_id, product_id, customer_id, quantity, revenue, revenue_excl_tax,
           tax_amount, move_type = 'out_refund' AS is_refund
    FROM fact_invoice_sales"""


def sales_all_view_sql(facts: Sequence[str]) -> str:
    """`fact_sales_all`: the POS piece, plus the invoice piece once `fact_invoice_sales` is a registered fact."""
    pieces = [_POS_SALES_PIECE] + ([_INVOICE_SALES_PIECE] if INVOICE_FACT in facts else [])
    return "\nUNION ALL".join(pieces)


# Grain: one row per sales line of fact_sales_all. `first_sale_line` marks one non-refund line per order, so counting
# it counts orders when every filter is order-level (date, store, hour); `local_*` are in the business timezone.
_SALES_LINES_SQL = """
    WITH ranked AS (
        SELECT *, row_number() OVER (PARTITION BY channel, order_id ORDER BY is_refund, line_id) AS line_rank
        FROM fact_sales_all
    )
    SELECT channel, date, CAST(hour(timezone($tz, order_ts)) AS TINYINT) AS local_hour,
           CAST(isodow(timezone($tz, order_ts)) AS TINYINT) AS local_weekday, order_id, store_id, product_id,
           quantity, revenue, revenue_excl_tax, is_refund, line_rank = 1 AND NOT is_refund AS first_sale_line
    FROM ranked ORDER BY date, order_id"""

# Grain: one row per business day, store and payment method.
_PAYMENTS_DAILY_SQL = """
    SELECT date, store_id, payment_method_id, sum(amount) AS amount
    FROM fact_payments GROUP BY ALL ORDER BY date"""

SERVING_TABLES = {"sales_lines": _SALES_LINES_SQL, "payments_daily": _PAYMENTS_DAILY_SQL}


def lake_fingerprint(root: Path) -> tuple[int, ...]:
    """Cheap change marker: mtimes of the status file, the star-schema folder and each fact folder.

    The ETL records every run in `metadata/etl_status.json` (so any reloaded day changes it), dimension files are
    renamed into `star-schema/`, and a new fact folder or year folder changes the fact folders' mtimes.
    """
    paths = [metadata_path(root, STATUS_FILE), root / STAR, *(root / STAR / name for name in fact_schemas())]
    return tuple(path.stat().st_mtime_ns if path.exists() else 0 for path in paths)


@dataclass(frozen=True)
class _CacheEntry:
    expires_at: float
    frame: pl.DataFrame


class Lake:
    """The process's DuckDB view of one lake root, with a TTL cache keyed by SQL, parameters and fingerprint."""

    def __init__(self, root: str | Path, cache_ttl_seconds: int, timezone: str = "Asia/Jakarta") -> None:
        self.root = lake_root(root)
        self.timezone = timezone
        self.cache_ttl_seconds = cache_ttl_seconds
        self._connection = duckdb.connect(":memory:")
        self._connection.execute("SET GLOBAL enable_object_cache = true")
        self._connection.execute("SET GLOBAL TimeZone = 'UTC'")  # TIMESTAMPTZ results come back in UTC
        self._lock = threading.Lock()
        self._views_fingerprint: tuple[int, ...] | None = None
        self._cache: OrderedDict[tuple[Any, ...], _CacheEntry] = OrderedDict()

    def _refresh_views(self, fingerprint: tuple[int, ...]) -> None:
        facts = fact_schemas()
        statements = [
            *(f"CREATE OR REPLACE VIEW {name} AS {fact_view_sql(self.root, name, schema)}"
              for name, schema in facts.items()),
            *(f"CREATE OR REPLACE VIEW {name} AS {dimension_view_sql(self.root, name, schema)}"
              for name, schema in schemas.DIMENSIONS.items()),
            f"CREATE OR REPLACE VIEW fact_sales_all AS {sales_all_view_sql(list(facts))}",
        ]
        for statement in statements:
            self._connection.execute(statement)
        for table, sql in SERVING_TABLES.items():
            params = {"tz": self.timezone} if "$tz" in sql else {}
            self._connection.execute(f"CREATE OR REPLACE TABLE {table} AS {sql}", params)
        self._views_fingerprint = fingerprint
        self._cache.clear()
        logger.info("duckdb views and serving tables built", extra={"lake_root": str(self.root), "facts": list(facts)})

    def _current_fingerprint(self) -> tuple[int, ...]:
        fingerprint = lake_fingerprint(self.root)
        with self._lock:
            if fingerprint != self._views_fingerprint:
                self._refresh_views(fingerprint)
        return fingerprint

    def query(self, sql: str, params: dict[str, Any] | None = None, *, cached: bool = True) -> pl.DataFrame:
        """Run parameterised `sql` on a fresh cursor; answers are cached for the TTL unless the lake changed."""
        params = params or {}
        fingerprint = self._current_fingerprint()
        key = (sql, _freeze(params), fingerprint)
        use_cache = cached and self.cache_ttl_seconds > 0
        if use_cache:
            with self._lock:
                entry = self._cache.get(key)
                if entry is not None and entry.expires_at > time.monotonic():
                    self._cache.move_to_end(key)
                    return entry.frame
        cursor = self._connection.cursor()
        try:
            frame = cursor.sql(sql, params=params).pl()
        finally:
            cursor.close()
        if use_cache:
            with self._lock:
                self._cache[key] = _CacheEntry(time.monotonic() + self.cache_ttl_seconds, frame)
                while len(self._cache) > CACHE_MAX_ENTRIES:
                    self._cache.popitem(last=False)
        return frame

    def scalar(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        frame = self.query(sql, params)
        return frame.item(0, 0) if frame.height else None

    def close(self) -> None:
        self._connection.close()


def _freeze(value: Any) -> Any:
    """A hashable form of query parameters (lists become tuples)."""
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


_lakes: dict[str, Lake] = {}
_lakes_lock = threading.Lock()


def get_lake() -> Lake:
    """The process-wide Lake for the configured DATA_LAKE_ROOT (created on first use, not at import)."""
    settings = get_settings()
    with _lakes_lock:
        lake = _lakes.get(settings.data_lake_root)
        if lake is None:
            lake = _lakes[settings.data_lake_root] = Lake(
                settings.data_lake_root, settings.dash_cache_ttl_seconds, settings.business_timezone.key
            )
        return lake


def latest_loaded_day(lake: Lake) -> date | None:
    """The newest business day with a fact_sales partition file (with rows or an empty loaded day)."""
    days = partition_days(lake.root, STAR, "fact_sales")
    return days[-1] if days else None

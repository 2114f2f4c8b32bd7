"""Read-only DuckDB views over the star schema (DESIGN §5), serving tables refreshed per changed day, a query cache.

The views are built from small named pieces, derived from the dataset registry and the schema contract:

- one view per fact table (`etl.datasets.DATASETS[*].fact_tables`) over its daily partitions, hive-partitioned so the
  `year`, `month`, `day` path columns are there for partition pruning (see `partition_filter`);
- one view per dimension (`etl.schemas.DIMENSIONS`);
- `fact_sales_all`, POS and invoice sales lines in one shape (`channel` = 'pos' | 'invoice').

Serving tables: Parquet scans of a year (≈5M lines, 365 files) cost 100–450 ms per query, so the Sales page's queries
read two in-memory tables derived from the facts (see `serving_tables`): `sales_lines` (the columns the metrics use,
local hour and weekday precomputed, sorted by date so zone maps skip other days) and `payments_daily`. Both are
computed per business day from that day's partition files alone (an order's lines all live in its day's file), and
neither embeds a dimension attribute, so a dimension file change only concerns the views.

Refresh (`Lake.refresh`): the first one builds the tables in full (a few seconds on 10M lines). Later ones compare
every partition file's version (mtime, inode, size: the ETL replaces a day's file by rename) with the last refresh's and,
in one transaction, delete the changed or removed days and insert the changed days computed from just their files.
DuckDB is MVCC: queries on other cursors keep reading the last committed tables meanwhile, and the query cache is
keyed by a data version that moves only after the commit. `LakeRefresher` runs refreshes on a daemon thread (app.py
starts it), so queries refresh synchronously only in a process that never built the tables.

A fact or dimension with no file yet still gets a view: zero rows with the contract's column types, so pages show
"no data" rather than failing. Views are re-created when a fact's first file or a dimension file appears or
disappears, so files landing after start are picked up without a restart.

Grain and tax basis of the facts read here:

- fact_sales: one row per POS order line (pos.order.line of a paid/done/invoiced order). `revenue` is tax included
  after discount (price_subtotal_incl), `revenue_excl_tax` is price_subtotal, `tax_amount` their difference; refund
  lines carry negative quantity and revenue with `is_refund` true.
- fact_payments: one row per pos.payment; change given back is a negative row, so Σ amount = Σ order totals.
- fact_invoice_sales (when loaded): one row per product line of a posted non-POS customer invoice or refund; revenue
  tax included, signed (refunds negative).
- fact_sales_all: one row per sales line of either channel; same tax basis as its sources.

One DuckDB connection per process; each query and each refresh runs on its own cursor, so Dash's worker threads can
query at once. All values reach SQL as parameters; only identifiers from the contract and lake file paths (never user
input) are put into SQL text.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from etl import schemas
from etl.datasets import DATASETS
from etl.io_parquet import STAR, dimension_path, lake_root, metadata_path, partition_path
from etl.settings import get_settings
from etl.status import STATUS_FILE

logger = logging.getLogger(__name__)

CACHE_MAX_ENTRIES = 512
REFRESH_INTERVAL_SECONDS = 15.0
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

FileVersion = tuple[int, int, int]  # (st_mtime_ns, st_ino, st_size): a file replaced by rename gets a new one


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


def _partition_glob(name: str) -> str:
    return f"year=*/month=*/day=*/{name}_*.parquet"


def _fact_scan_sql(schema: pl.Schema, files: str | None) -> str:
    """A fact over `files` (SQL text of a glob or a list of paths) with the hive `year/month/day` columns.

    Typed-empty when `files` is None (the fact has no file yet).
    """
    if files is None:
        return _empty_relation({col: _duckdb_type(dtype) for col, dtype in schema.items()} | PARTITION_COLUMNS)
    hive_types = ", ".join(f"'{col}': {sql_type}" for col, sql_type in PARTITION_COLUMNS.items())
    return f"SELECT * FROM read_parquet({files}, hive_partitioning = true, hive_types = {{{hive_types}}})"


def fact_view_sql(root: Path, name: str, schema: pl.Schema) -> str:
    """A fact over all its daily partition files; typed-empty without files."""
    base = root / STAR / name
    has_files = next(base.glob(_partition_glob(name)), None) is not None
    return _fact_scan_sql(schema, _sql_string(str(base / _partition_glob(name))) if has_files else None)


def fact_files_sql(files: Iterable[Path], schema: pl.Schema) -> str:
    """A fact over just `files` (some of its partition files); typed-empty for none."""
    paths = [_sql_string(str(path)) for path in files]
    return _fact_scan_sql(schema, f"[{', '.join(paths)}]" if paths else None)


def dimension_view_sql(root: Path, name: str, schema: pl.Schema) -> str:
    path = dimension_path(root, name)
    if not path.exists():
        return _empty_relation({col: _duckdb_type(dtype) for col, dtype in schema.items()})
    return f"SELECT * FROM read_parquet({_sql_string(str(path))})"


_POS_SALES_PIECE = """
    SELECT 'pos' AS channel, date, year, month, day, order_ts, order_id, line_id, store_id, product_id, customer_id,
           quantity, revenue, revenue_excl_tax, tax_amount, is_refund
    FROM {relation}"""

_INVOICE_SALES_PIECE = """
    SELECT 'invoice' AS channel, date, year, month, day, CAST(NULL AS TIMESTAMPTZ) AS order_ts, move_id AS order_id,
           line_id, CAST(NULL AS BIGINT) AS store_id, product_id, customer_id, quantity, revenue, revenue_excl_tax,
           tax_amount, move_type = 'out_refund' AS is_refund
    FROM {relation}"""


def sales_all_sql(relations: Mapping[str, str]) -> str:
    """`fact_sales_all` over `relations` (fact → view name or parenthesised query): the POS piece, plus the invoice
    piece when `fact_invoice_sales` is among them."""
    pieces = [_POS_SALES_PIECE.format(relation=relations["fact_sales"])]
    if INVOICE_FACT in relations:
        pieces.append(_INVOICE_SALES_PIECE.format(relation=relations[INVOICE_FACT]))
    return "\nUNION ALL".join(pieces)


# Grain: one row per sales line of fact_sales_all. `first_sale_line` marks one non-refund line per order, so counting
# it counts orders when every filter is order-level (date, store, hour); `local_*` are in the business timezone.
_SALES_LINES_SQL = """
    WITH ranked AS (
        SELECT *, row_number() OVER (PARTITION BY channel, order_id ORDER BY is_refund, line_id) AS line_rank
        FROM ({source})
    )
    SELECT channel, date, CAST(hour(timezone($tz, order_ts)) AS TINYINT) AS local_hour,
           CAST(isodow(timezone($tz, order_ts)) AS TINYINT) AS local_weekday, order_id, store_id, product_id,
           quantity, revenue, revenue_excl_tax, is_refund, line_rank = 1 AND NOT is_refund AS first_sale_line
    FROM ranked ORDER BY date, order_id"""

# Grain: one row per business day, store and payment method.
_PAYMENTS_DAILY_SQL = """
    SELECT date, store_id, payment_method_id, sum(amount) AS amount
    FROM {source} GROUP BY ALL ORDER BY date"""


@dataclass(frozen=True)
class ServingTable:
    """An in-memory table computed per business day from `facts`; `select(relations)` is its rows over the given
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


def lake_fingerprint(root: Path) -> tuple[int, ...]:
    """Cheap change marker: mtimes of the status file, the star-schema folder and each fact folder.

    The ETL records every run in `metadata/etl_status.json` (so any reloaded day changes it), dimension files are
    renamed into `star-schema/`, and a new fact folder or year folder changes the fact folders' mtimes.
    """
    paths = [metadata_path(root, STATUS_FILE), root / STAR, *(root / STAR / name for name in fact_schemas())]
    return tuple(path.stat().st_mtime_ns if path.exists() else 0 for path in paths)


def _file_version(path: Path) -> FileVersion | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_mtime_ns, stat.st_ino, stat.st_size


def _partition_versions(root: Path, fact: str) -> dict[date, FileVersion]:
    versions = {}
    for path in (root / STAR / fact).glob(_partition_glob(fact)):
        version = _file_version(path)
        if version is not None:  # None: removed while listing
            versions[date.fromisoformat(path.stem.removeprefix(f"{fact}_"))] = version
    return versions


@dataclass(frozen=True)
class LakeFiles:
    """The lake's files at one moment: each fact's partition file versions by business day, each dimension's."""

    facts: dict[str, dict[date, FileVersion]]
    dimensions: dict[str, FileVersion]

    @classmethod
    def scan(cls, root: Path) -> LakeFiles:
        dimensions = {name: _file_version(dimension_path(root, name)) for name in schemas.DIMENSIONS}
        return cls({fact: _partition_versions(root, fact) for fact in fact_schemas()},
                   {name: version for name, version in dimensions.items() if version is not None})

    def view_shape(self) -> tuple[frozenset[str], frozenset[str]]:
        """What the views' SQL depends on: the facts that have a partition file and the dimensions that have one."""
        return frozenset(fact for fact, days in self.facts.items() if days), frozenset(self.dimensions)

    def changed_days(self, before: LakeFiles, facts: Iterable[str]) -> list[date]:
        """Business days whose file of one of `facts` appeared, was replaced or disappeared since `before`."""
        days: set[date] = set()
        for fact in facts:
            now, then = self.facts[fact], before.facts[fact]
            days |= {day for day in now.keys() | then.keys() if now.get(day) != then.get(day)}
        return sorted(days)

    def paths(self, root: Path, fact: str, days: Iterable[date]) -> list[Path]:
        """The partition files of `fact` for those of `days` that have one."""
        return [partition_path(root, STAR, fact, day) for day in days if day in self.facts[fact]]


@dataclass(frozen=True)
class _CacheEntry:
    expires_at: float
    frame: pl.DataFrame


def _no_hook() -> None:
    """The default `before_commit`: nothing."""


class Lake:
    """The process's DuckDB view of one lake root, with a TTL cache keyed by SQL, parameters and data version.

    `before_commit` runs inside each refresh transaction just before it commits (a seam for tests that query while a
    refresh is in flight).
    """

    def __init__(self, root: str | Path, cache_ttl_seconds: int, timezone: str = "Asia/Jakarta", *,
                 before_commit: Callable[[], None] = _no_hook) -> None:
        self.root = lake_root(root)
        self.timezone = timezone
        self.cache_ttl_seconds = cache_ttl_seconds
        self._before_commit = before_commit
        self._connection = duckdb.connect(":memory:")
        self._connection.execute("SET GLOBAL enable_object_cache = true")
        self._connection.execute("SET GLOBAL TimeZone = 'UTC'")  # TIMESTAMPTZ results come back in UTC
        self._lock = threading.Lock()  # the cache and the data version
        self._refresh_lock = threading.Lock()  # one refresher at a time; queries never take it once built
        self._files: LakeFiles | None = None  # what the committed serving tables were computed from
        self._fingerprint: tuple[int, ...] | None = None
        self._version: int | None = None  # bumped after each refresh commits; None until the first build
        self._cache: OrderedDict[tuple[Any, ...], _CacheEntry] = OrderedDict()

    def refresh_if_changed(self) -> bool:
        """Refresh when the lake's fingerprint moved since the last refresh (a few stats otherwise)."""
        if self._version is not None and lake_fingerprint(self.root) == self._fingerprint:
            return False
        return self.refresh()

    def refresh(self) -> bool:
        """Bring views and serving tables up to the lake's files; whether anything changed."""
        with self._refresh_lock:
            return self._refresh_locked()

    def _refresh_locked(self) -> bool:
        started = time.perf_counter()
        fingerprint = lake_fingerprint(self.root)  # before listing: a later change moves it again
        files, before = LakeFiles.scan(self.root), self._files
        if files == before:
            self._fingerprint = fingerprint
            return False
        cursor = self._connection.cursor()
        try:  # closing the cursor rolls back a transaction that did not commit
            cursor.begin()
            days, rows = self._apply(cursor, files, before)
            self._before_commit()
            cursor.commit()
        finally:
            cursor.close()
        self._files, self._fingerprint = files, fingerprint
        self._publish()
        self._log_refresh("full" if before is None else "incremental", days, rows, time.perf_counter() - started)
        return True

    def _log_refresh(self, mode: str, days: list[date], rows: dict[str, int], seconds: float) -> None:
        logger.info("serving tables refreshed", extra={
            "lake_root": str(self.root), "mode": mode, "days_refreshed": len(days),
            "first_day": days[0].isoformat() if days else None, "last_day": days[-1].isoformat() if days else None,
            "rows": rows, "seconds": round(seconds, 3),
        })

    def _apply(self, cursor: duckdb.DuckDBPyConnection, files: LakeFiles,
               before: LakeFiles | None) -> tuple[list[date], dict[str, int]]:
        """Views and serving tables for `files` (in the caller's transaction): the business days recomputed and the
        rows inserted per table."""
        if before is None or files.view_shape() != before.view_shape():
            self._create_views(cursor)
        days: set[date] = set()
        rows = {}
        for table in serving_tables():
            if before is None:
                table_days = sorted({day for fact in table.facts for day in files.facts[fact]})
                rows[table.name] = self._build(cursor, table)
            else:
                table_days = files.changed_days(before, table.facts)
                rows[table.name] = self._refresh_days(cursor, table, files, table_days) if table_days else 0
            days.update(table_days)
        return sorted(days), rows

    def _create_views(self, cursor: duckdb.DuckDBPyConnection) -> None:
        facts = fact_schemas()
        statements = [
            *(f"CREATE OR REPLACE VIEW {name} AS {fact_view_sql(self.root, name, schema)}"
              for name, schema in facts.items()),
            *(f"CREATE OR REPLACE VIEW {name} AS {dimension_view_sql(self.root, name, schema)}"
              for name, schema in schemas.DIMENSIONS.items()),
            f"CREATE OR REPLACE VIEW fact_sales_all AS {sales_all_sql({f: f for f in SALES_FACTS if f in facts})}",
        ]
        for statement in statements:
            cursor.execute(statement)

    def _build(self, cursor: duckdb.DuckDBPyConnection, table: ServingTable) -> int:
        """Replace `table` with its rows over the fact views; the row count."""
        sql = table.select({fact: fact for fact in table.facts})
        cursor.execute(f"CREATE OR REPLACE TABLE {table.name} AS {sql}", self._params(sql))
        return _count(cursor.execute(f"SELECT count(*) FROM {table.name}"))

    def _refresh_days(self, cursor: duckdb.DuckDBPyConnection, table: ServingTable, files: LakeFiles,
                      days: list[date]) -> int:
        """Replace `table`'s rows of `days` with those computed from the days' files; the rows inserted."""
        cursor.execute(f"DELETE FROM {table.name} WHERE list_contains($days, date)", {"days": days})
        facts = fact_schemas()
        sql = table.select({fact: f"({fact_files_sql(files.paths(self.root, fact, days), facts[fact])})"
                            for fact in table.facts})
        return _count(cursor.execute(f"INSERT INTO {table.name} {sql}", self._params(sql)))

    def _params(self, sql: str) -> dict[str, Any]:
        return {"tz": self.timezone} if "$tz" in sql else {}

    def _publish(self) -> None:
        """Make the committed refresh visible to the cache: a new data version, no entries of older ones."""
        with self._lock:
            self._version = (self._version or 0) + 1
            self._cache.clear()

    def _data_version(self) -> int:
        """The committed data version; the first call in a process builds the serving tables (and waits for it)."""
        if self._version is None:
            with self._refresh_lock:
                if self._version is None:
                    self._refresh_locked()
        assert self._version is not None
        return self._version

    def loaded_days(self, fact: str) -> list[date]:
        """Business days with a partition of `fact` in the files the serving tables were built from (no new scan)."""
        self._data_version()
        assert self._files is not None
        return sorted(self._files.facts[fact])

    def query(self, sql: str, params: dict[str, Any] | None = None, *, cached: bool = True) -> pl.DataFrame:
        """Run parameterised `sql` on a fresh cursor; answers are cached for the TTL within one data version."""
        params = params or {}
        key = (sql, _freeze(params), self._data_version())
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
            self._remember(key, frame)
        return frame

    def _remember(self, key: tuple[Any, ...], frame: pl.DataFrame) -> None:
        """Cache `frame` unless a refresh committed since its version was read (it may hold either version)."""
        with self._lock:
            if key[-1] != self._version:
                return
            self._cache[key] = _CacheEntry(time.monotonic() + self.cache_ttl_seconds, frame)
            while len(self._cache) > CACHE_MAX_ENTRIES:
                self._cache.popitem(last=False)

    def scalar(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        frame = self.query(sql, params)
        return frame.item(0, 0) if frame.height else None

    def close(self) -> None:
        self._connection.close()


def _count(result: duckdb.DuckDBPyConnection) -> int:
    row = result.fetchone()
    return int(row[0]) if row else 0


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


class LakeRefresher:
    """A daemon thread that applies lake changes at start and then every `interval_seconds`, so queries read
    up-to-date serving tables without ever paying for a refresh. A failed refresh is logged and retried next time."""

    def __init__(self, lake: Callable[[], Lake] = get_lake,
                 interval_seconds: float = REFRESH_INTERVAL_SECONDS) -> None:
        self._lake = lake
        self.interval_seconds = interval_seconds
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lake-refresher", daemon=True)

    def start(self) -> LakeRefresher:
        """Start checking; the thread is stopped at interpreter exit (a daemon thread alive then leaks DuckDB)."""
        self._thread.start()
        atexit.register(self.stop)
        return self

    def stop(self, timeout: float | None = None) -> None:
        """Stop after the refresh in progress, if any."""
        atexit.unregister(self.stop)
        self._stopping.set()
        self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        while True:
            self.check()
            if self._stopping.wait(self.interval_seconds):
                return

    def check(self) -> None:
        """One check: refresh the lake if it changed."""
        try:
            self._lake().refresh_if_changed()
        except Exception:
            logger.exception("lake refresh failed; retrying at the next check")


def loaded_sales_days(lake: Lake) -> list[date]:
    """Business days with a fact_sales partition (loaded, even when the day had no sales)."""
    return lake.loaded_days("fact_sales")


def latest_loaded_day(lake: Lake) -> date | None:
    """The newest business day with a fact_sales partition file (with rows or an empty loaded day)."""
    days = loaded_sales_days(lake)
    return days[-1] if days else None

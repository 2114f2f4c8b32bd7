"""Read-only DuckDB views over the published star schema (DESIGN §5), the serving tables, a query cache.

What is read: exactly the files the day manifests publish (`services.lake_files`), never a glob over the fact
folders. Views: one per catalogued fact (etl.catalog) over its published files, one per dimension, and
`fact_sales_all`; SQL in `services.lake_sql`.

Serving tables: Parquet scans of a year (≈5M lines, 365 files) cost 100–450 ms per query, so the pages read tables
derived from the facts per source day (`services.lake_sql.serving_tables`): `sales_lines` (the columns the metrics
use, local hour and weekday precomputed, sorted by date so zone maps skip other days), `sales_cells` (the sales
cube per cell) and `payments_daily`. Each row keeps `source_day`, the business day of the file it came from. Each is
a view over the shared base file that every serving process attaches read-only (`services.serving_base`) and this
process's in-memory delta of the days the base does not hold as published (`services.serving_reader`). A Lake made
by tests and tools (no `shared_base`) has no base: every day is in its delta, i.e. in process memory.

Refresh (`Lake.refresh`): compare each day's published file with what base and delta hold and, in one transaction,
switch to a new base when one was published, delete the delta rows of every source day that changed (by
`source_day`, so mis-dated rows of a replaced file go too) and insert the rows of the days' new files. DuckDB is
MVCC: queries on other cursors keep reading the last committed state meanwhile, and the query cache is keyed by a
data version that moves only after the commit. `LakeRefresher` runs refreshes on a daemon thread every second
(app.py starts it), so a re-published day is served within a few seconds and queries refresh synchronously only in
a process that never refreshed.

One bad file harms one day: files whose footer does not read are left out before the transaction; when the
transaction still fails, each file it loaded is read whole on its own, the failing ones are left out and the refresh
is retried. Left-out files are listed by `Lake.unreadable()` (for /health); a new manifest of the day repairs it. A
dimension file is read whole when it appears or changes; an unreadable one is a typed-empty view.

One DuckDB connection per process; each query and each refresh runs on its own cursor, so Dash's worker threads can
query at once. All values reach SQL as parameters.
"""

from __future__ import annotations

import atexit
import logging
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from etl import schemas
from etl.catalog import fact_schemas
from etl.io_parquet import lake_root
from etl.pipelines.health import Unreadable, file_version, short_reason
from etl.settings import get_settings
from services.lake_files import FileKey, LakeFiles, ManifestIndex, lake_fingerprint
from services.lake_sql import SALES_FACTS, dimension_sql, fact_files_sql, probe_sql, sales_all_sql, sql_string
from services.serving_base import pointer_path
from services.serving_reader import ServingReader

__all__ = ["Lake", "LakeRefresher", "fact_schemas", "get_lake", "latest_loaded_day", "loaded_sales_days"]

logger = logging.getLogger(__name__)

CACHE_MAX_ENTRIES = 512
REFRESH_INTERVAL_SECONDS = 1.0  # a change check is a few stats; a changed day is served within about a second
# DuckDB's buffer pool and query memory in a serving process (shared base mode) unless DASH_DUCKDB_MEMORY_LIMIT says
# otherwise: enough at 10M lines within 400 MiB a process; a 100M-line lake wants about 640MB
SERVING_MEMORY_LIMIT = "128MB"
# Queries a process runs at once (the others wait their turn): DuckDB already spreads one query over every core, so
# more at once only split the memory limit between them (at 100M lines, four did not fit in 128 MB).
QUERY_SLOTS = 2


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
                 before_commit: Callable[[], None] = _no_hook, shared_base: bool = False,
                 memory_limit: str | None = None) -> None:
        self.root = lake_root(root)
        self.timezone = timezone
        self.cache_ttl_seconds = cache_ttl_seconds
        self._before_commit = before_commit
        self._connection = duckdb.connect(":memory:")
        self._memory_limit = memory_limit or SERVING_MEMORY_LIMIT  # applies once the shared base is served
        self._connection.execute("SET GLOBAL enable_object_cache = true")
        # where a query spills past the memory limit: the process's own folder (the working directory, DuckDB's
        # default, is not writable in the container), removed at exit
        self._spill = tempfile.mkdtemp(prefix="nkdash-duckdb-")
        atexit.register(shutil.rmtree, self._spill, ignore_errors=True)
        self._connection.execute(f"SET GLOBAL temp_directory = {sql_string(self._spill)}")
        self._slots = threading.BoundedSemaphore(QUERY_SLOTS)
        self._alone = threading.Lock()  # a query retried after running out of memory runs with every slot
        self._connection.execute("SET GLOBAL TimeZone = 'UTC'")  # TIMESTAMPTZ results come back in UTC
        self._serving = ServingReader(self._connection, self.root, timezone, shared=False)
        if shared_base:
            self.share_base()
        self._lock = threading.Lock()  # the cache and the data version
        self._refresh_lock = threading.Lock()  # one refresher at a time; queries never take it once built
        self._manifests = ManifestIndex(self.root)
        self._bad: dict[FileKey, str] = {}  # files a whole read failed on (their footer read)
        self._files: LakeFiles | None = None  # what the committed serving tables were computed from
        self._views: dict[str, str] = {}  # the committed views' SQL
        self._fingerprint: tuple[Any, ...] | None = None
        self._version: int | None = None  # bumped after each refresh commits; None until the first build
        self._cache: OrderedDict[tuple[Any, ...], _CacheEntry] = OrderedDict()

    def share_base(self) -> None:
        """Serve from the lake's shared base (services.serving_base) from the next refresh on, building it when it is
        missing or behind, with DuckDB's memory bounded by the Lake's `memory_limit` (default SERVING_MEMORY_LIMIT)."""
        self._connection.execute(f"SET GLOBAL memory_limit = {sql_string(self._memory_limit)}")
        self._serving.share()

    def refresh_if_changed(self) -> bool:
        """Refresh when the lake's fingerprint moved since the last refresh (a few stats otherwise)."""
        if self._version is not None and self._fingerprint_now() == self._fingerprint:
            self._serving.check(self._files)
            return False
        return self.refresh()

    def _fingerprint_now(self) -> tuple[Any, ...]:
        """The lake's change marker and the shared base's pointer."""
        return (*lake_fingerprint(self.root), file_version(pointer_path(self.root)))

    def refresh(self) -> bool:
        """Bring views and serving tables up to the published files; whether anything changed."""
        with self._refresh_lock:
            return self._refresh_locked()

    def _refresh_locked(self) -> bool:
        started = time.perf_counter()
        fingerprint = self._fingerprint_now()  # before listing: a later change moves it again
        before = self._files
        switching = self._serving.prepare()
        files = self._scan(before)
        if files == before and not switching:
            self._fingerprint = fingerprint
            return False
        try:
            days, rows = self._commit(files)
        except duckdb.Error:
            if not self._probe_loaded_facts():
                raise
            files = files.without(self._bad)
            days, rows = self._commit(files)
        self._serving.committed(files)
        self._files, self._fingerprint = files, fingerprint
        self._publish()
        self._log_refresh("full" if before is None else "incremental", days, rows, time.perf_counter() - started)
        if files.unreadable != (before.unreadable if before else ()):
            logger.warning("unreadable lake files left out", extra={
                "unreadable": [bad.as_dict() for bad in files.unreadable]})
        return True

    def _scan(self, before: LakeFiles | None) -> LakeFiles:
        """The published files, less those that cannot be read (dimension files that changed are read whole)."""
        files = LakeFiles.scan(self.root, self._manifests, self._bad, before)
        for _, key in files.new_dimensions(before):
            self._probe(key)
        return files.without(self._bad)

    def _probe(self, key: FileKey) -> bool:
        """Read one file whole on its own cursor; remember it as bad when that fails. Whether it did."""
        cursor = self._connection.cursor()
        try:
            cursor.sql(probe_sql(self.root / key[0])).to_arrow_table()
            return False
        except duckdb.Error as exc:
            self._bad[key] = f"read failed: {short_reason(exc)}"
            return True
        finally:
            cursor.close()

    def _probe_loaded_facts(self) -> bool:
        """After a failed refresh: read each fact file it loaded whole; whether one of them failed."""
        failed = [self._probe(day_file.key) for day_file in self._serving.loading]
        return any(failed)

    def _commit(self, files: LakeFiles) -> tuple[list[date], dict[str, int]]:
        views = self._view_statements(files)
        # DuckDB 2.0.0 can lose the rows of a large INSERT … SELECT run by several threads inside an explicit
        # transaction (count(*) has them, scans do not): the refresh inserts on one thread.
        threads = self._set_threads(1)
        cursor = self._connection.cursor()
        try:  # closing the cursor rolls back a transaction that did not commit
            cursor.begin()
            self._create_views(cursor, views)
            days, rows = self._serving.apply(cursor, files)
            self._before_commit()
            cursor.commit()
        finally:
            cursor.close()
            self._set_threads(threads)
        self._views = views
        return days, rows

    def _set_threads(self, threads: int) -> int:
        """Set DuckDB's thread count (for every cursor); the count it had."""
        cursor = self._connection.cursor()
        try:
            before = int(cursor.sql("SELECT current_setting('threads')").fetchall()[0][0])
            cursor.execute(f"SET threads = {int(threads)}")
            return before
        finally:
            cursor.close()

    def _log_refresh(self, mode: str, days: list[date], rows: dict[str, int], seconds: float) -> None:
        base = self._serving.base
        logger.info("serving tables refreshed", extra={
            "mode": mode, "base": base.file if base else None, "delta_days_refreshed": len(days),
            "first_day": days[0].isoformat() if days else None, "last_day": days[-1].isoformat() if days else None,
            "rows": rows, "seconds": round(seconds, 3),
        })

    def _view_statements(self, files: LakeFiles) -> dict[str, str]:
        """The SQL of every view over `files`, by view name."""
        facts = fact_schemas()
        return {
            **{name: fact_files_sql(files.paths(self.root, name), schema) for name, schema in facts.items()},
            **{name: dimension_sql(files.dimension_file(self.root, name), schema)
               for name, schema in schemas.DIMENSIONS.items()},
            "fact_sales_all": sales_all_sql({f: f for f in SALES_FACTS if f in facts}),
        }

    def _create_views(self, cursor: duckdb.DuckDBPyConnection, views: dict[str, str]) -> None:
        """(Re)create the views whose SQL differs from the committed ones (binding a view over a year of files
        costs milliseconds, so a one-day refresh redoes only the views of the facts that changed)."""
        for name, sql in views.items():
            if self._views.get(name) != sql:
                cursor.execute(f"CREATE OR REPLACE VIEW {name} AS {sql}")

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
        """Business days with a readable published file of `fact` in what the serving tables were built from."""
        self._data_version()
        assert self._files is not None
        return sorted(self._files.facts[fact])

    def partial_days(self, fact: str) -> list[date]:
        """Loaded business days of `fact` whose manifest marks them in progress (today so far)."""
        self._data_version()
        assert self._files is not None
        return sorted(day for day, day_file in self._files.facts[fact].items() if day_file.partial)

    def serves_scope(self, kind: str, scope_id: int) -> bool:
        """Whether the product scope (services.scoped_tables: a category with its subcategories, or a brand) is
        served from scope tables in the committed state."""
        self._data_version()
        return self._serving.serves_scope(kind, scope_id)

    def unreadable(self) -> list[Unreadable]:
        """The files the last refresh left out as unreadable (none before the first one; never waits for it)."""
        files = self._files
        return list(files.unreadable) if files is not None else []

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
        try:
            with self._slots:
                frame = self._run(sql, params)
        except duckdb.OutOfMemoryException as exc:
            logger.warning("query ran out of memory; retried alone", extra={"error": short_reason(exc)})
            with self._alone:
                for _ in range(QUERY_SLOTS):
                    self._slots.acquire()
                try:
                    frame = self._run(sql, params)
                finally:
                    for _ in range(QUERY_SLOTS):
                        self._slots.release()
        if use_cache:
            self._remember(key, frame)
        return frame

    def _run(self, sql: str, params: dict[str, Any]) -> pl.DataFrame:
        cursor = self._connection.cursor()
        try:
            return cursor.sql(sql, params=params).pl()
        finally:
            cursor.close()

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
        shutil.rmtree(self._spill, ignore_errors=True)


def _freeze(value: Any) -> Any:
    """A hashable form of query parameters (lists become tuples)."""
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


_lakes: dict[str, Lake] = {}
_lakes_lock = threading.Lock()
_shared_base = False  # set by a serving process (`LakeRefresher(shared_base=True)`), never by importing


def share_serving_base() -> None:
    """Make `get_lake`'s lakes (those made already and those to come) serve from the shared base."""
    global _shared_base
    with _lakes_lock:
        _shared_base = True
        for lake in _lakes.values():
            lake.share_base()


def get_lake() -> Lake:
    """The process-wide Lake for the configured DATA_LAKE_ROOT (created on first use, not at import)."""
    settings = get_settings()
    with _lakes_lock:
        lake = _lakes.get(settings.data_lake_root)
        if lake is None:
            lake = _lakes[settings.data_lake_root] = Lake(
                settings.data_lake_root, settings.dash_cache_ttl_seconds, settings.business_timezone.key,
                shared_base=_shared_base, memory_limit=settings.dash_duckdb_memory_limit,
            )
        return lake


class LakeRefresher:
    """A daemon thread that applies lake changes at start and then every `interval_seconds`, so queries read
    up-to-date serving tables without ever paying for a refresh. A failed refresh is logged and retried next time.

    `shared_base=True` (a serving process: app.py) makes `get_lake`'s lakes serve from the shared base."""

    def __init__(self, lake: Callable[[], Lake] = get_lake,
                 interval_seconds: float = REFRESH_INTERVAL_SECONDS, *, shared_base: bool = False) -> None:
        self._lake = lake
        self.interval_seconds = interval_seconds
        self.shared_base = shared_base
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lake-refresher", daemon=True)

    def start(self) -> LakeRefresher:
        """Start checking; the thread is stopped at interpreter exit (a daemon thread alive then leaks DuckDB)."""
        if self.shared_base:
            share_serving_base()
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

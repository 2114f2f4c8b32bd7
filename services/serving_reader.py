"""A dashboard process's side of the serving layer: the shared base attached read-only, plus an in-memory delta of
the days the base does not hold as published, behind one view per serving table.

`<table>` = the base's rows of every source day whose files are the published ones, UNION ALL `delta_<table>`: the
rows of the other days (new, re-published, or all of them while no base is attached), computed from the days'
files by the same SQL the base is built with (services.serving_days). A day comes whole from one side: a reader
never sees a mix of two versions of it. Delta rows, views and a base switch change in one transaction of the
caller's (services.duckdb_connector.Lake), so queries on other cursors read the last committed state meanwhile.

Without `shared`, nothing is attached: every day is delta (what tests and tools that open a Lake get). With it, a
missing base is built before the first refresh completes (waiting up to BASE_WAIT_SECONDS, then serving from the
delta), and a new base is asked for once ROLL_DAYS days differ from it or a finished day has differed for
ROLL_AGE_SECONDS (today's partial day, re-published through the day, stays cheap in the delta).
"""

from __future__ import annotations

import itertools
import logging
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from services.lake_files import DayFile, LakeFiles
from services.lake_sql import (BY_PRODUCT, CUSTOMER_FIRSTS, CUSTOMER_FIRSTS_SQL, PRODUCT_KEYS, ServingTable,
                               serving_tables, sql_string)
from services.serving_base import BaseBuilds, BasePointer, base_files, current_base
from services.scoped_tables import (DELTA_LINES, PRODUCT_SCOPES_SQL, SCOPE_PRODUCTS, SCOPE_TABLES, scope_table_sql,
                                    scoped_lines_sql)
from services.serving_days import DayFiles, day_rows_sql, differing_days, published_files, restricted, sql_params

logger = logging.getLogger(__name__)

ROLL_DAYS = 7
ROLL_AGE_SECONDS = 900.0
BASE_WAIT_SECONDS = 600.0
BUILD_RETRY_SECONDS = 60.0
_POLL_SECONDS = 0.2


@dataclass(frozen=True)
class AttachedBase:
    alias: str
    pointer: BasePointer
    files: DayFiles  # per fact and source day, the file the base's rows came from


def _delta(table: ServingTable | str) -> str:
    return f"delta_{table if isinstance(table, str) else table.name}"


def _base_rows(base: AttachedBase, table: str, stale: list[date]) -> str:
    """The rows of the base's `table` but those of `stale` source days."""
    kept = f" WHERE source_day NOT IN ({_dates_sql(stale)})" if stale else ""
    return f"SELECT * FROM {base.alias}.{table}{kept}"


def _dates_sql(days: list[date]) -> str:
    """Date literals of `days`, comma-separated (days are dates, never user text)."""
    return ", ".join(f"DATE '{day.isoformat()}'" for day in days)


class ServingReader:
    """The serving views of one process's DuckDB connection (see the module docstring)."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, root: Path, timezone: str, *, shared: bool) -> None:
        self._connection = connection
        self.root = root
        self.timezone = timezone
        self._builds = BaseBuilds(root, timezone) if shared else None
        self._aliases = (f"serving_base_{n}" for n in itertools.count(1))
        self._base: AttachedBase | None = None  # what the committed views read
        self._candidate: AttachedBase | None = None  # attached, not yet in committed views
        self._older: list[str] = []  # aliases of bases replaced since, detached once two newer ones came
        self._delta: dict[str, DayFiles] = {}  # per serving table, the files its committed delta rows came from
        self._pending: dict[str, DayFiles] = {}
        self._views: dict[str, str] = {}
        self._pending_views: dict[str, str] = {}
        self._stale: dict[date, float] = {}  # finished days the base holds stale, since when
        self._last_build_start = float("-inf")
        self.loading: list[DayFile] = []  # the fact files the last `apply` read (probed when it failed)
        # the product scopes the committed views serve from the base's scope tables (None: every scope, no base)
        self.served_scopes: frozenset[tuple[str, int]] | None = None
        self._pending_scopes: frozenset[tuple[str, int]] | None = None

    def share(self) -> None:
        """Attach (and build when needed) the shared base from the next `prepare` on."""
        if self._builds is None:
            self._builds = BaseBuilds(self.root, self.timezone)

    @property
    def base(self) -> BasePointer | None:
        return self._base.pointer if self._base is not None else None

    def prepare(self) -> bool:
        """Outside any transaction: attach the published base when it is a new one; whether one was attached."""
        if self._builds is None:
            return False
        pointer = current_base(self.root, self.timezone)
        if pointer is None and self._base is None:
            pointer = self._wait_for_first_base()
        known = self._candidate or self._base
        if pointer is None or (known is not None and known.pointer.file == pointer.file):
            return False
        alias = next(self._aliases)
        try:
            self._connection.execute(f"ATTACH {sql_string(str(pointer.path(self.root)))} AS {alias} (READ_ONLY)")
        except duckdb.Error as exc:  # replaced and removed since the pointer was read: the next refresh retries
            logger.warning("serving base not attached", extra={"file": pointer.file, "error": str(exc)})
            return False
        cursor = self._connection.cursor()
        try:
            files = base_files(cursor, alias)
        finally:
            cursor.close()
        if self._candidate is not None:
            self._older.append(self._candidate.alias)
        self._candidate = AttachedBase(alias, pointer, files)
        return True

    def _wait_for_first_base(self) -> BasePointer | None:
        """Start a build when none runs and wait for a base; None when none came (serve from the delta)."""
        assert self._builds is not None
        self._start_build()
        deadline = time.monotonic() + BASE_WAIT_SECONDS
        while True:
            building = self._builds.running or self._builds.locked()  # before the pointer: a build ends after it
            pointer = current_base(self.root, self.timezone)
            if pointer is not None or not building or time.monotonic() > deadline:
                break
            time.sleep(_POLL_SECONDS)
        if pointer is None:
            logger.warning("no serving base; serving every day from process memory")
        return pointer

    def _start_build(self) -> None:
        if self._builds is not None and time.monotonic() - self._last_build_start >= BUILD_RETRY_SECONDS:
            if self._builds.start():
                self._last_build_start = time.monotonic()

    def apply(self, cursor: duckdb.DuckDBPyConnection, files: LakeFiles) -> tuple[list[date], dict[str, int]]:
        """In the caller's transaction: bring the delta to the days the base lacks, (re)create the views. The days
        whose delta rows were recomputed or dropped, and rows inserted per table."""
        base = self._candidate or self._base
        published = published_files(files)
        pending: dict[str, DayFiles] = {}
        views: dict[str, str] = {}
        days: set[date] = set()
        rows: dict[str, int] = {}
        self.loading = []
        stale_of: dict[str, list[date]] = {}
        for table in serving_tables():
            mine = {fact: published[fact] for fact in table.facts}
            stale = sorted({day for paths in mine.values() for day in paths}) if base is None else \
                differing_days(base.files, mine, table.facts)
            wanted = restricted(mine, table.facts, stale)
            redo = differing_days(self._delta.get(table.name, {}), wanted, table.facts)
            rows[table.name] = self._redo(cursor, table, files, redo, wanted)
            pending[table.name] = wanted
            days.update(redo)
            views[table.name] = self._view_sql(table, base, stale)
            stale_of[table.name] = stale
        views |= self._product_views(base, stale_of["sales_lines"])
        views[CUSTOMER_FIRSTS] = _first_purchases_view(cursor, base, stale_of["customer_dates"])
        scope_stale = sorted({*stale_of["sales_lines"], *stale_of["order_payments"]})
        views |= _scope_views(base, scope_stale)
        for name, sql in views.items():
            if sql != self._views.get(name):
                cursor.execute(f"CREATE OR REPLACE VIEW {name} AS {sql}")
        self._pending, self._pending_views = pending, views
        self._pending_scopes = None if base is None else _served_scopes(cursor, base)
        return sorted(days), rows

    def _redo(self, cursor: duckdb.DuckDBPyConnection, table: ServingTable, files: LakeFiles, redo: list[date],
              wanted: DayFiles) -> int:
        """Replace the delta rows of `redo` days by those of the wanted files (none for a day no longer wanted)."""
        empty = day_rows_sql(table, self.root, files, [], _delta(table.source or ""))
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {_delta(table)} AS SELECT * FROM ({empty}) WHERE false",
                       sql_params(empty, self.timezone, []))
        if not redo:
            return 0
        cursor.execute(f"DELETE FROM {_delta(table)} WHERE source_day IN (SELECT unnest($days))", {"days": redo})
        load = [day for day in redo if any(day in wanted[fact] for fact in table.facts)]
        if not load:
            return 0
        if table.source is None:
            self.loading += [files.facts[fact][day] for fact in table.facts for day in load
                             if day in files.facts[fact]]
        sql = day_rows_sql(table, self.root, files, load, _delta(table.source or ""))
        result = cursor.execute(f"INSERT INTO {_delta(table)} {sql}", sql_params(sql, self.timezone, load))
        return int(result.fetchall()[0][0])

    @staticmethod
    def _view_sql(table: ServingTable, base: AttachedBase | None, stale: list[date]) -> str:
        """The base's rows of the days it holds as published, and the delta's."""
        delta = f"SELECT * FROM {_delta(table)}"
        if base is None:
            return delta
        return f"{_base_rows(base, table.name, stale)}\nUNION ALL {delta}"

    @staticmethod
    def _product_views(base: AttachedBase | None, stale: list[date]) -> dict[str, str]:
        """The base's product-clustered lines of the days it holds as published, and its product keys (both empty
        without a base: the delta has every day then)."""
        if base is None:
            return {f"base_{BY_PRODUCT}": f"SELECT *, CAST(NULL AS INTEGER) AS product_key FROM {_delta('sales_lines')}"
                                          " WHERE false",
                    PRODUCT_KEYS: "SELECT CAST(NULL AS BIGINT) AS product_id, CAST(NULL AS INTEGER) AS product_key"
                                  " WHERE false"}
        return {f"base_{BY_PRODUCT}": _base_rows(base, BY_PRODUCT, stale),
                PRODUCT_KEYS: f"SELECT * FROM {base.alias}.{PRODUCT_KEYS}"}

    def serves_scope(self, kind: str, scope_id: int) -> bool:
        """Whether the committed views serve the scope from scope tables: always without a base (they compute every
        day then); with one, when the base's products of the scope are the dimensions' products of it now."""
        return self.served_scopes is None or (kind, scope_id) in self.served_scopes

    def check(self, files: LakeFiles | None) -> None:
        """Between refreshes: ask for a new base when the current one has fallen too far behind."""
        if files is not None:
            self._note_stale(files)

    def committed(self, files: LakeFiles) -> None:
        """After the caller's commit: remember what the views read; detach bases no view reads; ask for a new base
        when this one is too far behind."""
        self._delta, self._views = self._pending, self._pending_views
        self.served_scopes = self._pending_scopes
        if self._candidate is not None:
            if self._base is not None:
                self._older.append(self._base.alias)
            self._base, self._candidate = self._candidate, None
        while len(self._older) > 1:  # the last replaced one may still be read by a query started before the switch
            self._connection.execute(f"DETACH {self._older.pop(0)}")
        self._note_stale(files)

    def _note_stale(self, files: LakeFiles) -> None:
        if self._builds is None:
            return
        if self._base is None:
            self._start_build()
            return
        published = published_files(files)
        stale = differing_days(self._base.files, published, self._base.files.keys() | published.keys())
        now = time.monotonic()
        self._stale = {day: self._stale.get(day, now) for day in stale
                       if not any(day_file.partial for days in files.facts.values()
                                  if (day_file := days.get(day)) is not None)}
        if len(stale) >= ROLL_DAYS or any(now - since >= ROLL_AGE_SECONDS for since in self._stale.values()):
            self._start_build()


def _first_purchases_view(cursor: duckdb.DuckDBPyConnection, base: AttachedBase | None, stale: list[date]) -> str:
    """Each identified customer's first purchase over what `customer_dates` serves: the least of the base's
    `customer_firsts` (kept where the row giving it is of a day the base holds as published) and of the delta's days.

    A customer whose base first purchase came from a stale day gets it again from the base's other days; all their
    rows are dated on or after it, so only the base's rows from the earliest such date on are read (the table is in
    date order)."""
    delta = f"SELECT customer_id, first_purchase FROM ({CUSTOMER_FIRSTS_SQL.format(rows=_delta('customer_dates'))})"
    if base is None:
        return delta
    parts = [f"SELECT customer_id, first_purchase FROM ({_base_rows(base, CUSTOMER_FIRSTS, stale)})", delta]
    if stale:
        moved = f"SELECT * FROM {base.alias}.{CUSTOMER_FIRSTS} WHERE source_day IN ({_dates_sql(stale)})"
        (since,) = cursor.execute(f"SELECT min(first_purchase) FROM ({moved})").fetchone()
        if since is not None:
            kept = f"(SELECT * FROM ({_base_rows(base, 'customer_dates', stale)}) WHERE date >= DATE '{since}')"
            parts.append(f"SELECT customer_id, first_purchase FROM ({CUSTOMER_FIRSTS_SQL.format(rows=kept)}) "
                         f"WHERE customer_id IN (SELECT customer_id FROM ({moved}))")
    return ("SELECT customer_id, min(first_purchase) AS first_purchase FROM (" + "\nUNION ALL ".join(parts)
            + ") GROUP BY customer_id")


# every scope's products in the dimension views now
_DIMENSION_SCOPES = PRODUCT_SCOPES_SQL.format(products="dim_products", categories="dim_categories")


def _scope_views(base: AttachedBase | None, stale: list[date]) -> dict[str, str]:
    """The views services.scoped_tables reads: the base's scope rows of the days it serves, the products of each
    scope, and the sales lines of the other days (every day, from the dimensions now, without a base)."""
    if base is None:
        empty_lines = scoped_lines_sql(f"(SELECT * FROM {_delta('sales_lines')} WHERE false)", SCOPE_PRODUCTS)
        return {SCOPE_PRODUCTS: _DIMENSION_SCOPES,
                DELTA_LINES: "SELECT * FROM sales_lines",
                **{f"base_{table.name}": f"SELECT * FROM ({scope_table_sql(table, empty_lines, 'order_payments')}) "
                                         "WHERE false" for table in SCOPE_TABLES}}
    return {SCOPE_PRODUCTS: f"SELECT * FROM {base.alias}.{SCOPE_PRODUCTS}",
            DELTA_LINES: f"SELECT * FROM sales_lines WHERE source_day IN ({_dates_sql(stale)})" if stale else
            "SELECT * FROM sales_lines WHERE false",
            **{f"base_{table.name}": _base_rows(base, table.name, stale) for table in SCOPE_TABLES}}


def _served_scopes(cursor: duckdb.DuckDBPyConnection, base: AttachedBase) -> frozenset[tuple[str, int]]:
    """The scopes whose products in the base are their products in the dimensions now (views of this
    transaction)."""
    rows = cursor.sql(f"""WITH in_dims AS ({_DIMENSION_SCOPES}),
        in_base AS (SELECT * FROM {base.alias}.{SCOPE_PRODUCTS}),
        differing AS ((SELECT * FROM in_dims EXCEPT SELECT * FROM in_base)
                      UNION ALL (SELECT * FROM in_base EXCEPT SELECT * FROM in_dims))
    SELECT DISTINCT scope_kind, scope_id FROM in_base ANTI JOIN differing USING (scope_kind, scope_id)""").fetchall()
    return frozenset((kind, int(scope_id)) for kind, scope_id in rows)

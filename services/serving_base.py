"""The shared serving base: one read-only DuckDB file of every serving table, built once for all dashboard processes.

Why this design. The serving tables (services.lake_sql.serving_tables: sales lines with local hour and weekday,
cube cells, daily payments) used to be built in every process's memory: ≈9 s at start and ≈1.4 GiB resident per
process at 10M lines, growing with the lake. Here they live in one DuckDB database file under `<lake>/serving/`,
which every process ATTACHes read-only: the file's pages sit once in the OS page cache, each process keeps only a
bounded buffer pool (its `memory_limit`), and a process starts by attaching a file, not by reading two years of
facts. The days that changed since the file was built are each process's small in-memory delta
(services.serving_reader), so a re-published day shows within one refresher interval while the file stays as it is.

- Built from the published facts, by the serving layer itself: a day's serving rows are derived from exactly the
  files its manifest names (day as one unit, etl/day_manifest.py) with the same SQL the delta uses, so there is one
  definition and no second copy of it in the ETL. The ETL is unchanged: no extra tables in manifests or run records,
  and days published before the serving layer existed need nothing.
- Once per changed day: a new base copies the previous base's rows of every day whose files did not change and
  computes only the changed days from their files (`build_base`). Its `base_files` table names, per fact and source
  day, the file the rows came from; readers compare it with the manifests to know which days are stale.
- Immutable files, switched by a pointer: a build writes `base-<version>.duckdb` beside the current one, then
  replaces `CURRENT.json` atomically. Readers attach the new file and switch their views in one transaction; a
  process never writes to a base. The previous file is kept for readers still switching; older ones are removed.
- One builder at a time, in its own process: a refresher that finds the base missing, stale or too far behind takes
  an exclusive `flock` on `serving/.build.lock` and starts `python -m services.serving_base` holding it (nice 10,
  its own memory limit, outside the dashboard's resident memory); others find the lock taken and carry on. A build
  that fails leaves the current base and the pointer as they were.
- One bad file harms one day: a day whose file does not read is left out of the base (it stays stale, so readers
  try it themselves and report it, services.lake_files); every other day is built.
- The format key (a hash of the serving tables' SQL and the business timezone) is in the pointer: a base built by
  other code or for another timezone is not used, and a new one is built.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import logging
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb

from etl import schemas
from etl.day_manifest import new_version
from etl.io_parquet import atomic_write_bytes, lake_root
from etl.pipelines.health import short_reason
from services.lake_files import LakeFiles, ManifestIndex
from services.lake_sql import (BY_PRODUCT, BY_PRODUCT_SQL, CUSTOMER_FIRSTS, CUSTOMER_FIRSTS_SQL, PRODUCT_KEYS,
                               PRODUCT_KEYS_SQL, ServingTable, dimension_sql, probe_sql, serving_tables, sql_string)
from services.scoped_tables import (PRODUCT_SCOPES_SQL, SCOPE_ORDERS_SQL, SCOPE_PRODUCTS, SCOPE_TABLES,
                                    scope_table_sql, scoped_lines_sql)
from services.serving_days import DayFiles, day_rows_sql, differing_days, published_files, restricted, sql_params

logger = logging.getLogger(__name__)

SERVING_DIR = "serving"
POINTER = "CURRENT.json"
LOCK = ".build.lock"
BASE_PREFIX = "base-"
FILES_TABLE = "base_files"
FORMAT_VERSION = 1  # bump when the base's own layout (not the serving SQL, which the key hashes) changes
BUILD_MEMORY_LIMIT = "2GB"
BUILD_THREADS = 2
PREVIOUS = "previous_base"
SCOPE_BATCH_DAYS = 31  # days of scope tables computed at once (bounds the build's memory on large lakes)


@dataclass(frozen=True)
class BasePointer:
    """What `CURRENT.json` says: the current base file (name in the serving folder) and how it was built."""

    file: str
    format: str
    built_at: str
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)
    days_computed: int = 0
    days_copied: int = 0

    def path(self, root: str | os.PathLike[str]) -> Path:
        return serving_dir(root) / self.file


def serving_dir(root: str | os.PathLike[str]) -> Path:
    return lake_root(root) / SERVING_DIR


def pointer_path(root: str | os.PathLike[str]) -> Path:
    return serving_dir(root) / POINTER


def serving_format(business_timezone: str) -> str:
    """A key of everything a base's rows depend on besides the lake: the serving tables' SQL and the timezone."""
    text = json.dumps([FORMAT_VERSION, business_timezone,
                       *[[table.name, table.source, table.select({**{fact: fact for fact in table.facts},
                                                                  **({table.source: table.source} if table.source
                                                                     else {})})]
                         for table in serving_tables()],
                       PRODUCT_SCOPES_SQL, *[[table.name, table.sql] for table in SCOPE_TABLES], CUSTOMER_FIRSTS_SQL])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def read_pointer(root: str | os.PathLike[str]) -> BasePointer | None:
    """The published pointer, or None when there is none (or it does not parse: a new build replaces it)."""
    try:
        return BasePointer(**json.loads(pointer_path(root).read_text()))
    except FileNotFoundError:
        return None
    except (ValueError, TypeError) as exc:
        logger.warning("serving base pointer does not parse", extra={"error": short_reason(exc)})
        return None


def current_base(root: str | os.PathLike[str], business_timezone: str) -> BasePointer | None:
    """The published base when it is of this code's format and timezone and its file is there."""
    pointer = read_pointer(root)
    if pointer is None or pointer.format != serving_format(business_timezone) or not pointer.path(root).is_file():
        return None
    return pointer


def base_files(cursor: duckdb.DuckDBPyConnection, alias: str) -> DayFiles:
    """The `base_files` of an attached base: per fact and source day, the file its rows were computed from."""
    found: DayFiles = {}
    for fact, day, relative in cursor.sql(f"SELECT fact, day, relative FROM {alias}.{FILES_TABLE}").fetchall():
        found.setdefault(fact, {})[day] = relative
    return found


@dataclass
class _Build:
    """One build in progress: its connection, the lake's files now, the previous base's files (when reused)."""

    connection: duckdb.DuckDBPyConnection
    root: Path
    files: LakeFiles
    timezone: str
    previous: DayFiles | None
    included: DayFiles = field(default_factory=dict)  # what the new base holds, per fact and day
    computed: set[date] = field(default_factory=set)
    copied: set[date] = field(default_factory=set)
    rows: dict[str, int] = field(default_factory=dict)

    def build_table(self, table: ServingTable) -> None:
        """Create `table` in the new base: the previous base's rows of unchanged days, the other days computed."""
        while True:
            current = restricted(published_files(self.files), table.facts, self._days(table))
            days = {day for files in current.values() for day in files}
            changed = days if self.previous is None else days & set(
                differing_days(self.previous, current, table.facts))
            keep, compute = sorted(days - changed), sorted(changed)
            try:
                self._create(table, keep, compute)
                break
            except duckdb.Error:
                if table.source is not None or not self._leave_out_unreadable(table, compute):
                    raise
        self.included.update(current)
        self.computed |= set(compute)
        self.copied |= set(keep)

    def _days(self, table: ServingTable) -> set[date]:
        """Days `table` is built for: a derived table has exactly its source table's days."""
        if table.source is None:
            return {day for fact in table.facts for day in self.files.facts[fact]}
        return {day for fact in table.facts for day in self.included.get(fact, {})}

    def _create(self, table: ServingTable, keep: list[date], compute: list[date]) -> None:
        parts = []
        if keep:
            parts.append(f"SELECT * FROM {PREVIOUS}.{table.name} WHERE source_day IN (SELECT unnest($keep))")
        computed = day_rows_sql(table, self.root, self.files, compute, table.source or "")
        if compute:
            parts.append(f"SELECT * FROM ({computed})")
        else:  # typed, no rows
            parts.append(f"SELECT * FROM ({computed}) WHERE false")
        sql = f"CREATE OR REPLACE TABLE {table.name} AS " + "\nUNION ALL\n".join(parts)
        params = {**sql_params(computed, self.timezone, compute), **({"keep": keep} if keep else {})}
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql, params)
            self.rows[table.name] = cursor.sql(f"SELECT count(*) FROM {table.name}").fetchall()[0][0]
        finally:
            cursor.close()

    def _leave_out_unreadable(self, table: ServingTable, days: list[date]) -> bool:
        """Read each file of `days` whole; drop the failing ones from the lake's files. Whether one failed."""
        bad = {}
        for fact in table.facts:
            for day in days:
                day_file = self.files.facts[fact].get(day)
                if day_file is None:
                    continue
                try:
                    self.connection.sql(probe_sql(self.root / day_file.relative)).to_arrow_table()
                except duckdb.Error as exc:
                    bad[day_file.key] = f"read failed: {short_reason(exc)}"
        if bad:
            logger.warning("serving base leaves out unreadable files", extra={"files": sorted(k[0] for k in bad)})
            self.files = self.files.without(bad)
        return bool(bad)

    def _products_and_categories(self) -> tuple[str, str]:
        """The relations of the product and category dimensions as published now."""
        return tuple(dimension_sql(self.files.dimension_file(self.root, name), schemas.DIMENSIONS[name])
                     for name in ("dim_products", "dim_categories"))  # type: ignore[return-value]

    def cluster_by_product(self) -> None:
        """`sales_lines` again, ordered by the products' keys (their place in the category tree and brand now)."""
        products, categories = self._products_and_categories()
        self.connection.execute(f"CREATE TABLE {PRODUCT_KEYS} AS " + PRODUCT_KEYS_SQL.format(
            lines="sales_lines", products=products, categories=categories))
        self.connection.execute(f"CREATE TABLE {BY_PRODUCT} AS " + BY_PRODUCT_SQL.format(
            lines="sales_lines", keys=PRODUCT_KEYS))

    def first_purchases(self) -> None:
        """`customer_firsts` of the base's `customer_dates` (recomputed whole: one pass over a narrow table)."""
        self.connection.execute(f"CREATE TABLE {CUSTOMER_FIRSTS} AS "
                                + CUSTOMER_FIRSTS_SQL.format(rows="customer_dates") + " ORDER BY customer_id")
        self.rows[CUSTOMER_FIRSTS] = self.connection.sql(f"SELECT count(*) FROM {CUSTOMER_FIRSTS}").fetchall()[0][0]

    def build_scopes(self) -> None:
        """`product_scopes` (every scope's products now) and the scope tables (services.scoped_tables), sorted by
        scope. The previous base's rows of unchanged days are kept when its scopes had the same products; the other
        days are computed from this base's lines and order payments, SCOPE_BATCH_DAYS at a time."""
        products, categories = self._products_and_categories()
        self.connection.execute(f"CREATE TABLE {SCOPE_PRODUCTS} AS SELECT * FROM ("
                                + PRODUCT_SCOPES_SQL.format(products=f"({products})", categories=f"({categories})")
                                + ") ORDER BY ALL")
        days = [day for (day,) in self.connection.sql("SELECT DISTINCT source_day FROM sales_lines").fetchall()]
        reuse = self.previous is not None and self._same_scopes()
        compute = sorted(day for day in days if not reuse or day in self.computed)
        keep = sorted(set(days) - set(compute))
        scoped = scoped_lines_sql("(SELECT * FROM sales_lines WHERE source_day IN (SELECT unnest($batch)))",
                                  SCOPE_PRODUCTS)
        # a POS order's payments are published with its lines (one day of pos_order_lines), so the batch's days hold
        # them
        payments = "(SELECT * FROM order_payments WHERE source_day IN (SELECT unnest($batch)))"
        for table in SCOPE_TABLES:
            empty = scope_table_sql(table, f"(SELECT * FROM {scoped} WHERE false)", "order_payments")
            self.connection.execute(f"CREATE TEMP TABLE new_{table.name} AS SELECT * FROM ({empty}) WHERE false",
                                    {"batch": []})
        for start in range(0, len(compute), SCOPE_BATCH_DAYS):
            batch = {"batch": compute[start:start + SCOPE_BATCH_DAYS]}
            self.connection.execute("CREATE OR REPLACE TEMP TABLE scope_orders AS "
                                    + SCOPE_ORDERS_SQL.format(lines=scoped), batch)
            for table in SCOPE_TABLES:
                rows = table.sql.format(lines=scoped, payments=payments)
                self.connection.execute(f"INSERT INTO new_{table.name} BY NAME {rows}",
                                        batch if "$batch" in rows else {})
        for table in SCOPE_TABLES:
            kept = f"SELECT * FROM {PREVIOUS}.{table.name} WHERE source_day IN (SELECT unnest($keep))\n" \
                   "UNION ALL BY NAME " if keep else ""
            self.connection.execute(f"CREATE TABLE {table.name} AS SELECT * FROM ({kept}SELECT * FROM new_{table.name})"
                                    " ORDER BY scope_kind, scope_id, date", {"keep": keep} if keep else {})
            self.connection.execute(f"DROP TABLE new_{table.name}")
            self.rows[table.name] = self.connection.sql(f"SELECT count(*) FROM {table.name}").fetchall()[0][0]
        self.connection.execute("DROP TABLE IF EXISTS scope_orders")

    def _same_scopes(self) -> bool:
        """Whether the previous base's scopes had the same products as now (a previous base is of this format, so it
        has scope tables)."""
        differing = self.connection.sql(
            f"SELECT count(*) FROM ((SELECT * FROM {SCOPE_PRODUCTS} EXCEPT SELECT * FROM {PREVIOUS}.{SCOPE_PRODUCTS}) "
            f"UNION ALL (SELECT * FROM {PREVIOUS}.{SCOPE_PRODUCTS} EXCEPT SELECT * FROM {SCOPE_PRODUCTS}))")
        return differing.fetchall()[0][0] == 0

    def write_files_table(self) -> None:
        rows = [(fact, day, path) for fact, days in self.included.items() for day, path in sorted(days.items())]
        self.connection.execute(f"CREATE TABLE {FILES_TABLE} (fact VARCHAR, day DATE, relative VARCHAR)")
        if rows:
            self.connection.executemany(f"INSERT INTO {FILES_TABLE} VALUES (?, ?, ?)", rows)


def build_base(root: str | os.PathLike[str], business_timezone: str, *, memory_limit: str = BUILD_MEMORY_LIMIT,
               threads: int = BUILD_THREADS) -> BasePointer:
    """Build a new base from the lake as published now, reusing the current base's unchanged days; publish it.

    The caller holds the build lock (or is alone on the lake, as tests are)."""
    started = time.perf_counter()
    root = lake_root(root)
    folder = serving_dir(root)
    folder.mkdir(parents=True, exist_ok=True)
    previous = current_base(root, business_timezone)
    name = f"{BASE_PREFIX}{new_version()}.duckdb"
    staging = folder / f".{name}.tmp"
    connection = duckdb.connect(str(staging))
    try:
        connection.execute(f"SET threads = {int(threads)}")
        connection.execute(f"SET memory_limit = {sql_string(memory_limit)}")
        connection.execute(f"SET temp_directory = {sql_string(str(folder / '.tmp'))}")
        connection.execute("SET TimeZone = 'UTC'")
        build = _Build(connection, root, LakeFiles.scan(root, ManifestIndex(root), {}), business_timezone, None)
        if previous is not None:
            connection.execute(f"ATTACH {sql_string(str(previous.path(root)))} AS {PREVIOUS} (READ_ONLY)")
            build.previous = base_files(connection, PREVIOUS)
        for table in serving_tables():
            build.build_table(table)
        build.cluster_by_product()
        build.first_purchases()
        build.build_scopes()
        build.write_files_table()
        if previous is not None:
            connection.execute(f"DETACH {PREVIOUS}")
        connection.execute("CHECKPOINT")
    except BaseException:
        connection.close()
        staging.unlink(missing_ok=True)
        raise
    connection.close()
    os.replace(staging, folder / name)
    pointer = BasePointer(name, serving_format(business_timezone), datetime.now(timezone.utc).isoformat(
        timespec="seconds"), round(time.perf_counter() - started, 3), build.rows, len(build.computed),
        len(build.copied - build.computed))
    atomic_write_bytes(pointer_path(root), json.dumps(asdict(pointer), indent=1).encode())
    _prune(folder, {name, previous.file if previous else name})
    logger.info("serving base built", extra={k: v for k, v in asdict(pointer).items() if k != "format"})
    return pointer


def _prune(folder: Path, keep: set[str]) -> None:
    """Remove bases other than `keep` and leftovers of builds that died (the build lock is held: none is running).

    A reader that still has a removed base attached keeps reading it (an open file outlives its name)."""
    for path in folder.iterdir():
        stale_base = path.name.startswith(BASE_PREFIX) and path.name not in keep
        if stale_base or path.name.startswith(f".{BASE_PREFIX}"):
            path.unlink(missing_ok=True)


def _lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _open_lock(root: Path) -> int:
    folder = serving_dir(root)
    folder.mkdir(parents=True, exist_ok=True)
    return os.open(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o644)


class BaseBuilds:
    """Starts a build process when asked, unless a build (from any process on this lake) holds the lock."""

    def __init__(self, root: str | os.PathLike[str], business_timezone: str) -> None:
        self.root = lake_root(root)
        self.timezone = business_timezone
        self._child: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        """Whether a build this process started is still running."""
        return self._child is not None and self._child.poll() is None

    def start(self) -> bool:
        """Start `python -m services.serving_base` holding the build lock; whether one was started."""
        if self.running:
            return False
        fd = _open_lock(self.root)
        try:
            if not _lock(fd):
                return False
            self._child = subprocess.Popen(  # inherits the locked descriptor: the lock is the child's until it ends
                [sys.executable, "-m", "services.serving_base", str(self.root), "--timezone", self.timezone,
                 "--lock-fd", str(fd)], pass_fds=(fd,))
        finally:
            os.close(fd)
        logger.info("serving base build started", extra={"pid": self._child.pid})
        return True

    def locked(self) -> bool:
        """Whether a build holds the lock now (this process's or another's)."""
        fd = _open_lock(self.root)
        try:
            if _lock(fd):
                fcntl.flock(fd, fcntl.LOCK_UN)
                return False
            return True
        finally:
            os.close(fd)

    def wait(self, timeout: float) -> bool:
        """Wait for the build this process started, if any; whether it ended in time."""
        if self._child is None:
            return True
        try:
            self._child.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            return False


def _configure_logging() -> None:
    """The serving process's log settings; the defaults when the settings do not load (a lake without an app)."""
    from etl.logs import configure_logging
    from etl.settings import SettingsError, get_settings

    try:
        settings = get_settings()
    except SettingsError:
        configure_logging()
        return
    configure_logging(settings.log_level, settings.log_format)


def main(argv: list[str] | None = None) -> int:
    """`python -m services.serving_base LAKE_ROOT --timezone TZ [--lock-fd N]`: build and publish a new base."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("root")
    parser.add_argument("--timezone", required=True)
    parser.add_argument("--lock-fd", type=int, help="an inherited descriptor that holds the build lock")
    args = parser.parse_args(argv)
    _configure_logging()
    os.nice(10)  # serving requests come first
    fd = args.lock_fd if args.lock_fd is not None else _open_lock(lake_root(args.root))
    if args.lock_fd is None and not _lock(fd):
        logger.info("a serving base build is already running")
        return 0
    try:
        build_base(args.root, args.timezone)
    except Exception:
        logger.exception("serving base build failed; the current base stays")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


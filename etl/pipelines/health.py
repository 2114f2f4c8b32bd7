"""Health: the one report of the hourly `health_check` task, the dashboard's `/health` and the operator console.

Per dataset (DESIGN §6) `status` is, by the first rule that holds:

- `unreadable`: a file it publishes cannot be read (a corrupt or truncated Parquet file, a missing file, a manifest
  that does not parse) — found by the serving layer, or by the footer check here of the newest manifests' files;
- `failing`: a day within the last ETL_LATE_CHANGE_WINDOW_DAYS (up to today) whose last run failed (`failed_days`);
- `stale`: freshness `critical` (last processed day more than 3 days late) or `never` loaded;
- `ok`.

The report's `status`: `down` when the lake or Redis is down; `failing` when a dataset is failing or unreadable or a
dimension file is unreadable; `degraded` for stale data or when no Celery worker answers (the numbers served are
right, only old, so the dashboard stays in rotation); else `ok`. `/health` answers 503 for `down` and `failing`.

Nothing in the report is an absolute path or a secret: errors are scrubbed (see `scrub`) and files are named by their
table key (`star-schema/fact_sales`) and day.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlparse

import pyarrow as pa
import pyarrow.parquet as pq
import redis

from etl import io_parquet, schemas
from etl.catalog import CATALOG, DIMENSIONS_EVERY_HOURS
from etl.dates import business_today, day_range
from etl.day_manifest import loaded_days, read_manifest, table_key
from etl.settings import Settings
from etl.status import Freshness, dataset_freshness, read_status
from etl.workers import worker_report

log = logging.getLogger(__name__)

REDIS_TIMEOUT_SECONDS = 1.0
STALE_LEVELS = ("critical", "never")
NEWEST_DAYS_CHECKED = 3  # per dataset, the newest published days whose files get a footer check
DIMENSIONS = "dimensions"  # the `dataset` of an unreadable dimension file, and the status entry of refreshes
MANIFEST_TABLE = "manifest"  # the `table` of a manifest that does not parse
FAILING_STATUSES = ("down", "failing")  # report statuses `/health` answers 503 for
MAX_TEXT_CHARS = 300
_FOOTER_CACHE_ENTRIES = 4096

FileVersion = tuple[int, int, int]  # (st_mtime_ns, st_ino, st_size): a file replaced by rename gets a new one


@dataclass(frozen=True)
class Unreadable:
    """A published file that cannot be read, named without its absolute path."""

    dataset: str
    day: date | None  # None for dimension files
    table: str  # table key, e.g. `star-schema/fact_sales`
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "day": self.day.isoformat() if self.day else None, "table": self.table,
                "reason": self.reason}


_URL_USERINFO = re.compile(r"(\w+://)[^/@\s]+@")
_ABSOLUTE_PATH = re.compile(r"""(?<![\w/.:])/[^\s'"]+""")


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` on one line without secrets, URL credentials or absolute paths (a path keeps its last part)."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "***")
    text = _URL_USERINFO.sub(r"\1***@", text)
    text = _ABSOLUTE_PATH.sub(lambda match: PurePosixPath(match.group()).name or "/", text)
    line = " ".join(text.split())
    return line if len(line) <= MAX_TEXT_CHARS else line[: MAX_TEXT_CHARS - 1] + "…"


def short_reason(error: BaseException) -> str:
    """Why a file could not be read, short and without paths."""
    return scrub(f"{type(error).__name__}: {error}")


def settings_secrets(settings: Settings) -> list[str]:
    return [value for value in (settings.odoo.api_key if settings.odoo else None, settings.ops_password,
                                urlparse(settings.redis_url).password) if value]


def file_version(path: str | os.PathLike[str]) -> FileVersion | None:
    """The file's version, or None when it does not exist."""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return stat.st_mtime_ns, stat.st_ino, stat.st_size


_footers: dict[tuple[str, FileVersion], str | None] = {}
_footers_lock = threading.Lock()


def footer_problem(path: str | os.PathLike[str], version: FileVersion | None = None) -> str | None:
    """Why the Parquet footer of `path` cannot be read (None when it can), cached per file version (`version`, when
    the caller has just read it, saves a stat)."""
    version = version or file_version(path)
    if version is None:
        return "file missing"
    key = (os.fspath(path), version)
    with _footers_lock:
        if key in _footers:
            return _footers[key]
    try:
        pq.read_metadata(path)
        problem = None
    except (OSError, ValueError, pa.ArrowException) as exc:
        problem = short_reason(exc)
    with _footers_lock:
        if len(_footers) >= _FOOTER_CACHE_ENTRIES:
            _footers.clear()
        _footers[key] = problem
    return problem


def newest_files_unreadable(root: str | Path, dataset: str, days: list[date]) -> list[Unreadable]:
    """Footer check of every file the newest `NEWEST_DAYS_CHECKED` manifests of `dataset` name."""
    found = []
    for day in days[-NEWEST_DAYS_CHECKED:]:
        try:
            manifest = read_manifest(root, dataset, day)
        except (ValueError, TypeError) as exc:  # a manifest that does not parse
            found.append(Unreadable(dataset, day, MANIFEST_TABLE, short_reason(exc)))
            continue
        for key, relative in (manifest.files if manifest else {}).items():
            problem = footer_problem(io_parquet.lake_root(root) / relative)
            if problem:
                found.append(Unreadable(dataset, day, key, problem))
    return found


def dimensions_unreadable(root: str | Path) -> list[Unreadable]:
    """Footer check of every dimension file present."""
    found = []
    for name in schemas.DIMENSIONS:
        path = io_parquet.dimension_path(root, name)
        problem = footer_problem(path) if path.exists() else None
        if problem:
            found.append(Unreadable(DIMENSIONS, None, table_key(io_parquet.STAR, name), problem))
    return found


def loaded_days_by_dataset(root: str | Path) -> dict[str, list[date]]:
    """Published business days of every catalogued dataset (manifest file names)."""
    return {name: loaded_days(root, name) for name in CATALOG}


def missing_days(loaded: list[date], start: date | None, today: date) -> list[date]:
    """Days from `start` (else the first loaded day) to yesterday without a published manifest."""
    first = start or (loaded[0] if loaded else None)
    yesterday = today - timedelta(days=1)
    if first is None or first > yesterday:
        return []
    present = set(loaded)
    return [day for day in day_range(first, yesterday) if day not in present]


def failed_days(entry: Mapping[str, Any], secrets: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The status entry's failed days, oldest first, errors scrubbed."""
    secrets = list(secrets)
    return [{"day": day, "error": scrub(failure.get("error") or "", secrets), "step": failure.get("step")}
            for day, failure in sorted(entry.get("failed_days", {}).items())]


def dataset_status(failed: list[dict[str, Any]], unreadable: list[Unreadable], level: str, today: date,
                   window_days: int) -> str:
    """The rule of the module docstring."""
    if unreadable:
        return "unreadable"
    window_start = today - timedelta(days=window_days)
    if any(window_start <= date.fromisoformat(item["day"]) <= today for item in failed):
        return "failing"
    return "stale" if level in STALE_LEVELS else "ok"


def dataset_health(settings: Settings, item: Freshness, entry: Mapping[str, Any], loaded: list[date],
                   unreadable: list[Unreadable], today: date) -> dict[str, Any]:
    """One dataset's entry of the report."""
    secrets = settings_secrets(settings)
    failed = failed_days(entry, secrets)
    return {
        "title": CATALOG[item.dataset].title,
        "status": dataset_status(failed, unreadable, item.level, today, settings.late_change_window_days),
        "level": item.level,
        "last_processed_date": item.last_processed_date.isoformat() if item.last_processed_date else None,
        "days_late": item.days_late,
        "last_run": asdict(item.last_run) if item.last_run else None,
        "last_error": scrub(item.last_error, secrets) if item.last_error else None,
        "failed_days": failed,
        "missing_days": [day.isoformat() for day in missing_days(loaded, settings.etl_start_date, today)],
        "unreadable": [{k: v for k, v in bad.as_dict().items() if k != "dataset"} for bad in unreadable],
    }


def dimensions_refresh(entry: Mapping[str, Any], now: datetime, secrets: Iterable[str] = ()) -> dict[str, Any]:
    """The dimension refresh (etl_status.json's `dimensions` entry) as the operator sees it: `status` never (no
    refresh recorded) | failing (the last attempt failed) | stale (no success for two scheduled refreshes) | ok, the
    last success (when, rows, seconds) and the error of a failure newer than it. It does not change the report's
    `status`: days never fail on dimensions, and unreadable dimension files count there already."""
    success, failure = entry.get("last_success"), entry.get("last_failure")
    succeeded_at = success.get("finished_at", "") if success else ""
    failing = bool(failure) and failure.get("finished_at", "") > succeeded_at
    if failing:
        status = "failing"
    elif not success:
        status = "never"
    else:
        age = now - datetime.fromisoformat(succeeded_at)
        status = "stale" if age > timedelta(hours=2 * DIMENSIONS_EVERY_HOURS) else "ok"
    return {
        "status": status,
        "last_success": {key: success.get(key) for key in ("finished_at", "rows_out", "seconds")} if success else None,
        "last_error": scrub(failure.get("error") or "", secrets) if failing else None,
        "failed_at": failure.get("finished_at") if failing else None,
    }


def check_lake(root: str | Path) -> dict[str, Any]:
    path = Path(root)
    readable = path.is_dir() and os.access(path, os.R_OK | os.X_OK)
    return {"ok": readable, "root_exists": path.exists(), "readable": readable}


def check_redis(url: str) -> dict[str, Any]:
    client = redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS)
    try:
        return {"ok": bool(client.ping())}
    except redis.RedisError as exc:
        log.warning("redis health check failed", extra={"error": type(exc).__name__})
        return {"ok": False, "error": type(exc).__name__}
    finally:
        client.close()


def _merge(*groups: Iterable[Unreadable]) -> list[Unreadable]:
    """Unreadable files once each (by dataset, day and table), the first reason kept."""
    merged: dict[tuple[str, date | None, str], Unreadable] = {}
    for bad in (bad for group in groups for bad in group):
        merged.setdefault((bad.dataset, bad.day, bad.table), bad)
    return list(merged.values())


def _overall(lake_ok: bool, redis_ok: bool, statuses: Iterable[str], dimensions_ok: bool, workers_ok: bool) -> str:
    statuses = list(statuses)
    if not (lake_ok and redis_ok):
        return "down"
    if not dimensions_ok or any(status in ("failing", "unreadable") for status in statuses):
        return "failing"
    return "degraded" if "stale" in statuses or not workers_ok else "ok"


def health_report(settings: Settings, today: date | None = None, *,
                  unreadable: Iterable[Unreadable] = ()) -> dict[str, Any]:
    """The report: `status`, the lake, Redis and worker checks, every unreadable file, and each dataset's health.

    `unreadable` adds what a reader found beyond the footer checks made here (the dashboard's serving layer).
    """
    root = settings.data_lake_root
    lake = check_lake(root)
    redis_state = check_redis(settings.redis_url)
    workers = worker_report(settings) if redis_state["ok"] else {"ok": False, "workers": [], "error": "broker down"}
    today = today or business_today(settings.business_timezone)
    datasets: dict[str, dict[str, Any]] = {}
    bad: list[Unreadable] = []
    dimensions: dict[str, Any] | None = None
    if lake["ok"]:
        entries = read_status(root)["datasets"]
        dimensions = dimensions_refresh(entries.get(DIMENSIONS, {}), datetime.now(timezone.utc),
                                        settings_secrets(settings))
        loaded = loaded_days_by_dataset(root)
        bad = _merge(unreadable, *(newest_files_unreadable(root, name, days) for name, days in loaded.items()),
                     dimensions_unreadable(root))
        for name, days in loaded.items():
            entry = entries.get(name, {})
            mine = [found for found in bad if found.dataset == name]
            datasets[name] = dataset_health(settings, dataset_freshness(name, entry, today, days), entry, days, mine,
                                            today)
    dimensions_ok = not any(entry.dataset == DIMENSIONS for entry in bad)
    status = _overall(lake["ok"], redis_state["ok"], (entry["status"] for entry in datasets.values()),
                      dimensions_ok, workers["ok"])
    return {"status": status, "lake": lake, "redis": redis_state, "workers": workers,
            "unreadable": [entry.as_dict() for entry in bad], "datasets": datasets, "dimensions": dimensions,
            "today": today.isoformat()}


def http_status(report: Mapping[str, Any]) -> int:
    """503 when the report says the service cannot be trusted now, else 200."""
    return 503 if report["status"] in FAILING_STATUSES else 200

"""ETL run bookkeeping: `metadata/etl_status.json`, `metadata/runs/` history and freshness (DESIGN §4, §6).

The status file is updated read-modify-write under an exclusive file lock and written atomically, so concurrent
worker processes never lose each other's updates and readers never see a torn file.
"""

from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Iterator

from etl.dates import day_range
from etl.io_parquet import atomic_write_bytes, metadata_path

STATUS_FILE = "etl_status.json"
RUNS_DIR = "runs"
DROP_STEP = "drop"
FRESH_MAX_DAYS_LATE = 1
WARNING_MAX_DAYS_LATE = 3


@dataclass(frozen=True)
class RunRecord:
    """What one (dataset, day) run did; also the small summary a Celery task returns."""

    dataset: str
    day: str
    ok: bool
    rows_in: int
    rows_out: int
    quarantined: int
    seconds: float
    files: list[str]
    error: str | None = None
    finished_at: str = ""
    step: str | None = None  # where a failure happened: extract | save_raw | clean | load | commit | lock | ...
    partial: bool = False  # today so far: the day is still in progress
    metrics: dict[str, int] = field(default_factory=dict)  # data-quality counters (duplicates, unknown ids, ...)


def _utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@contextmanager
def _locked_status(root: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    path = metadata_path(root, STATUS_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            status = json.loads(path.read_text()) if path.exists() else {"datasets": {}}
            yield status
            status["updated_at"] = _utc_now()
            atomic_write_bytes(path, json.dumps(status, indent=2, sort_keys=True).encode())
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def read_status(root: str | os.PathLike[str]) -> dict[str, Any]:
    path = metadata_path(root, STATUS_FILE)
    return json.loads(path.read_text()) if path.exists() else {"datasets": {}}


def record_run(root: str | os.PathLike[str], record: RunRecord) -> RunRecord:
    """Store a run in the history and fold it into the dataset's status entry."""
    record = RunRecord(**{**asdict(record), "finished_at": record.finished_at or _utc_now()})
    stamp = record.finished_at.replace(":", "").replace("+0000", "Z")
    history = metadata_path(root, RUNS_DIR, f"{stamp}_{record.dataset}_{record.day}_{os.getpid()}.json")
    atomic_write_bytes(history, json.dumps(asdict(record), sort_keys=True).encode())
    with _locked_status(root) as status:
        entry = status["datasets"].setdefault(record.dataset, {})
        summary = {k: v for k, v in asdict(record).items() if k not in ("dataset", "ok", "files")}
        failed_days = entry.setdefault("failed_days", {})
        if record.step == DROP_STEP:  # an operator removed the day: history only, not a run of the dataset
            failed_days.pop(record.day, None)
        elif record.ok:
            entry["last_success"] = summary
            failed_days.pop(record.day, None)
            previous = entry.get("last_processed_date")
            if not record.partial and (previous is None or record.day > previous):
                entry["last_processed_date"] = record.day
        else:
            entry["last_failure"] = summary
            if record.day:
                failed_days[record.day] = {"error": record.error, "finished_at": record.finished_at,
                                           "step": record.step}
    return record


def record_failure(root: str | os.PathLike[str], dataset: str, day: str, step: str, error: BaseException | str) -> RunRecord:
    """Record a run that failed or was abandoned before it could record itself (lock, dimensions, broker, ...).

    `day` is "" for work that concerns no single day (a dimension refresh, a fan-out).
    """
    message = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    return record_run(root, RunRecord(dataset=dataset, day=day, ok=False, rows_in=0, rows_out=0, quarantined=0,
                                      seconds=0.0, files=[], error=message, step=step))


def forget_day(root: str | os.PathLike[str], dataset: str, day: str) -> None:
    """Drop a day's failure record (the day was removed on purpose by an operator)."""
    with _locked_status(root) as status:
        status["datasets"].get(dataset, {}).get("failed_days", {}).pop(day, None)


def recent_runs(root: str | os.PathLike[str], limit: int = 50) -> list[dict[str, Any]]:
    """The newest run records, newest first."""
    folder = metadata_path(root, RUNS_DIR)
    files = sorted(folder.glob("*.json"), reverse=True)[:limit] if folder.exists() else []
    return [json.loads(file.read_text()) for file in files]


@dataclass(frozen=True)
class LastRun:
    """The latest successful run of a dataset, as the operator sees it."""

    day: str
    finished_at: str
    rows_out: int
    quarantined: int
    seconds: float


@dataclass(frozen=True)
class Freshness:
    dataset: str
    last_processed_date: date | None
    days_late: int | None
    level: str  # fresh | warning | critical | never
    last_error: str | None
    gaps: list[date]
    last_run: LastRun | None = None


def freshness_level(days_late: int | None) -> str:
    if days_late is None:
        return "never"
    if days_late <= FRESH_MAX_DAYS_LATE:
        return "fresh"
    return "warning" if days_late <= WARNING_MAX_DAYS_LATE else "critical"


def dataset_freshness(
    dataset: str, entry: dict[str, Any], today: date, loaded_days: list[date]
) -> Freshness:
    """Freshness of one dataset: how many days its last processed business day lags `today`, and missing days."""
    last = entry.get("last_processed_date")
    last_day = date.fromisoformat(last) if last else None
    days_late = (today - last_day).days if last_day else None
    gaps: list[date] = []
    if loaded_days:
        present = set(loaded_days)
        first = loaded_days[0]
        gaps = [day for day in day_range(first, loaded_days[-1]) if day not in present]
    failure = entry.get("last_failure")
    success = entry.get("last_success")
    failing_now = failure and (not success or failure.get("finished_at", "") > success.get("finished_at", ""))
    last_run = LastRun(success["day"], success.get("finished_at", ""), success.get("rows_out", 0),
                       success.get("quarantined", 0), success.get("seconds", 0.0)) if success else None
    return Freshness(dataset, last_day, days_late, freshness_level(days_late),
                     failure.get("error") if failing_now else None, gaps, last_run)

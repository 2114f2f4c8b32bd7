"""The operational page's two ETL actions, and their per-day progress read back from the lake.

- Async refresh: one `etl_tasks.date_range_etl_pipeline(start, end, [dataset])` sent *by name* through a minimal
  Celery client (etl.workers.broker_app); the workers fan it out per day. The dashboard never imports `etl_tasks`.
- Sync refresh: exactly one day, run in this process on a background thread (the request returns at once, so no
  HTTP timeout cuts a slow day short). The ETL functions and the Odoo client are imported inside that thread only:
  importing this module loads neither.

Either way the page follows the days the same way: a (dataset, day) is `done` once its published manifest was built
after the action was sent, `failed` once etl_status.json records a failure of that day after it, else `waiting`.
Who checks that the caller may act is the page's business (services.operator_auth); everything here trusts it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, timezone
from typing import Any

import polars as pl

from etl.catalog import CATALOG
from etl.dates import DayRangeError, checked_days
from etl.day_manifest import read_manifest
from etl.pipelines.health import check_redis, scrub, settings_secrets
from etl.settings import Settings
from etl.status import read_status, record_failure
from etl.workers import broker_app

log = logging.getLogger(__name__)

MAX_RANGE_DAYS = 31
RANGE_TASK = "etl_tasks.date_range_etl_pipeline"  # DESIGN §3; sent by name
RANGE_QUEUE = "orchestration"  # DESIGN §3: date_range_* tasks go to the orchestration queue
SEND_TIMEOUT_SECONDS = 3.0
ASYNC, SYNC = "async", "sync"
WAITING, DONE, FAILED = "waiting", "done", "failed"
# A day run here that has left no trace after its deadline plus this was lost with its process (a restart).
LOST_MARGIN_SECONDS = 60


class ActionProblem(Exception):
    """Why an action did nothing: the message in English (logs, tests), and its `reason` with `values` (days as
    dates, counts as ints, error details as the ETL words them) for the page to say it in the owner's language."""

    def __init__(self, message: str, reason: str, **values: object) -> None:
        super().__init__(message)
        self.reason, self.values = reason, values


class ActionRefused(ActionProblem, ValueError):
    """The request cannot be acted on as asked (the message says why, for the form); nothing was done."""


class ActionFailed(ActionProblem, RuntimeError):
    """The action could not be started (broker down, ...); nothing was done. The message has no secrets."""


@dataclass(frozen=True)
class RefreshRequest:
    dataset: str
    days: tuple[date, ...]


def _day(value: str | None, end: str) -> date:
    """The form's `end` (start | end) day."""
    if not value:
        raise ActionRefused(f"choose the {end} day", f"no-{end}-day")
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ActionRefused(f"{end} day {value!r} is not a date (YYYY-MM-DD)", f"bad-{end}-day",
                            value=str(value)) from None


def refresh_request(dataset: str | None, start: str | None, end: str | None, settings: Settings, *,
                    single_day: bool = False, now: datetime | None = None) -> RefreshRequest:
    """The checked request: a catalogued dataset and at most `MAX_RANGE_DAYS` days up to today (business timezone),
    end not before start (an empty end is the start day); exactly one day when `single_day`."""
    if not isinstance(dataset, str) or dataset not in CATALOG:
        raise ActionRefused("choose a dataset", "no-dataset")
    first = _day(start, "start")
    last = _day(end, "end") if end else first
    try:
        days = checked_days(first, last, settings.business_timezone, max_days=MAX_RANGE_DAYS,
                            labels=("start day", "end day"), now=now)
    except DayRangeError as exc:
        raise ActionRefused(str(exc), exc.reason, **exc.values) from None
    if single_day and len(days) != 1:
        raise ActionRefused(f"Sync refresh runs exactly one day ({len(days)} chosen): choose one day, or use "
                            "Async refresh for a range", "sync-one-day", count=len(days))
    return RefreshRequest(dataset, tuple(days))


@dataclass(frozen=True)
class Job:
    """An action that was started, as the page keeps it (dcc.Store) to follow its days."""

    kind: str  # async | sync
    dataset: str
    days: tuple[str, ...]
    queued_at: str  # UTC, whole seconds: manifests and run records are stamped to the second
    task_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "days": list(self.days)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Job | None:
        """The job the page sent back, or None when it is not one (the store is the browser's: checked again)."""
        try:
            job = cls(str(data["kind"]), str(data["dataset"]), tuple(str(d) for d in data["days"]),
                      str(data["queued_at"]), data.get("task_id"))
            datetime.fromisoformat(job.queued_at)
            for day in job.days:
                date.fromisoformat(day)
        except (KeyError, TypeError, ValueError):
            return None
        valid = job.kind in (ASYNC, SYNC) and job.dataset in CATALOG and 0 < len(job.days) <= MAX_RANGE_DAYS
        return job if valid else None


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def _job(kind: str, request: RefreshRequest, task_id: str | None = None) -> Job:
    return Job(kind, request.dataset, tuple(day.isoformat() for day in request.days), _now().isoformat(), task_id)


def queue_refresh(request: RefreshRequest, settings: Settings) -> Job:
    """Send one date_range_etl_pipeline for the request to the workers; ActionFailed when the broker does not
    take it."""
    if not check_redis(settings.redis_url)["ok"]:  # fail in a second, not after Celery's reconnect attempts
        raise ActionFailed("Nothing was queued: the broker (REDIS_URL) does not answer.", "broker-down")
    start, end = request.days[0].isoformat(), request.days[-1].isoformat()
    app = broker_app(settings.redis_url, SEND_TIMEOUT_SECONDS, backend=settings.redis_url, name="nkdash-dashboard")
    try:
        job = _job(ASYNC, request)  # stamped before sending: a fast worker's manifest is never older than the job
        result = app.send_task(RANGE_TASK, args=[start, end, [request.dataset]], queue=RANGE_QUEUE,
                               retry_policy={"max_retries": 2})
    except Exception as exc:  # noqa: BLE001 - kombu/redis errors: the broker did not take the task
        detail = scrub(f"{type(exc).__name__}: {exc}", settings_secrets(settings))
        raise ActionFailed(f"Nothing was queued: {detail}", "not-queued", detail=detail)
    finally:
        app.close()
    log.info("refresh queued", extra={"dataset": request.dataset, "start": start, "end": end, "task_id": result.id})
    return replace(job, task_id=str(result.id))


def _run_here(dataset: str, day: date, settings: Settings) -> None:
    """One day in this process, dimensions first, as `etl_runner run` does; every outcome lands in the lake."""
    from etl.pipelines.runs import run_days  # the ETL and the Odoo client, loaded only when a day runs here
    from odoorpc_connector import get_odoo_connection

    try:
        client = get_odoo_connection(settings.require_odoo())
    except Exception as exc:  # noqa: BLE001 - recorded for the page, like a failed step
        record_failure(settings.data_lake_root, dataset, day.isoformat(), "odoo", exc)
        log.error("sync refresh: no odoo connection", extra={"dataset": dataset, "day": day.isoformat()})
        return
    outcome = run_days([dataset], [day], settings, client)
    log.info("sync refresh finished", extra={"dataset": dataset, "day": day.isoformat(), "failed": outcome.failed})


def start_sync_refresh(request: RefreshRequest, settings: Settings) -> Job:
    """Run the request's one day in this process, in the background; the job to follow it."""
    if len(request.days) != 1:
        raise ActionRefused("Sync refresh runs exactly one day", "sync-one-day", count=len(request.days))
    if settings.odoo is None:
        raise ActionFailed("Nothing was run: Odoo is not configured for the dashboard (ODOO_URL or ODOO_HOST).",
                           "no-odoo")
    job = _job(SYNC, request)
    day = request.days[0]
    threading.Thread(target=_run_here, args=(request.dataset, day, settings), daemon=True,
                     name=f"sync-refresh-{request.dataset}-{day.isoformat()}").start()
    log.info("sync refresh started", extra={"dataset": request.dataset, "day": day.isoformat()})
    return job


# -- progress -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DayProgress:
    day: str
    state: str  # waiting | done | failed
    finished_at: str | None = None
    rows: int | None = None
    quarantined: int | None = None
    error: str | None = None


FANOUT_FAILED, RUN_LOST = "fanout-failed", "run-lost"  # why a job stopped short
PROGRESS_SCHEMA = pl.Schema({"kind": pl.String, "dataset": pl.String, "queued_at": pl.String, "day": pl.String,
                             "state": pl.String, "finished_at": pl.String, "rows": pl.Int64, "quarantined": pl.Int64,
                             "error": pl.String})


@dataclass(frozen=True)
class JobProgress:
    """Where a job's days stand. `stopped` says why it stopped short of them: FANOUT_FAILED (the queued range task
    failed; `detail` is its error) or RUN_LOST (a day run here left no outcome; `detail` is the seconds waited)."""

    job: Job
    days: list[DayProgress]
    stopped: str | None = None
    detail: str = ""

    def count(self, state: str) -> int:
        return sum(1 for day in self.days if day.state == state)

    def rows(self) -> pl.DataFrame:
        """One row per day of the job, as the progress table shows it (its export): exact counts, UTC stamps."""
        job = {"kind": self.job.kind, "dataset": self.job.dataset, "queued_at": self.job.queued_at}
        return pl.DataFrame([{**job, **asdict(day)} for day in self.days], schema=PROGRESS_SCHEMA)

    @property
    def finished(self) -> bool:
        return self.stopped is not None or self.count(WAITING) == 0


def _after(stamp: str | None, since: datetime) -> bool:
    return bool(stamp) and datetime.fromisoformat(stamp) >= since


def day_progress(settings: Settings, dataset: str, day: str, since: datetime, failures: Mapping[str, Any],
                 secrets: list[str]) -> DayProgress:
    """Where (dataset, day) stands since `since`: its newest outcome after then, else waiting."""
    manifest = read_manifest(settings.data_lake_root, dataset, date.fromisoformat(day))
    failure = failures.get(day) or {}
    built = manifest.built_at if manifest and _after(manifest.built_at, since) else None
    failed = failure.get("finished_at") if _after(failure.get("finished_at"), since) else None
    if failed and (not built or failed > built):
        return DayProgress(day, FAILED, failed, error=scrub(failure.get("error") or "", secrets))
    if built and manifest is not None:
        return DayProgress(day, DONE, built, sum(manifest.rows.values()), manifest.quarantined)
    return DayProgress(day, WAITING)


def _fanout_failure(task_id: str | None, settings: Settings) -> str | None:
    """Why the queued date_range_etl_pipeline failed, when its result says it did (None while pending or fine)."""
    if not task_id:
        return None
    app = broker_app(settings.redis_url, SEND_TIMEOUT_SECONDS, backend=settings.redis_url, name="nkdash-dashboard")
    try:
        result = app.AsyncResult(task_id)
        if result.state != "FAILURE":
            return None
        return scrub(f"{type(result.result).__name__}: {result.result}", settings_secrets(settings))
    except Exception:  # noqa: BLE001 - the result store is unreachable: nothing to say about the fan-out
        return None
    finally:
        app.close()


def job_progress(job: Job, settings: Settings, now: datetime | None = None) -> JobProgress:
    """Every day of `job` as the lake shows it now, and why the job stopped short if it did."""
    since = datetime.fromisoformat(job.queued_at)
    failures = read_status(settings.data_lake_root)["datasets"].get(job.dataset, {}).get("failed_days", {})
    secrets = settings_secrets(settings)
    days = [day_progress(settings, job.dataset, day, since, failures, secrets) for day in job.days]
    progress = JobProgress(job, days)
    if progress.finished:
        return progress
    if job.kind == ASYNC:
        why = _fanout_failure(job.task_id, settings)
        return JobProgress(job, days, FANOUT_FAILED, why) if why else progress
    waited = ((now or _now()) - since).total_seconds()
    if waited > settings.day_deadline_seconds + settings.lock_ttl_seconds + LOST_MARGIN_SECONDS:
        return JobProgress(job, days, RUN_LOST, f"{waited:.0f}")
    return progress

"""Celery wiring for NKDash: the app, one thin task per DESIGN §3 name, queue routes and the beat schedule.

Tasks only translate arguments and call `etl.pipelines`; they pass file paths and small summaries, never frames.
Every catalogued dataset gets its tasks from its catalogue entry (etl/catalog.py): the `daily_*` pipeline task, the
scheduled unit — one (dataset, day) under its lock, late-changed days included — and its four step tasks.
The fan-outs (`date_range_etl_pipeline`, `catch_up_etl`) only dispatch one such task per (dataset, day) and return.
The step tasks (extract → save_raw → clean → update) expose the same steps on their own queues for operators who
chain them by hand; a chain publishes the day only at its last step, so it can be re-run or resumed at any step.
Nothing runs at import time besides building the app (no directories, no network).
"""

from __future__ import annotations

import logging
import math
import random
from datetime import date, datetime, timezone
from typing import Any

from celery import Celery, Task, signals
from celery.exceptions import TaskPredicate
from celery.schedules import crontab
from celery.utils import uuid

from etl.catalog import CATALOG, DIMENSIONS_EVERY_HOURS, DIMENSIONS_TASK, DatasetInfo
from etl.dates import business_today, day_range, parse_day
from etl.locks import DayLocked, LockUnavailable
from etl.logs import configure_logging
from etl.pipelines import day as day_steps
from etl.pipelines.dimensions import DIMENSIONS_DATASET, refresh_dimensions
from etl.pipelines.health import health_report
from etl.pipelines.runs import catch_up_days, nightly_days, plan_spans, resolve_datasets, run_days
from etl.settings import Settings, SettingsError, exit_on_invalid_settings
from etl.published import InputsNotPublished
from etl.status import read_status, record_failure
from odoorpc_connector import OdooClient, OdooError, OdooUnavailableError, get_odoo_connection

log = logging.getLogger(__name__)
settings: Settings = exit_on_invalid_settings()

QUEUES = ("extract", "transform", "load", "orchestration")
TASK_QUEUE_BY_PREFIX = {
    "extract_": "extract",
    "save_raw_": "transform",
    "clean_": "transform",
    "update_": "load",
    "refresh_dimensions_": "load",
    "daily_": "orchestration",
    "date_range_": "orchestration",
    "catch_up_": "orchestration",
    "health_": "orchestration",
    "today_": "orchestration",
}
# Task names whose prefix does not say their stage (DESIGN's historical names).
TASK_QUEUE_EXCEPTIONS = {"save_raw_data": "transform"}
# Failures recorded for work that concerns no dataset day (fan-outs, health) go under this name in etl_status.json.
ORCHESTRATION = "orchestration"

# Redis hands an unacknowledged message to a worker again once it has been out for `visibility_timeout` seconds.
# It must be longer than the longest task — a task is one (dataset, day), which fails by ETL_DAY_DEADLINE_SECONDS,
# and Celery stops it at the soft, then the hard time limit (settings enforce deadline < soft < hard < visibility)
# — so a message is redelivered only when the task holding it cannot still be running. It should be no longer:
# the days of a worker killed mid-run (OOM, SIGKILL, host lost) are redone that many seconds after it died, i.e.
# within minutes of a restart. A retry's countdown runs on the same clock (the retried message is delivered at
# once and held until its ETA), so every countdown stays below `visibility - hard limit` (RETRY_CEILING).
# The unacked sweep runs every 10 s (kombu's default is every 100 s) so redelivery follows the timeout closely.
BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": settings.visibility_timeout_seconds,
    "unacked_restore_interval": 10,
    "unacked_restore_throttle": 1,
}
RETRY_CEILING = max(1, settings.visibility_timeout_seconds - settings.task_time_limit)
# A held day lock is retried after it could have lapsed; enough times to outlast the longest holder (one that runs to
# the hard time limit, or is killed and leaves the lock to expire).
LOCK_RETRY_SECONDS = min(settings.lock_ttl_seconds, RETRY_CEILING)
MAX_RETRIES = math.ceil((settings.task_time_limit + settings.lock_ttl_seconds) / LOCK_RETRY_SECONDS) + 1
# Odoo outages: exponential backoff from 30 s, capped below the ceiling, within the same MAX_RETRIES budget.
ODOO_RETRY_SECONDS = min(30, RETRY_CEILING)
RESULT_EXPIRES_SECONDS = 24 * 3600

app = Celery("nkdash", broker=settings.redis_url, backend=settings.redis_url)
app.conf.update(
    timezone=settings.business_timezone.key,
    enable_utc=True,
    task_default_queue="orchestration",
    # Acknowledge a task when it has finished, not when it starts; a worker process that dies mid-task puts its
    # message back (reject on worker lost), and a worker reserves one message per process at a time.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    worker_concurrency=settings.worker_concurrency,
    task_soft_time_limit=settings.task_soft_time_limit,
    task_time_limit=settings.task_time_limit,
    broker_transport_options=BROKER_TRANSPORT_OPTIONS,
    result_expires=RESULT_EXPIRES_SECONDS,
    # Redis restarts (upgrades, OOM, host reboot): reconnect forever. Celery's default gives up after 100 attempts
    # (about 46 minutes of outage, attempts every 2..30 s) and the worker process exits with "Unrecoverable error".
    # kombu 5.7 can still end the worker (exit 1, AttributeError "'NoneType' ... 'hostname'") when the connection
    # drops while the consumer waits in BRPOP holding unacknowledged messages: compose's `restart: unless-stopped`
    # starts it again and those messages come back after the visibility timeout (see `make soak`).
    broker_connection_retry=True,
    broker_connection_retry_on_startup=True,
    broker_connection_max_retries=None,
    # A day still running when the connection drops goes on; its acknowledgement is sent once the worker has
    # reconnected. If Redis restored the message meanwhile, the redelivered copy waits on the day's lock and re-runs
    # the day, which replaces it whole: cancelling running days on every broker blip would only redo more work.
    worker_cancel_long_running_tasks_on_connection_loss=False,
    # A task that finishes while Redis is down keeps retrying to store its result (about two minutes) instead of
    # failing outside its body, which would make the finished day run again.
    result_backend_always_retry=True,
    result_backend_max_retries=30,
    worker_hijack_root_logger=False,
)


def queue_for(task_name: str) -> str:
    short = task_name.removeprefix("etl_tasks.")
    if short in TASK_QUEUE_EXCEPTIONS:
        return TASK_QUEUE_EXCEPTIONS[short]
    return next((queue for prefix, queue in TASK_QUEUE_BY_PREFIX.items() if short.startswith(prefix)),
                "orchestration")


def route_task(name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **_: Any) -> dict[str, str]:
    return {"queue": queue_for(name)}


app.conf.task_routes = (route_task,)


@signals.setup_logging.connect
def _configure_worker_logging(**_: Any) -> None:
    configure_logging(settings.log_level, settings.log_format)


# -- failures ------------------------------------------------------------------------------------------------
# Task name → (dataset, step) for every task that concerns one dataset day, from the catalogue.
DAY_TASKS: dict[str, tuple[str, str]] = {
    name: (info.name, step)
    for info in CATALOG.values()
    for name, step in ((info.pipeline_task, "pipeline"), (info.steps.extract, "extract"),
                       (info.steps.save_raw, "save_raw"), (info.steps.clean, "clean"), (info.steps.update, "load"))
}


def failure_subject(task_name: str, args: Any, kwargs: Any) -> tuple[str, str, str]:
    """(dataset, day, step) a failed task is recorded under: its dataset and day when it concerns one (the day of
    `target_date`, default yesterday; or of the summary a step task was given), else ("orchestration", "", name)."""
    short = task_name.removeprefix("etl_tasks.")
    if short == DIMENSIONS_TASK:
        return DIMENSIONS_DATASET, "", "dimensions"
    if short not in DAY_TASKS:
        return ORCHESTRATION, "", short
    dataset, step = DAY_TASKS[short]
    args, kwargs = list(args or ()), dict(kwargs or {})
    value = kwargs.get("target_date", kwargs.get("summary", args[0] if args else None))
    if isinstance(value, dict):
        value = value.get("day")
    try:
        return dataset, parse_day(value, settings.business_timezone).isoformat(), step
    except (TypeError, ValueError):
        return dataset, "", step


def _span_of(day: str, kwargs: Any) -> list[str]:
    """The days a failed task covered: its day, or the span from it to its `through_date`."""
    through = dict(kwargs or {}).get("through_date")
    if not day or not through:
        return [day]
    try:
        return [one.isoformat() for one in day_range(date.fromisoformat(day), date.fromisoformat(through))]
    except ValueError:
        return [day]


def _recorded_since(dataset: str, day: str, since: str | None) -> bool:
    """Did the pipeline itself record this failure (with its step) after `since`, the task's start?"""
    if since is None:
        return False
    entry = read_status(settings.data_lake_root)["datasets"].get(dataset, {})
    failure = entry.get("failed_days", {}).get(day) if day else entry.get("last_failure")
    return bool(failure) and failure.get("finished_at", "") >= since


class EtlTask(Task):
    """A held lock retries once it could have lapsed, an Odoo outage with backoff; a task that gives up (an error,
    retries exhausted, a time limit) is recorded as failed with its reason in metadata/etl_status.json."""

    max_retries = MAX_RETRIES

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.request.nkdash_started = datetime.now(timezone.utc).isoformat(timespec="seconds")
        try:
            return super().__call__(*args, **kwargs)
        except TaskPredicate:  # Retry, Ignore, Reject: Celery's own control flow
            raise
        except (DayLocked, LockUnavailable, InputsNotPublished) as exc:
            error: Exception = exc
            countdown = LOCK_RETRY_SECONDS + random.uniform(0, min(LOCK_RETRY_SECONDS / 2,
                                                                   RETRY_CEILING - LOCK_RETRY_SECONDS))
        except OdooUnavailableError as exc:
            error, backoff = exc, min(ODOO_RETRY_SECONDS * 2 ** self.request.retries, RETRY_CEILING)
            countdown = random.uniform(backoff / 2, backoff)
        except Exception as exc:
            self._record_failure(exc, args, kwargs)  # now: storing the result may fail too (broker down)
            raise
        try:
            raise self.retry(exc=error, countdown=countdown)
        except TaskPredicate:
            raise
        except Exception as exc:  # retries exhausted (the error itself), or the retry could not be sent
            self._record_failure(exc, args, kwargs)
            raise

    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        """Also called by the worker's main process when it kills a task at the hard time limit."""
        self._record_failure(exc, args, kwargs)

    def _record_failure(self, exc: BaseException, args: Any, kwargs: Any) -> None:
        """Record that this task gave up, unless that (or the pipeline's own record of it, naming the step it
        failed at) is already in the status since the task started."""
        try:
            dataset, day, step = failure_subject(self.name, args, kwargs)
            for one in _span_of(day, kwargs):
                if not _recorded_since(dataset, one, getattr(self.request, "nkdash_started", None)):
                    record_failure(settings.data_lake_root, dataset, one, step, exc)
        except Exception:  # noqa: BLE001 - a bookkeeping error must not hide the task's own failure
            log.exception("could not record a task failure", extra={"task": self.name})


def etl_task(name: str, **options: Any):
    """Register a task as `etl_tasks.<name>` with NKDash's retry rules."""
    return app.task(name=f"etl_tasks.{name}", base=EtlTask, **options)


# -- per dataset: the pipeline and its four steps, named by the catalogue --------------------------------------
def _client_for(*datasets: str) -> OdooClient | None:
    """The Odoo client, or None when every dataset is derived from the lake (profit needs no Odoo)."""
    return get_odoo_connection() if any(CATALOG[name].reads_odoo for name in datasets) else None


def _run_pipeline(dataset: str, target_date: str | None, refresh: bool, late_changes: bool,
                  through_date: str | None = None) -> dict:
    client = _client_for(dataset)
    target = parse_day(target_date, settings.business_timezone)
    if through_date is not None:  # one span a fan-out sized: read together, no look-back
        days = day_range(target, parse_day(through_date, settings.business_timezone))
    else:
        days = nightly_days(dataset, target, settings, client) if late_changes else [target]
    outcome = run_days([dataset], days, settings, client, refresh_first=refresh, one_span=through_date is not None)
    outcome.raise_if_failed()
    return outcome.as_dict()


def _dataset_tasks(info: DatasetInfo) -> dict[str, Task]:
    """Register `info`'s pipeline task and step tasks under their DESIGN §3 names."""
    dataset = info.name

    def pipeline(target_date: str | None = None, refresh_dimensions: bool = True, late_changes: bool = True,
                 through_date: str | None = None) -> dict:
        return _run_pipeline(dataset, target_date, refresh_dimensions, late_changes, through_date)

    def extract(target_date: str | None = None) -> dict:
        day = parse_day(target_date, settings.business_timezone)
        return day_steps.extract_step(dataset, day, settings, _client_for(dataset))

    def save_raw(summary: dict) -> dict:
        return day_steps.save_raw_step(summary, settings)

    def clean(summary: dict) -> dict:
        return day_steps.clean_step(summary, settings)

    def update(summary: dict) -> dict:
        return day_steps.publish(day_steps.load_step(summary, settings), settings)

    pipeline.__doc__ = (f"{info.title} for `target_date` (default: yesterday in the business timezone) plus the "
                        "late-changed days before it (unless `late_changes` is false); with `through_date`, the "
                        "days `target_date`..`through_date` read as one span (what a fan-out sends).")
    extract.__doc__ = f"{info.title}: read the day from Odoo into a staging file (returns its summary)."
    save_raw.__doc__ = f"{info.title}: keep the extracted day as the raw table of a new version."
    clean.__doc__ = f"{info.title}: type and validate the raw table into the clean tables and quarantine."
    update.__doc__ = f"{info.title}: build the facts and publish the day (the last step of a chain)."
    functions = {info.pipeline_task: pipeline, info.steps.extract: extract, info.steps.save_raw: save_raw,
                 info.steps.clean: clean, info.steps.update: update}
    registered = {}
    for name, function in functions.items():
        function.__name__ = function.__qualname__ = name
        registered[name] = etl_task(name)(function)
    return registered


# Module attributes too (`etl_tasks.daily_etl_pipeline`), as a hand-written task would be.
globals().update({name: task for info in CATALOG.values() for name, task in _dataset_tasks(info).items()})


@etl_task(DIMENSIONS_TASK)
def refresh_dimensions_incremental(targets: list[str] | None = None) -> dict:
    return refresh_dimensions(get_odoo_connection(), settings, targets)


# -- fan-outs and health -------------------------------------------------------------------------------------
class DispatchError(RuntimeError):
    """The broker failed while a fan-out was sending its day tasks."""


def _sizing_client(names: list[str]) -> OdooClient | None:
    """The Odoo client that counts records to size spans, or None (then days go one by one) when Odoo cannot be
    reached now: the day tasks themselves will report that."""
    try:
        return _client_for(*names)
    except (OdooError, SettingsError) as exc:
        log.warning("spans not sized: Odoo unavailable", extra={"error": str(exc)})
        return None


def _dispatch_days(pairs: list[tuple[str, date]]) -> dict:
    """Send one pipeline task per span of consecutive days of a dataset (`plan_spans`), after one dimension refresh,
    and return what was sent.

    The spans do not wait for the refresh (their facts do not depend on it); they skip their own refresh, and their
    late-change detection: a range or catch-up names exactly the days to run.
    """
    if not pairs:
        return {"dispatched": 0, "days": []}
    names = list(dict.fromkeys(name for name, _ in pairs))
    client = _sizing_client(names)
    spans = [(name, span) for name in names
             for span in plan_spans(name, [day for other, day in pairs if other == name], settings, client)]
    signatures = [app.signature(f"etl_tasks.{CATALOG[name].pipeline_task}", args=[span[0].isoformat()],
                                kwargs={"refresh_dimensions": False, "late_changes": False,
                                        "through_date": span[-1].isoformat()})
                  for name, span in spans]
    results = []
    try:
        with app.producer_or_acquire() as producer:
            app.signature(f"etl_tasks.{DIMENSIONS_TASK}").apply_async(producer=producer)
            for signature in signatures:
                results.append(signature.apply_async(producer=producer))
        group = app.GroupResult(uuid(), results)
        group.save()
    except Exception as exc:  # kombu/redis errors: the broker is down or refused the message
        raise DispatchError(f"dispatched {len(results)} of {len(spans)} span tasks, then the broker failed: "
                            f"{type(exc).__name__}: {exc}") from exc
    return {"dispatched": len(results), "group_id": group.id,
            "days": [f"{name} {day.isoformat()}" for name, span in spans for day in span]}


@etl_task("date_range_etl_pipeline")
def date_range_etl_pipeline(start_date: str, end_date: str | None = None, datasets: list[str] | None = None) -> dict:
    """Fan out one pipeline task per (dataset, day) from start to end (default: yesterday)."""
    start = parse_day(start_date, settings.business_timezone)
    end = parse_day(end_date, settings.business_timezone)
    return _dispatch_days([(name, day) for name in resolve_datasets(datasets) for day in day_range(start, end)])


@etl_task("catch_up_etl")
def catch_up_etl() -> dict:
    """Fan out every missing or failed day of every dataset since the start date (beat runs it hourly)."""
    return _dispatch_days([(name, day) for name in CATALOG for day in catch_up_days(name, settings)])


@etl_task("today_so_far_pipeline")
def today_so_far_pipeline() -> dict:
    """Refresh the current business day of the selling datasets (published as partial until the nightly run)."""
    names = [info.name for info in CATALOG.values() if info.today_so_far]
    outcome = run_days(names, [business_today(settings.business_timezone)], settings, _client_for(*names))
    outcome.raise_if_failed()
    return outcome.as_dict()


@etl_task("health_check")
def health_check() -> dict:
    report = health_report(settings)
    if report["status"] != "ok":
        log.warning("health check: %s", report["status"], extra={
            "lake_ok": report["lake"]["ok"], "redis_ok": report["redis"]["ok"],
            "not_ok": {name: entry["status"] for name, entry in report["datasets"].items()
                       if entry["status"] != "ok"}})
    return report


def _beat_schedule() -> dict[str, dict]:
    schedule = {
        f"{info.pipeline_task}": {
            "task": f"etl_tasks.{info.pipeline_task}",
            "schedule": crontab(hour=info.beat_time.hour, minute=info.beat_time.minute),
        }
        for info in CATALOG.values()
    }
    schedule["refresh-dimensions"] = {
        "task": f"etl_tasks.{DIMENSIONS_TASK}",
        "schedule": crontab(minute=30, hour=f"*/{DIMENSIONS_EVERY_HOURS}"),
    }
    schedule["health-check"] = {"task": "etl_tasks.health_check", "schedule": crontab(minute=0)}
    # Missing and failed days heal themselves: a killed run, a time limit or an outage leaves a day for this.
    schedule["catch-up"] = {"task": "etl_tasks.catch_up_etl", "schedule": crontab(minute=45)}
    if settings.today_refresh_minutes:
        schedule["today-so-far"] = {"task": "etl_tasks.today_so_far_pipeline",
                                    "schedule": crontab(minute=f"*/{settings.today_refresh_minutes}")}
    return schedule


app.conf.beat_schedule = _beat_schedule()

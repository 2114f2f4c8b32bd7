"""Celery wiring for NKDash: the app, one thin task per DESIGN §3 name, queue routes and the beat schedule.

Tasks only translate arguments and call `etl.pipelines`; they pass file paths and small summaries, never frames.
The `daily_*` pipeline tasks are the scheduled unit: one (dataset, day) under its lock, late-changed days included.
The step tasks (extract → save_raw → clean → update) expose the same steps on their own queues for operators who
chain them by hand; each step replaces files atomically, so a chain can be re-run or resumed at any step.
Nothing runs at import time besides building the app (no directories, no network).
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from celery import Celery, Task, group, signals
from celery.schedules import crontab

from etl.datasets import DATASETS, DIMENSIONS_EVERY_HOURS, DIMENSIONS_TASK
from etl.dates import day_range, parse_day
from etl.logs import configure_logging
from etl.pipelines import day as day_steps
from etl.pipelines.dimensions import refresh_dimensions
from etl.pipelines.health import health_report
from etl.locks import DayLocked
from etl.pipelines.runs import catch_up_days, nightly_days, resolve_datasets, run_days
from etl.settings import Settings, exit_on_invalid_settings
from odoorpc_connector import OdooUnavailableError, get_odoo_connection

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
}
# Task names whose prefix does not say their stage (DESIGN's historical names).
TASK_QUEUE_EXCEPTIONS = {"save_raw_data": "transform"}

app = Celery("nkdash", broker=settings.redis_url, backend=settings.redis_url)
app.conf.update(
    timezone=settings.business_timezone.key,
    enable_utc=True,
    task_default_queue="orchestration",
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    worker_concurrency=settings.worker_concurrency,
    task_soft_time_limit=settings.task_soft_time_limit,
    task_time_limit=settings.task_time_limit,
    result_expires=7 * 24 * 3600,
    broker_connection_retry_on_startup=True,
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


class EtlTask(Task):
    """Odoo outages retry with exponential backoff; a day held by another run retries once its lock could lapse."""

    autoretry_for = (OdooUnavailableError,)
    retry_backoff = 30
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = 5

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except DayLocked as exc:
            raise self.retry(exc=exc, countdown=settings.lock_ttl_seconds) from None


def etl_task(name: str, **options: Any):
    """Register a task as `etl_tasks.<name>` with NKDash's retry rules."""
    return app.task(name=f"etl_tasks.{name}", base=EtlTask, **options)


# -- steps (POS) ---------------------------------------------------------------------------------------------
@etl_task("extract_pos_order_lines")
def extract_pos_order_lines(target_date: str | None = None) -> dict:
    day = parse_day(target_date, settings.business_timezone)
    return day_steps.extract_step("pos_order_lines", day, settings, get_odoo_connection())


@etl_task("save_raw_data")
def save_raw_data(summary: dict) -> dict:
    return day_steps.save_raw_step(summary, settings)


@etl_task("clean_pos_data")
def clean_pos_data(summary: dict) -> dict:
    return day_steps.clean_step(summary, settings)


@etl_task("update_star_schema")
def update_star_schema(summary: dict) -> dict:
    summary = day_steps.load_step(summary, settings)
    day_steps.record_outcome(summary, settings)
    return summary


@etl_task(DIMENSIONS_TASK)
def refresh_dimensions_incremental(targets: list[str] | None = None) -> dict:
    return refresh_dimensions(get_odoo_connection(), settings, targets)


# -- pipelines -----------------------------------------------------------------------------------------------
def _run_pipeline(dataset: str, target_date: str | None, refresh: bool) -> dict:
    client = get_odoo_connection()
    target = parse_day(target_date, settings.business_timezone)
    days = nightly_days(dataset, target, settings, client)
    outcome = run_days([dataset], days, settings, client, refresh_first=refresh)
    outcome.raise_if_failed()
    return outcome.as_dict()


@etl_task("daily_etl_pipeline")
def daily_etl_pipeline(target_date: str | None = None, refresh_dimensions: bool = True) -> dict:
    """POS sales for `target_date` (default: yesterday in the business timezone) plus late-changed days."""
    return _run_pipeline("pos_order_lines", target_date, refresh_dimensions)


def _dispatch_days(pairs: list[tuple[str, date]]) -> dict:
    if not pairs:
        return {"dispatched": 0, "days": []}
    refresh_dimensions(get_odoo_connection(), settings)  # once, here, before the fan-out
    signatures = [
        app.signature(f"etl_tasks.{DATASETS[name].pipeline_task}", args=[day.isoformat()],
                      kwargs={"refresh_dimensions": False})
        for name, day in pairs
    ]
    result = group(signatures).apply_async()
    result.save()
    return {"dispatched": len(signatures), "group_id": result.id,
            "days": [f"{name} {day.isoformat()}" for name, day in pairs]}


@etl_task("date_range_etl_pipeline")
def date_range_etl_pipeline(start_date: str, end_date: str | None = None, datasets: list[str] | None = None) -> dict:
    """Fan out one pipeline task per (dataset, day) from start to end (default: yesterday)."""
    start = parse_day(start_date, settings.business_timezone)
    end = parse_day(end_date, settings.business_timezone)
    return _dispatch_days([(name, day) for name in resolve_datasets(datasets) for day in day_range(start, end)])


@etl_task("catch_up_etl")
def catch_up_etl() -> dict:
    """Fan out every missing day of every dataset since the start date."""
    return _dispatch_days([(name, day) for name in DATASETS for day in catch_up_days(name, settings)])


@etl_task("health_check")
def health_check() -> dict:
    report = health_report(settings)
    if report["status"] != "ok":
        log.warning("health check: %s", report["status"], extra={
            "lake_ok": report["lake"]["ok"], "redis_ok": report["redis"]["ok"],
            "stale": [name for name, entry in report["datasets"].items() if entry["level"] != "fresh"]})
    return report


def _beat_schedule() -> dict[str, dict]:
    schedule = {
        f"{spec.pipeline_task}": {
            "task": f"etl_tasks.{spec.pipeline_task}",
            "schedule": crontab(hour=spec.beat_time.hour, minute=spec.beat_time.minute),
        }
        for spec in DATASETS.values()
    }
    schedule["refresh-dimensions"] = {
        "task": f"etl_tasks.{DIMENSIONS_TASK}",
        "schedule": crontab(minute=30, hour=f"*/{DIMENSIONS_EVERY_HOURS}"),
    }
    schedule["health-check"] = {"task": "etl_tasks.health_check", "schedule": crontab(minute=0)}
    return schedule


app.conf.beat_schedule = _beat_schedule()

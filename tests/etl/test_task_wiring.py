"""The Celery wiring matches DESIGN §3: every task name, its queue, and the beat schedule in business time."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from celery.exceptions import TimeLimitExceeded

import etl_tasks
from etl.catalog import CATALOG
from etl.dates import business_yesterday
from etl.status import read_status, recent_runs
from tests.support.processes import free_port

POS_TASKS = {
    "extract_pos_order_lines": "extract",
    "save_raw_data": "transform",
    "clean_pos_data": "transform",
    "update_star_schema": "load",
    "refresh_dimensions_incremental": "load",
    "daily_etl_pipeline": "orchestration",
    "date_range_etl_pipeline": "orchestration",
    "catch_up_etl": "orchestration",
    "health_check": "orchestration",
}


@pytest.mark.parametrize(("task", "queue"), sorted(POS_TASKS.items()))
def test_task_is_registered_by_name_on_its_queue(task: str, queue: str) -> None:
    assert f"etl_tasks.{task}" in etl_tasks.app.tasks
    assert etl_tasks.queue_for(f"etl_tasks.{task}") == queue
    assert queue in etl_tasks.QUEUES


def test_beat_runs_in_the_business_timezone() -> None:
    schedule = etl_tasks.app.conf.beat_schedule
    assert etl_tasks.app.conf.timezone == "Asia/Jakarta"
    daily = schedule["daily_etl_pipeline"]["schedule"]
    assert (daily.hour, daily.minute) == ({2}, {0})
    assert schedule["health-check"]["schedule"].minute == {0}
    assert schedule["refresh-dimensions"]["schedule"].hour == {0, 4, 8, 12, 16, 20}


def test_beat_heals_missing_and_failed_days_hourly() -> None:
    catch_up = etl_tasks.app.conf.beat_schedule["catch-up"]
    assert catch_up["task"] == "etl_tasks.catch_up_etl"
    assert catch_up["schedule"].hour == set(range(24)) and len(catch_up["schedule"].minute) == 1


def test_a_lost_worker_gives_its_tasks_back_within_the_visibility_timeout() -> None:
    conf, settings = etl_tasks.app.conf, etl_tasks.settings
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    visibility = conf.broker_transport_options["visibility_timeout"]
    assert visibility == settings.visibility_timeout_seconds
    assert settings.day_deadline_seconds < conf.task_soft_time_limit < conf.task_time_limit < visibility
    # a retried task's message is out from when it is sent: countdown + run must fit in the timeout too
    assert etl_tasks.LOCK_RETRY_SECONDS + conf.task_time_limit <= visibility
    assert 0 < conf.result_expires <= 7 * 24 * 3600


def test_the_worker_reconnects_to_the_broker_forever() -> None:
    conf = etl_tasks.app.conf
    assert conf.broker_connection_retry and conf.broker_connection_retry_on_startup
    assert conf.broker_connection_max_retries is None
    assert conf.result_backend_always_retry


def test_lock_waits_outlast_the_longest_holder() -> None:
    settings = etl_tasks.settings
    assert etl_tasks.MAX_RETRIES * etl_tasks.LOCK_RETRY_SECONDS >= settings.task_time_limit + settings.lock_ttl_seconds


@pytest.mark.parametrize(("task", "args", "kwargs", "expected"), [
    ("etl_tasks.daily_etl_pipeline", ["2025-01-31"], {}, ("pos_order_lines", "2025-01-31", "pipeline")),
    ("etl_tasks.daily_etl_pipeline", [], {"target_date": "2025-01-30"}, ("pos_order_lines", "2025-01-30", "pipeline")),
    ("etl_tasks.extract_pos_order_lines", ["2025-01-29"], {}, ("pos_order_lines", "2025-01-29", "extract")),
    ("etl_tasks.clean_pos_data", [{"dataset": "pos_order_lines", "day": "2025-01-28"}], {},
     ("pos_order_lines", "2025-01-28", "clean")),
    ("etl_tasks.update_star_schema", [], {"summary": {"day": "2025-01-27"}}, ("pos_order_lines", "2025-01-27", "load")),
    ("etl_tasks.daily_etl_pipeline", ["not a day"], {}, ("pos_order_lines", "", "pipeline")),
    ("etl_tasks.date_range_etl_pipeline", ["2025-01-01", "2025-01-31"], {}, ("orchestration", "", "date_range_etl_pipeline")),
    ("etl_tasks.catch_up_etl", [], {}, ("orchestration", "", "catch_up_etl")),
])
def test_a_failed_task_is_recorded_under_its_dataset_and_day(task, args, kwargs, expected) -> None:
    assert etl_tasks.failure_subject(task, args, kwargs) == expected


def test_a_pipeline_task_without_a_day_is_recorded_under_yesterday() -> None:
    dataset, day, _ = etl_tasks.failure_subject("etl_tasks.daily_etl_pipeline", [], {})
    assert (dataset, day) == ("pos_order_lines", business_yesterday(etl_tasks.settings.business_timezone).isoformat())


@pytest.fixture
def lake_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(etl_tasks, "settings", replace(etl_tasks.settings, data_lake_root=str(tmp_path)))
    return tmp_path


def test_a_hard_time_limit_is_recorded_as_the_days_failure(lake_settings: Path) -> None:
    # what the worker's main process calls when it kills a task at the hard time limit
    etl_tasks.daily_etl_pipeline.on_failure(TimeLimitExceeded(720), "task-id", ["2025-01-31"], {}, None)
    failed = read_status(lake_settings)["datasets"]["pos_order_lines"]["failed_days"]["2025-01-31"]
    assert "TimeLimitExceeded" in failed["error"] and failed["step"] == "pipeline"
    assert recent_runs(lake_settings)[0]["error"] == failed["error"]


def test_a_fan_out_that_cannot_reach_the_broker_fails_loudly_and_is_recorded(
        lake_settings: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = etl_tasks.app
    monkeypatch.setattr(app.conf, "broker_url", f"redis://127.0.0.1:{free_port()}/0")
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    result = etl_tasks.date_range_etl_pipeline.apply(args=["2025-01-01", "2025-01-03"],
                                                     kwargs={"datasets": ["pos_order_lines"]})
    assert result.failed()
    assert isinstance(result.result, etl_tasks.DispatchError)
    assert "dispatched 0 of 3" in str(result.result)
    entry = read_status(lake_settings)["datasets"]["orchestration"]
    assert entry["last_failure"]["step"] == "date_range_etl_pipeline"
    assert "DispatchError" in entry["last_failure"]["error"]
    assert len([run for run in recent_runs(lake_settings) if run["dataset"] == "orchestration"]) == 1


@pytest.mark.parametrize("info", list(CATALOG.values()), ids=lambda info: info.name)
def test_every_catalogued_dataset_has_its_pipeline_and_step_tasks(info) -> None:
    names = {info.pipeline_task: "orchestration", info.steps.extract: "extract", info.steps.save_raw: "transform",
             info.steps.clean: "transform", info.steps.update: "load"}
    for name, queue in names.items():
        assert f"etl_tasks.{name}" in etl_tasks.app.tasks
        assert etl_tasks.queue_for(f"etl_tasks.{name}") == queue
        assert getattr(etl_tasks, name).name == f"etl_tasks.{name}"
    assert etl_tasks.app.conf.beat_schedule[info.pipeline_task]["task"] == f"etl_tasks.{info.pipeline_task}"


def test_today_so_far_refreshes_the_selling_datasets_every_few_minutes() -> None:
    entry = etl_tasks.app.conf.beat_schedule["today-so-far"]
    assert entry["task"] == "etl_tasks.today_so_far_pipeline"
    assert entry["schedule"].minute == set(range(0, 60, etl_tasks.settings.today_refresh_minutes))
    assert {info.name for info in CATALOG.values() if info.today_so_far} == {"pos_order_lines", "invoice_sales"}
    assert etl_tasks.queue_for("etl_tasks.today_so_far_pipeline") == "orchestration"


def test_a_lake_derived_dataset_runs_without_an_odoo_client(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_odoo() -> None:
        raise AssertionError("profit must not connect to Odoo")

    monkeypatch.setattr(etl_tasks, "get_odoo_connection", no_odoo)
    assert etl_tasks._client_for("profit") is None


def test_a_fan_outs_day_runs_just_that_day(monkeypatch: pytest.MonkeyPatch) -> None:
    """A range or catch-up names its days: each day task skips late-change detection (its Odoo calls)."""
    ran: list = []

    def no_detection(*_: object) -> None:
        raise AssertionError("a fan-out's day must not look for late changes")

    class Outcome:
        def raise_if_failed(self) -> None:
            return None

        def as_dict(self) -> dict:
            return {}

    monkeypatch.setattr(etl_tasks, "nightly_days", no_detection)
    monkeypatch.setattr(etl_tasks, "run_days", lambda names, days, *_, **__: ran.append((names, days)) or Outcome())
    etl_tasks._run_pipeline("profit", "2026-01-06", refresh=False, late_changes=False)
    assert ran == [(["profit"], [date(2026, 1, 6)])]

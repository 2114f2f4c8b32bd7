"""A task that gives up is recorded as failed with its reason — in metadata/etl_status.json's failed_days and in the
run history — and the scheduled catch-up heals the day once Odoo answers again."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest
from celery.exceptions import TimeoutError as CeleryTimeout

from etl.status import read_status, recent_runs
from tests.conftest import DemoOdoo
from tests.reliability.harness import DATASET, Worker, client, published, send_daily, wait_for_days, worker_env
from tests.support.demo_control import faults

pytestmark = pytest.mark.celery


def test_a_failing_day_is_recorded_with_its_reason_and_caught_up_later(
        small_demo: DemoOdoo, month: list[date], broker: str, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    good, bad = month[-3:-1], month[-1]
    env = worker_env(small_demo.env(lake), broker, ETL_START_DATE=good[0].isoformat())
    worker = Worker(env, concurrency=2, name="nkdash-failing")
    results = client(broker)
    try:
        worker.start()
        send_daily(broker, good)
        wait_for_days(lake, good, timeout=90, describe=worker.log_tail)
        with faults(small_demo.url, deny_models=["pos.order"]):
            [task_id] = send_daily(broker, [bad])
            with pytest.raises(Exception) as failure:
                results.AsyncResult(task_id).get(timeout=90)
            assert not isinstance(failure.value, CeleryTimeout), worker.log_tail()
        assert results.AsyncResult(task_id).state == "FAILURE"

        entry = read_status(lake)["datasets"][DATASET]
        recorded = entry["failed_days"][bad.isoformat()]
        assert "pos.order" in recorded["error"] and "Access" in recorded["error"], recorded
        history = [run for run in recent_runs(lake) if run["dataset"] == DATASET and run["day"] == bad.isoformat()]
        assert history and not history[0]["ok"] and history[0]["error"] == recorded["error"]
        assert bad not in published(lake)

        # Odoo answers again: the hourly catch-up picks the failed day up (and only it, of this dataset)
        dispatched = results.send_task("etl_tasks.catch_up_etl", queue="orchestration").get(timeout=60)
        assert [entry for entry in dispatched["days"] if entry.startswith(DATASET)] == [f"{DATASET} {bad.isoformat()}"]
        wait_for_days(lake, [bad], timeout=90, describe=worker.log_tail)
        deadline = time.monotonic() + 30
        while bad.isoformat() in _failed_days(lake) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        worker.stop()
    assert bad.isoformat() not in _failed_days(lake)


def _failed_days(lake: Path) -> dict:
    return read_status(lake)["datasets"][DATASET]["failed_days"]

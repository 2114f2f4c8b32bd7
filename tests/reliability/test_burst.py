"""Any number of day tasks queued at once all complete: a month sent as 30 `celery call`s to one worker with two
processes is published whole, every fact row equal to an in-process run of the same days."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.conftest import DemoOdoo
from tests.reliability.harness import Worker, celery_calls, client, day_differences, wait_for_days, worker_env

pytestmark = pytest.mark.celery


def test_thirty_days_sent_at_once_are_all_published_exactly(
        small_demo: DemoOdoo, month: list[date], reference: Path, broker: str, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    env = worker_env(small_demo.env(lake), broker)
    worker = Worker(env, concurrency=2, name="nkdash-burst")
    try:
        worker.start()
        ids = celery_calls(env, "daily_etl_pipeline", [[day.isoformat()] for day in month])
        assert len(set(ids)) == len(month)
        wait_for_days(lake, month, timeout=150, describe=worker.log_tail)
        results = client(broker)
        summaries = [results.AsyncResult(task_id).get(timeout=60) for task_id in ids]
    finally:
        worker.stop()
    assert sorted(done["day"] for summary in summaries for done in summary["done"]) == [d.isoformat() for d in month]
    assert all(summary["failed"] == {} for summary in summaries)
    assert day_differences(lake, reference, month) == {}

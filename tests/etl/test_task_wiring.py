"""The Celery wiring matches DESIGN §3: every task name, its queue, and the beat schedule in business time."""

from __future__ import annotations

import pytest

import etl_tasks

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

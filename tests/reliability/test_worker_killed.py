"""A worker killed outright (SIGKILL of the main process and its pool) mid-range loses nothing: a new worker, started
with no other command, redoes the killed days once their messages come back after the visibility timeout, and
every day is published exactly once (no doubled rows)."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest
from redis import StrictRedis

from etl.locks import lock_key
from tests.conftest import DemoOdoo
from tests.reliability.harness import (
    DATASET, FAST_LIMITS, Worker, day_differences, published, send_daily, wait_for_days, worker_env,
)
from tests.support.demo_control import faults

pytestmark = pytest.mark.celery
DAYS = 8


def _days_in_progress(broker: str, lake: Path) -> list[str]:
    """Days whose lock is held in `lake` right now."""
    redis = StrictRedis.from_url(broker)
    try:
        return sorted(key.decode()[-10:] for key in redis.scan_iter(lock_key(DATASET, "*", str(lake))))
    finally:
        redis.close()


def test_a_killed_worker_loses_no_day_and_doubles_no_row(
        small_demo: DemoOdoo, month: list[date], reference: Path, broker: str, tmp_path: Path) -> None:
    lake, days = tmp_path / "lake", month[-DAYS:]
    env = worker_env(small_demo.env(lake), broker)
    first = Worker(env, concurrency=2, name="nkdash-killed")
    second = Worker(env, concurrency=2, name="nkdash-after-kill")
    try:
        first.start()
        with faults(small_demo.url, latency_ms=60):  # a day takes a few seconds: the kill lands inside some
            send_daily(broker, days)
            deadline = time.monotonic() + 90
            while not (published(lake) and _days_in_progress(broker, lake)) and time.monotonic() < deadline:
                time.sleep(0.1)
            in_progress = _days_in_progress(broker, lake)
            assert published(lake) and in_progress, "no day was running mid-range:\n" + first.log_tail()
            first.kill()
        before_restart = set(published(lake))
        assert before_restart < set(days), "every day was done before the kill"
        second.start()
        waited = wait_for_days(lake, days, timeout=150, describe=second.log_tail)
    finally:
        first.stop()
        second.stop()
    assert day_differences(lake, reference, days) == {}
    # the days that were running when the worker died were redone by the new one, within minutes
    assert [day for day in in_progress if date.fromisoformat(day) not in before_restart], in_progress
    assert waited < int(FAST_LIMITS["CELERY_VISIBILITY_TIMEOUT_SECONDS"]) + 60

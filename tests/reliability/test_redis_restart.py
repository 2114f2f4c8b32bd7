"""Redis killed and restarted mid-range, the worker left running (and restarted only if it exits, as compose's
`restart: unless-stopped` would): every day is published, exactly.

The worker reconnects by itself (it retries forever). kombu can still make it exit when the connection drops while
its consumer waits in BRPOP with unacknowledged messages (the close path restores them through a connection already
released: AttributeError '...hostname'); the supervisor restarts it then, as compose does, and those messages come
back after the visibility timeout. So the test holds the outcome, not the process, to account."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Iterator

import pytest

from tests.conftest import DemoOdoo
from tests.reliability.harness import Worker, day_differences, published, send_daily, wait_for_days, worker_env
from tests.support.demo_control import faults
from tests.support.processes import RedisServer, redis_server

pytestmark = pytest.mark.celery
DAYS = 8
DOWN_SECONDS = 5


@pytest.fixture(scope="module")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """Persistent like compose's Redis (`--appendonly yes`), so a restart keeps the queues."""
    with redis_server(tmp_path_factory.mktemp("redis"), persistent=True) as server:
        yield server


def test_a_redis_restart_mid_range_loses_no_day(
        small_demo: DemoOdoo, month: list[date], reference: Path, redis: RedisServer, broker: str,
        tmp_path: Path) -> None:
    lake, days = tmp_path / "lake", month[-DAYS:]
    worker = Worker(worker_env(small_demo.env(lake), broker), concurrency=2, name="nkdash-redis", supervised=True)
    try:
        worker.start()
        with faults(small_demo.url, latency_ms=40):
            send_daily(broker, days)
            deadline = time.monotonic() + 90
            while not published(lake) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert published(lake), worker.log_tail()
            redis.kill()
            assert set(published(lake)) < set(days), "every day was done before Redis went away"
            time.sleep(DOWN_SECONDS)
            redis.start()
        wait_for_days(lake, days, timeout=150, describe=worker.log_tail)
    finally:
        worker.stop()
    assert day_differences(lake, reference, days) == {}
    assert any("Connection to broker lost" in line for line in worker.output), "Redis went away unnoticed"

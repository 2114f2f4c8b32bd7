"""The (dataset, day) lock: exclusive while held, renewed while the run lives, released after."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import redis

from etl.locks import DayLocked, day_lock

REDIS_URL = "redis://127.0.0.1:6379/12"


def test_a_held_day_cannot_be_taken_twice_and_is_released(tmp_path: Path) -> None:
    with day_lock("pos_order_lines", "2026-01-06", redis_url=REDIS_URL, lake_root=str(tmp_path)):
        with pytest.raises(DayLocked):
            with day_lock("pos_order_lines", "2026-01-06", redis_url=REDIS_URL, lake_root=str(tmp_path)):
                pass
        with day_lock("pos_order_lines", "2026-01-07", redis_url=REDIS_URL, lake_root=str(tmp_path)):
            pass
    with day_lock("pos_order_lines", "2026-01-06", redis_url=REDIS_URL, lake_root=str(tmp_path)):
        pass


def test_the_heartbeat_keeps_a_long_run_locked(tmp_path: Path) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    with day_lock("pos_order_lines", "2026-01-08", redis_url=REDIS_URL, lake_root=str(tmp_path), ttl_seconds=1):
        for _ in range(8):  # 1.6 s: past the 1 s expiry, kept alive by renewals
            assert client.exists("nkdash:lock:pos_order_lines:2026-01-08")
            threading.Event().wait(0.2)
    assert not client.exists("nkdash:lock:pos_order_lines:2026-01-08")


def test_without_redis_a_file_lock_keeps_scripts_apart(tmp_path: Path) -> None:
    down = "redis://127.0.0.1:1/0"
    with day_lock("pos_order_lines", "2026-01-06", redis_url=down, lake_root=str(tmp_path)):
        with pytest.raises(DayLocked):
            with day_lock("pos_order_lines", "2026-01-06", redis_url=down, lake_root=str(tmp_path)):
                pass

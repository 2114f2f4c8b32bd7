"""The (lake, dataset, day) lock: exclusive while held, per lake, renewed while the run lives, released after; a Redis
that does not answer is LockUnavailable (never a silent file lock); a lock lost while held is detected."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Iterator

import pytest
import redis

from etl.locks import REDIS_WAIT_SECONDS, DayLocked, LockLost, LockUnavailable, day_lock, lake_hash, lock_key
from tests.support.processes import free_port
from tests.support.redis_db import redis_or_skip

REDIS_URL = "redis://127.0.0.1:6379/15"
DATASET = "pos_order_lines"


@pytest.fixture
def client() -> Iterator[redis.Redis]:
    """The real local Redis (db 15), or a skip when it does not answer."""
    yield from redis_or_skip(REDIS_URL)


def test_a_held_day_cannot_be_taken_twice_and_is_released(client: redis.Redis, tmp_path: Path) -> None:
    lake = str(tmp_path)
    with day_lock(DATASET, "2026-01-06", redis_url=REDIS_URL, lake_root=lake) as lock:
        assert client.exists(lock_key(DATASET, "2026-01-06", lake)) and not lock.lost
        with pytest.raises(DayLocked):
            with day_lock(DATASET, "2026-01-06", redis_url=REDIS_URL, lake_root=lake):
                pass
        with day_lock(DATASET, "2026-01-07", redis_url=REDIS_URL, lake_root=lake):
            pass
    assert not client.exists(lock_key(DATASET, "2026-01-06", lake))
    with day_lock(DATASET, "2026-01-06", redis_url=REDIS_URL, lake_root=lake):
        pass


def test_two_lakes_on_one_redis_do_not_block_each_other(client: redis.Redis, tmp_path: Path) -> None:
    lake_a, lake_b = tmp_path / "a", tmp_path / "b"
    key_a, key_b = lock_key(DATASET, "2026-01-06", str(lake_a)), lock_key(DATASET, "2026-01-06", str(lake_b))
    assert key_a != key_b and key_a == f"nkdash:{lake_hash(str(lake_a))}:lock:{DATASET}:2026-01-06"
    assert lake_hash(str(tmp_path / "x" / ".." / "a")) == lake_hash(str(lake_a)), "the resolved path is hashed"
    with day_lock(DATASET, "2026-01-06", redis_url=REDIS_URL, lake_root=str(lake_a)):
        with day_lock(DATASET, "2026-01-06", redis_url=REDIS_URL, lake_root=str(lake_b)):
            assert client.exists(key_a) and client.exists(key_b)


def test_the_heartbeat_keeps_a_long_run_locked(client: redis.Redis, tmp_path: Path) -> None:
    key = lock_key(DATASET, "2026-01-08", str(tmp_path))
    with day_lock(DATASET, "2026-01-08", redis_url=REDIS_URL, lake_root=str(tmp_path), ttl_seconds=1) as lock:
        for _ in range(8):  # 1.6 s: past the 1 s expiry, kept alive by renewals
            assert client.exists(key)
            threading.Event().wait(0.2)
        assert not lock.lost
        lock.check()
    assert not client.exists(key)


@pytest.mark.parametrize("taken", [False, True], ids=["expired", "taken-over"])
def test_a_lock_lost_while_held_is_detected(client: redis.Redis, tmp_path: Path, taken: bool) -> None:
    key = lock_key(DATASET, "2026-01-09", str(tmp_path))
    with day_lock(DATASET, "2026-01-09", redis_url=REDIS_URL, lake_root=str(tmp_path), ttl_seconds=1) as lock:
        client.delete(key)
        if taken:
            client.set(key, "another run", ex=30)
        waited = time.monotonic()
        while not lock.lost and time.monotonic() - waited < 3:
            time.sleep(0.05)
        assert lock.lost, "the next renewal (every TTL/4) notices the key is not ours"
        with pytest.raises(LockLost, match=DATASET):
            lock.check()
    assert client.get(key) == (b"another run" if taken else None), "leaving never deletes another run's lock"
    client.delete(key)


def test_an_unreachable_redis_is_lock_unavailable_never_a_file_lock(tmp_path: Path) -> None:
    down = f"redis://:s3cret@127.0.0.1:{free_port()}/0"  # a closed port
    started = time.monotonic()
    with pytest.raises(LockUnavailable) as raised:
        with day_lock(DATASET, "2026-01-06", redis_url=down, lake_root=str(tmp_path)):
            pytest.fail("the body must not run without a lock")
    elapsed = time.monotonic() - started
    assert REDIS_WAIT_SECONDS - 0.5 <= elapsed <= REDIS_WAIT_SECONDS + 3, "waited a short, bounded time"
    message = str(raised.value)
    assert "\n" not in message and "127.0.0.1" in message and "s3cret" not in message
    assert not (tmp_path / "metadata" / "locks").exists(), "no file lock was taken instead"
    assert not issubclass(LockUnavailable, DayLocked), "recorded by callers, unlike a held day"


def test_the_file_backend_keeps_two_holders_apart(tmp_path: Path) -> None:
    down = f"redis://127.0.0.1:{free_port()}/0"  # never asked: the file backend needs no broker
    with day_lock(DATASET, "2026-01-06", redis_url=down, lake_root=str(tmp_path), backend="file") as lock:
        assert lock.backend == "file" and not lock.lost
        with pytest.raises(DayLocked):
            with day_lock(DATASET, "2026-01-06", redis_url=down, lake_root=str(tmp_path), backend="file"):
                pass
        with day_lock(DATASET, "2026-01-07", redis_url=down, lake_root=str(tmp_path), backend="file"):
            pass
    with day_lock(DATASET, "2026-01-06", redis_url=down, lake_root=str(tmp_path), backend="file"):
        pass


def test_an_unknown_backend_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="backend"):
        with day_lock(DATASET, "2026-01-06", redis_url=REDIS_URL, lake_root=str(tmp_path), backend="memory"):
            pass

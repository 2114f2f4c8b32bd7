"""One run per (dataset, day) at a time: a Redis lock with expiry, or a local file lock when Redis is absent.

The Redis lock is the real guard between workers on several hosts; the file lock keeps two operator scripts on one
machine apart when no broker runs (e.g. `make run` without Redis).
"""

from __future__ import annotations

import fcntl
import logging
import uuid
from contextlib import contextmanager
from typing import Iterator

import redis

from etl.io_parquet import metadata_path

log = logging.getLogger(__name__)

RELEASE_IF_OWNER = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end
"""


class DayLocked(RuntimeError):
    """Another run holds the (dataset, day) lock."""


def _redis(url: str) -> redis.Redis | None:
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError:
        return None
    return client


@contextmanager
def day_lock(dataset: str, day: str, *, redis_url: str, lake_root: str, ttl_seconds: int) -> Iterator[None]:
    """Hold the lock for `dataset` on `day` for the body; raise DayLocked when someone else has it."""
    name = f"nkdash:lock:{dataset}:{day}"
    client = _redis(redis_url)
    if client is None:
        log.info("redis unavailable, using a local file lock", extra={"dataset": dataset, "day": day})
        path = metadata_path(lake_root, "locks", f"{dataset}_{day}.lock")
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise DayLocked(f"{dataset} {day} is already being processed on this machine") from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return
    token = uuid.uuid4().hex
    if not client.set(name, token, nx=True, ex=ttl_seconds):
        raise DayLocked(f"{dataset} {day} is already being processed (lock {name})")
    try:
        yield
    finally:
        client.eval(RELEASE_IF_OWNER, 1, name, token)

"""One run per (dataset, day) at a time: a Redis lock with expiry, or a local file lock when Redis is absent.

The Redis lock is the real guard between workers on several hosts. Its expiry is short (ETL_LOCK_TTL_SECONDS) and a
heartbeat thread renews it while the run is alive, so the lock of a killed worker lapses within that time and the
redelivered task can take the day over. The file lock keeps two operator scripts on one machine apart when no broker runs
(e.g. `make run` without Redis); the kernel releases it when its process dies.
"""

from __future__ import annotations

import fcntl
import logging
import threading
import uuid
from contextlib import contextmanager
from typing import Iterator

import redis

from etl.io_parquet import metadata_path

log = logging.getLogger(__name__)

RENEWALS_PER_TTL = 4
RELEASE_IF_OWNER = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end
"""
RENEW_IF_OWNER = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('expire', KEYS[1], ARGV[2]) else return 0 end
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


def _renew_until(stop: threading.Event, client: redis.Redis, name: str, token: str, ttl_seconds: int) -> None:
    while not stop.wait(ttl_seconds / RENEWALS_PER_TTL):
        try:
            if not client.eval(RENEW_IF_OWNER, 1, name, token, ttl_seconds):
                log.error("lock lost while running", extra={"lock": name})
                return
        except redis.RedisError as exc:
            log.warning("lock renewal failed", extra={"lock": name, "error": str(exc)})


@contextmanager
def day_lock(dataset: str, day: str, *, redis_url: str, lake_root: str, ttl_seconds: int = 60) -> Iterator[None]:
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
    stop = threading.Event()
    heartbeat = threading.Thread(target=_renew_until, args=(stop, client, name, token, ttl_seconds), daemon=True)
    heartbeat.start()
    try:
        yield
    finally:
        stop.set()
        heartbeat.join()
        client.eval(RELEASE_IF_OWNER, 1, name, token)

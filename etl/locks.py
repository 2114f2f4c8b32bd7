"""One run per (lake, dataset, day) at a time: a Redis lock with expiry (backend "redis") or a local file lock
(backend "file": one host, no broker).

The Redis key names the lake (`nkdash:<lakehash>:lock:<dataset>:<day>`, lakehash = a short hash of the resolved lake
root), so two lakes sharing one Redis never block each other. Its expiry is short (ETL_LOCK_TTL_SECONDS) and a
heartbeat thread renews it while the run lives, so the lock of a killed worker lapses and the redelivered task can take
the day over. When a renewal finds the key gone or owned by another run, or cannot confirm it for a whole TTL, the
handle is marked lost; the holder calls `check()` before publishing. A Redis that does not answer is waited for a few
seconds and then reported as `LockUnavailable` (retry later): there is no silent fallback to a file lock, which would
not keep workers on other hosts apart. The file lock's kernel lock is released when its process dies.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import urlparse

import redis

from etl.io_parquet import metadata_path

log = logging.getLogger(__name__)

BACKENDS = ("redis", "file")
RENEWALS_PER_TTL = 4
REDIS_WAIT_SECONDS = 5.0  # how long an unanswering Redis is waited for before LockUnavailable
RETRY_PAUSE_SECONDS = 0.5
RELEASE_IF_OWNER = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end
"""
RENEW_IF_OWNER = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('expire', KEYS[1], ARGV[2]) else return 0 end
"""


class DayLocked(RuntimeError):
    """Another run holds the (dataset, day) lock."""


class LockUnavailable(RuntimeError):
    """The lock backend (Redis) did not answer in time; retry later, like DayLocked, and record it."""


class LockLost(RuntimeError):
    """The lock expired or was taken by another run while held: the holder must not publish."""


class DayLockHandle:
    """What `day_lock` yields: `lost` turns true (from the heartbeat thread) once the lock is no longer ours."""

    def __init__(self, name: str, backend: str) -> None:
        self.name = name
        self.backend = backend
        self._lost = threading.Event()
        self.reason = ""

    @property
    def lost(self) -> bool:
        return self._lost.is_set()

    def mark_lost(self, reason: str) -> None:
        self.reason = reason
        self._lost.set()

    def check(self) -> None:
        """Raise LockLost when the lock is no longer held by this run."""
        if self.lost:
            raise LockLost(f"lock {self.name} was lost while running ({self.reason}); not publishing")


def lake_hash(lake_root: str) -> str:
    """A short, stable id of a lake: the first 12 hex digits of the SHA-256 of its resolved absolute path."""
    return hashlib.sha256(str(Path(lake_root).expanduser().resolve()).encode()).hexdigest()[:12]


def lock_key(dataset: str, day: str, lake_root: str) -> str:
    return f"nkdash:{lake_hash(lake_root)}:lock:{dataset}:{day}"


def _where(redis_url: str) -> str:
    """The Redis address without credentials, for messages."""
    parsed = urlparse(redis_url)
    return f"{parsed.hostname}:{parsed.port or 6379}{parsed.path or ''}"


def _one_line(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())


def _acquire_redis(redis_url: str, name: str, token: str, ttl_seconds: int, wait_seconds: float) -> redis.Redis:
    """SET NX the key, retrying while Redis does not answer for up to `wait_seconds`; raises DayLocked or
    LockUnavailable."""
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=2)
    give_up_at = time.monotonic() + wait_seconds
    attempt = 0
    while True:
        attempt += 1
        try:
            # a SET whose reply was lost may still have taken the key for us: the GET tells
            if client.set(name, token, nx=True, ex=ttl_seconds) or client.get(name) == token.encode():
                return client
            raise DayLocked(f"{name} is already held by another run")
        except redis.RedisError as exc:
            left = give_up_at - time.monotonic()
            if left <= 0:
                raise LockUnavailable(
                    f"lock backend redis at {_where(redis_url)} did not answer for {wait_seconds:g} s "
                    f"({attempt} tries) for {name}: {_one_line(exc)}"
                ) from None
            log.warning("redis not answering, waiting for the lock backend",
                        extra={"lock": name, "redis": _where(redis_url), "attempt": attempt,
                               "left_s": round(left, 1), "error": _one_line(exc)})
            time.sleep(min(RETRY_PAUSE_SECONDS, left))


def _heartbeat(stop: threading.Event, client: redis.Redis, handle: DayLockHandle, token: str, ttl_seconds: int) -> None:
    """Renew the key every TTL/4 until stopped; mark the handle lost when it is not ours or unconfirmed for a TTL."""
    confirmed_at = time.monotonic()
    while not stop.wait(ttl_seconds / RENEWALS_PER_TTL):
        try:
            if client.eval(RENEW_IF_OWNER, 1, handle.name, token, ttl_seconds):
                confirmed_at = time.monotonic()
                continue
            reason = "the key expired or another run took it"
        except redis.RedisError as exc:
            if time.monotonic() - confirmed_at < ttl_seconds:
                log.warning("lock renewal failed", extra={"lock": handle.name, "error": _one_line(exc)})
                continue
            reason = f"not renewed for {ttl_seconds} s: {_one_line(exc)}"
        handle.mark_lost(reason)
        log.error("lock lost while running", extra={"lock": handle.name, "reason": reason})
        return


@contextmanager
def _redis_lock(name: str, redis_url: str, ttl_seconds: int, wait_seconds: float) -> Iterator[DayLockHandle]:
    token = uuid.uuid4().hex
    client = _acquire_redis(redis_url, name, token, ttl_seconds, wait_seconds)
    handle = DayLockHandle(name, "redis")
    stop = threading.Event()
    heartbeat = threading.Thread(target=_heartbeat, args=(stop, client, handle, token, ttl_seconds),
                                 name=f"lock-heartbeat {name}", daemon=True)
    heartbeat.start()
    try:
        yield handle
    finally:
        stop.set()
        heartbeat.join()
        try:
            client.eval(RELEASE_IF_OWNER, 1, name, token)
        except redis.RedisError as exc:  # the key expires by itself; never hide the body's outcome
            log.warning("lock release failed", extra={"lock": name, "error": _one_line(exc)})


@contextmanager
def _file_lock(dataset: str, day: str, lake_root: str) -> Iterator[DayLockHandle]:
    path = metadata_path(lake_root, "locks", f"{dataset}_{day}.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as file:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DayLocked(f"{dataset} {day} is already being processed on this machine ({path})") from None
        try:
            yield DayLockHandle(str(path), "file")
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)


@contextmanager
def day_lock(
    dataset: str,
    day: str,
    *,
    redis_url: str,
    lake_root: str,
    ttl_seconds: int = 60,
    backend: str = "redis",
    redis_wait_seconds: float = REDIS_WAIT_SECONDS,
) -> Iterator[DayLockHandle]:
    """Hold the lock for `dataset` on `day` in the lake at `lake_root` for the body.

    Raises DayLocked when another run holds it, LockUnavailable when Redis does not answer within
    `redis_wait_seconds` (backend "redis" only). Yields a DayLockHandle: call `check()` before publishing.
    """
    if backend == "file":
        with _file_lock(dataset, day, lake_root) as handle:
            yield handle
    elif backend == "redis":
        with _redis_lock(lock_key(dataset, day, lake_root), redis_url, ttl_seconds, redis_wait_seconds) as handle:
            yield handle
    else:
        raise ValueError(f"unknown lock backend {backend!r}: expected one of {BACKENDS}")

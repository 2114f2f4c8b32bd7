"""The operator login that guards the dashboard's ETL actions (DESIGN §2: OPS_USERNAME, OPS_PASSWORD).

- Credentials are checked on the server only, in constant time: the user name as a SHA-256 digest, the password as a
  PBKDF2-HMAC-SHA256 digest (random salt per process), both compared with `hmac.compare_digest`, both always computed.
  No password is ever logged, stored or compared as plain text.
- Failed logins are limited per client address and per user name: `MAX_FAILURES` within `FAILURE_WINDOW_SECONDS`
  lock that address or name until the oldest of those failures is older than the window. The failures are counted
  in Redis at REDIS_URL (`SharedFailureLimiter`: keys `nkdash:login-failures:<SHA-256>`, never a plain user name or
  address), so every dashboard process and host counts the same ones. While Redis does not answer (down when the
  process starts, or later), the limiter warns once and answers from the failures this process saw (it counts them
  locally too), so a lock is never dropped silently and the login page keeps working; each gunicorn worker then
  counts on its own (N workers allow up to N × `MAX_FAILURES` attempts per window) until Redis answers again, which
  it asks every REDIS_RETRY_SECONDS.
- A successful login puts the operator in the Flask session (a cookie signed with NKDASH_SECRET_KEY, see
  `configure_sessions`) for `SESSION_MAX_AGE_SECONDS`. Every action checks it with `require_operator` on the server,
  whatever the request says; without OPS_USERNAME/OPS_PASSWORD every action is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

import redis
from flask import Flask

from etl.settings import Settings, SettingsError, get_settings

log = logging.getLogger(__name__)

MAX_FAILURES = 5
FAILURE_WINDOW_SECONDS = 300.0
SESSION_MAX_AGE_SECONDS = 8 * 3600
SESSION_KEY = "nkdash_operator"
PBKDF2_ITERATIONS = 100_000
MAX_TRACKED_KEYS = 10_000  # the limiter forgets the oldest keys beyond this (a flood of made-up user names)
REDIS_KEY_PREFIX = "nkdash:login-failures:"
REDIS_TIMEOUT_SECONDS = 1.0
REDIS_RETRY_SECONDS = 30.0  # after Redis failed to answer, the shared limiter tries it again this much later
# Why a login or an action was refused: codes the page words in the reader's language (pages/operational.py).
DISABLED = "disabled"  # OPS_USERNAME / OPS_PASSWORD unset
LOGIN_REQUIRED = "login-required"
WRONG = "wrong"  # wrong user name or password
LOCKED = "locked"  # too many failures: refused without checking

Clock = Callable[[], float]


class OperatorRequired(PermissionError):
    """An action was asked for without a logged-in operator; `reason` is DISABLED or LOGIN_REQUIRED."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _user_digest(username: str) -> bytes:
    return hashlib.sha256(username.strip().encode()).digest()


def _password_digest(password: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, PBKDF2_ITERATIONS)


class Credentials:
    """The configured operator, kept only as digests."""

    def __init__(self, username: str, password: str) -> None:
        self._salt = os.urandom(16)
        self._user = _user_digest(username)
        self._password = _password_digest(password, self._salt)

    def match(self, username: str, password: str) -> bool:
        """Both digests are computed and compared whatever the user name, so timing tells nothing."""
        user_ok = hmac.compare_digest(_user_digest(username), self._user)
        password_ok = hmac.compare_digest(_password_digest(password, self._salt), self._password)
        return user_ok and password_ok


class FailureLimiter:
    """Counts failures per key in a sliding window; a key with `max_failures` of them in the window is locked."""

    def __init__(self, max_failures: int = MAX_FAILURES, window_seconds: float = FAILURE_WINDOW_SECONDS,
                 clock: Clock = time.monotonic) -> None:
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.get(key, deque())
        while times and times[0] <= now - self.window_seconds:
            times.popleft()
        if not times:
            self._failures.pop(key, None)
        return times

    def locked_for(self, *keys: str) -> float:
        """Seconds until every key is free again (0 when none is locked)."""
        with self._lock:
            now = self._clock()
            waits = [times[-self.max_failures] + self.window_seconds - now
                     for times in (self._recent(key, now) for key in keys) if len(times) >= self.max_failures]
        return max(waits, default=0.0)

    def fail(self, *keys: str) -> None:
        with self._lock:
            now = self._clock()
            for key in keys:
                self._recent(key, now)
                self._failures.setdefault(key, deque()).append(now)
            while len(self._failures) > MAX_TRACKED_KEYS:
                self._failures.pop(next(iter(self._failures)))

    def forget(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)


class LoginLimiter(Protocol):
    """What OperatorGuard needs of a limiter (FailureLimiter, SharedFailureLimiter)."""

    def locked_for(self, *keys: str) -> float: ...

    def fail(self, *keys: str) -> None: ...

    def forget(self, *keys: str) -> None: ...


class SharedFailureLimiter:
    """FailureLimiter's sliding window kept in Redis, so every process that uses the same Redis counts the same
    failures.

    A key is a sorted set named `prefix` + the key's SHA-256 (no plain user name or address is stored): one member
    per failure, scored with its time on `clock` (wall-clock time, comparable between processes and, with synced
    clocks, between hosts), trimmed to the window and to the newest `max_failures` members, and expiring one window
    after its last failure. Each failure is also counted in a local FailureLimiter: while Redis does not answer, the
    limiter answers from those counts (this process's failures only), warns once per outage and asks Redis again
    `REDIS_RETRY_SECONDS` later. Failures counted during an outage are not copied to Redis afterwards.
    """

    def __init__(self, client: redis.Redis, max_failures: int = MAX_FAILURES,
                 window_seconds: float = FAILURE_WINDOW_SECONDS, clock: Clock = time.time,
                 prefix: str = REDIS_KEY_PREFIX) -> None:
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self._client = client
        self._clock = clock
        self._prefix = prefix
        self._local = FailureLimiter(max_failures, window_seconds, clock)
        self._retry_at: float | None = None  # set while Redis is not answering

    def redis_key(self, key: str) -> str:
        return self._prefix + hashlib.sha256(key.encode()).hexdigest()

    def _redis_usable(self, now: float) -> bool:
        return self._retry_at is None or now >= self._retry_at

    def _redis_failed(self, exc: redis.RedisError, now: float) -> None:
        if self._retry_at is None:
            log.warning("redis does not answer: failed logins are counted by this dashboard process only",
                        extra={"error": type(exc).__name__, "retry_in_s": REDIS_RETRY_SECONDS})
        self._retry_at = now + REDIS_RETRY_SECONDS

    def _redis_answered(self) -> None:
        if self._retry_at is not None:
            log.info("redis answers again: failed logins are shared between dashboard processes")
            self._retry_at = None

    def locked_for(self, *keys: str) -> float:
        """Seconds until every key is free again (0 when none is locked)."""
        now = self._clock()
        if not self._redis_usable(now):
            return self._local.locked_for(*keys)
        pipe = self._client.pipeline(transaction=False)
        for key in keys:  # the newest `max_failures` failures inside the window, newest first
            pipe.zrevrangebyscore(self.redis_key(key), "+inf", f"({now - self.window_seconds!r}",
                                  start=0, num=self.max_failures, withscores=True)
        try:
            recent = pipe.execute()
        except redis.RedisError as exc:
            self._redis_failed(exc, now)
            return self._local.locked_for(*keys)
        self._redis_answered()
        waits = [times[-1][1] + self.window_seconds - now for times in recent if len(times) >= self.max_failures]
        return max(waits, default=0.0)

    def fail(self, *keys: str) -> None:
        self._local.fail(*keys)
        now = self._clock()
        if not self._redis_usable(now):
            return
        pipe = self._client.pipeline(transaction=True)
        for key in keys:
            name = self.redis_key(key)
            pipe.zremrangebyscore(name, "-inf", now - self.window_seconds)
            pipe.zadd(name, {secrets.token_hex(8): now})
            pipe.zremrangebyrank(name, 0, -self.max_failures - 1)
            pipe.pexpire(name, max(1, round(self.window_seconds * 1000)))
        self._execute(pipe, now)

    def forget(self, *keys: str) -> None:
        self._local.forget(*keys)
        now = self._clock()
        if self._redis_usable(now):
            self._execute(self._client.pipeline(transaction=True).delete(*map(self.redis_key, keys)), now)

    def _execute(self, pipe: redis.client.Pipeline, now: float) -> None:
        try:
            pipe.execute()
        except redis.RedisError as exc:
            self._redis_failed(exc, now)
        else:
            self._redis_answered()


def failure_limiter(redis_url: str, clock: Clock = time.time) -> SharedFailureLimiter:
    """Failures shared through Redis at `redis_url`: while it does not answer (down at start, or later), counted in
    this process with one warning, and Redis is asked again REDIS_RETRY_SECONDS later (SharedFailureLimiter)."""
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                                  socket_timeout=REDIS_TIMEOUT_SECONDS)
    return SharedFailureLimiter(client, clock=clock)


@dataclass(frozen=True)
class LoginResult:
    """`reason` is None on success, else DISABLED, WRONG or LOCKED; `locked_minutes` > 0 when the address or user
    name is locked now (after this failure, or already)."""

    ok: bool
    reason: str | None = None
    locked_minutes: int = 0


def _limit_keys(username: str, client: str) -> tuple[str, str]:
    return f"client:{client}", f"user:{username.strip().lower()[:200]}"


class OperatorGuard:
    """The login check of one configuration: credentials, rate limit and lockout."""

    def __init__(self, settings: Settings, limiter: LoginLimiter | None = None) -> None:
        self.username = settings.ops_username if settings.ops_enabled else None
        self._credentials = (Credentials(settings.ops_username or "", settings.ops_password or "")
                             if settings.ops_enabled else None)
        self.limiter = limiter or FailureLimiter()

    @property
    def enabled(self) -> bool:
        return self._credentials is not None

    def login(self, username: str, password: str, client: str) -> LoginResult:
        """Check a login attempt from `client` (its address); a locked address or user name is refused unchecked."""
        if self._credentials is None:
            return LoginResult(False, DISABLED)
        keys = _limit_keys(username, client)
        wait = self.limiter.locked_for(*keys)
        if wait > 0:
            log.warning("operator login refused: locked", extra={"client": client})
            return LoginResult(False, LOCKED, _minutes(wait))
        if self._credentials.match(username, password):
            self.limiter.forget(*keys)
            log.info("operator logged in", extra={"client": client})
            return LoginResult(True)
        self.limiter.fail(*keys)
        wait = self.limiter.locked_for(*keys)
        log.warning("operator login failed", extra={"client": client, "locked": wait > 0})
        return LoginResult(False, WRONG, _minutes(wait) if wait > 0 else 0)


def _minutes(wait_seconds: float) -> int:
    """A lock's remaining time in whole minutes, at least one."""
    return max(1, round(wait_seconds / 60))


@lru_cache(maxsize=1)
def operator_guard(settings: Settings) -> OperatorGuard:
    """The process's guard for `settings` (one limiter for every request this process serves): failures shared
    through REDIS_URL, counted in this process while Redis does not answer (see `failure_limiter`). Without operator
    credentials no login is checked, so Redis is not asked."""
    return OperatorGuard(settings, failure_limiter(settings.redis_url) if settings.ops_enabled else None)


# -- the session ---------------------------------------------------------------------------------------------------
Session = MutableMapping[str, Any]


def sign_in(session: Session, username: str, now: float | None = None) -> None:
    session.clear()  # nothing from before the login is carried over
    session[SESSION_KEY] = {"user": username, "since": now if now is not None else time.time()}


def sign_out(session: Session) -> None:
    session.pop(SESSION_KEY, None)


def current_operator(session: Session, settings: Settings, now: float | None = None) -> str | None:
    """The operator signed in by `session`: only while operator actions are enabled, for the configured user name,
    and for at most `SESSION_MAX_AGE_SECONDS` after the login."""
    entry = session.get(SESSION_KEY)
    if not settings.ops_enabled or not isinstance(entry, dict):
        return None
    user, since = entry.get("user"), entry.get("since")
    if not isinstance(user, str) or not isinstance(since, (int, float)):
        return None
    if not hmac.compare_digest(_user_digest(user), _user_digest(settings.ops_username or "")):
        return None  # signed in under a user name that is no longer configured
    age = (now if now is not None else time.time()) - since
    return user if 0 <= age <= SESSION_MAX_AGE_SECONDS else None


def require_operator(session: Session, settings: Settings) -> str:
    """The signed-in operator, or OperatorRequired with why the action is refused."""
    if not settings.ops_enabled:
        raise OperatorRequired(DISABLED)
    user = current_operator(session, settings)
    if user is None:
        raise OperatorRequired(LOGIN_REQUIRED)
    return user


def configure_sessions(server: Flask) -> None:
    """Sign the server's session cookies with NKDASH_SECRET_KEY (HttpOnly, SameSite=Lax).

    Without the setting a random key is made for this process, with a warning when operator actions are enabled:
    logins then end when the process restarts and do not carry across gunicorn workers. Settings that do not load
    are left for the process entry point to report (`exit_on_invalid_settings`).
    """
    try:
        settings: Settings | None = get_settings()
    except SettingsError:
        settings = None
    key = settings.secret_key if settings else None
    if key is None and settings is not None and settings.ops_enabled:
        log.warning("NKDASH_SECRET_KEY is not set: operator logins are signed with a key made up by this process, "
                    "so they end when it restarts and do not carry across dashboard workers")
    server.secret_key = key or secrets.token_urlsafe(48)
    server.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                         SESSION_COOKIE_NAME="nkdash_session")

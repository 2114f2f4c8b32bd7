"""The operator login: digests compared in constant time, failures limited per client address and per user name
(shared between processes through the real local Redis, or per process when it does not answer), lockout with a
clear message, sessions that expire, and every action refused when OPS_USERNAME/OPS_PASSWORD are unset. No password
reaches the logs."""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask

from etl.settings import SettingsError, load_settings, reset_settings_cache
from services import operator_auth
from services.operator_auth import (
    DISABLED, FAILURE_WINDOW_SECONDS, LOCKED, LOGIN_REQUIRED, MAX_FAILURES, REDIS_KEY_PREFIX, SESSION_KEY,
    SESSION_MAX_AGE_SECONDS, WRONG, Credentials, FailureLimiter, LoginResult, OperatorGuard, OperatorRequired,
    SharedFailureLimiter, configure_sessions, current_operator, failure_limiter, operator_guard, require_operator,
    sign_in, sign_out,
)
from tests.support.processes import RedisServer, free_port
from tests.support.redis_db import redis_or_skip

PASSWORD = "correct horse battery staple"
OPS = {"OPS_USERNAME": "ops", "OPS_PASSWORD": PASSWORD}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def guard(clock: Clock) -> OperatorGuard:
    return OperatorGuard(load_settings(OPS), FailureLimiter(clock=clock))


REDIS_URL = "redis://127.0.0.1:6379/14"


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    """The real local Redis (db 14), or a skip when it does not answer."""
    yield from redis_or_skip(REDIS_URL)


@pytest.fixture
def prefix(redis_client: redis.Redis) -> Iterator[str]:
    """A key prefix of this test's own under the real one; its keys are deleted afterwards."""
    own = f"{REDIS_KEY_PREFIX}test-{uuid.uuid4().hex}:"
    yield own
    keys = list(redis_client.scan_iter(match=own + "*"))
    if keys:
        redis_client.delete(*keys)


@pytest.fixture
def process_limiter(prefix: str, clock: Clock) -> Iterator[Callable[[], SharedFailureLimiter]]:
    """Makes the limiter of one more dashboard process: its own Redis connection, the same Redis and prefix."""
    clients: list[redis.Redis] = []

    def make() -> SharedFailureLimiter:
        clients.append(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1))
        return SharedFailureLimiter(clients[-1], clock=clock, prefix=prefix)

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def fresh_guard() -> Iterator[None]:
    operator_guard.cache_clear()
    yield
    operator_guard.cache_clear()


def test_credentials_are_kept_as_digests_and_checked_both_ways() -> None:
    credentials = Credentials("ops", PASSWORD)
    assert PASSWORD not in repr(vars(credentials)) and PASSWORD.encode() not in b"".join(
        value for value in vars(credentials).values() if isinstance(value, bytes))
    assert credentials.match("ops", PASSWORD) and credentials.match(" ops ", PASSWORD)
    assert not credentials.match("ops", PASSWORD + "x")
    assert not credentials.match("Ops", PASSWORD)
    assert not credentials.match("admin", PASSWORD)


def test_a_wrong_user_name_still_costs_the_password_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    credentials = Credentials("ops", PASSWORD)
    digests, compares = [], []
    real_digest, real_compare = operator_auth._password_digest, operator_auth.hmac.compare_digest
    monkeypatch.setattr(operator_auth, "_password_digest", lambda *a: digests.append(1) or real_digest(*a))
    monkeypatch.setattr(operator_auth.hmac, "compare_digest", lambda a, b: compares.append(1) or real_compare(a, b))
    assert not credentials.match("somebody", "guess")
    assert len(digests) == 1 and len(compares) == 2  # nothing short-circuits on the user name


def test_the_limiter_locks_a_key_at_the_fifth_failure_in_the_window(clock: Clock) -> None:
    limiter = FailureLimiter(clock=clock)
    for _ in range(MAX_FAILURES - 1):
        limiter.fail("k")
        clock.now += 10
    assert limiter.locked_for("k") == 0
    limiter.fail("k")
    assert limiter.locked_for("k") == pytest.approx(FAILURE_WINDOW_SECONDS - 40)  # until the oldest one expires
    assert limiter.locked_for("other") == 0
    clock.now += FAILURE_WINDOW_SECONDS - 40
    assert limiter.locked_for("k") == 0


def test_failures_older_than_the_window_do_not_count(clock: Clock) -> None:
    limiter = FailureLimiter(clock=clock)
    for _ in range(MAX_FAILURES * 3):
        limiter.fail("k")
        clock.now += FAILURE_WINDOW_SECONDS / (MAX_FAILURES - 1) + 1
    assert limiter.locked_for("k") == 0


def test_two_processes_share_the_failure_count_and_the_lock(process_limiter: Callable[[], SharedFailureLimiter],
                                                           clock: Clock) -> None:
    first, second = process_limiter(), process_limiter()
    for n in range(MAX_FAILURES - 1):
        (first if n % 2 else second).fail("k")
        clock.now += 10
    assert first.locked_for("k") == second.locked_for("k") == 0
    second.fail("k")
    assert first.locked_for("k") == pytest.approx(FAILURE_WINDOW_SECONDS - 40)  # until the oldest one expires
    assert second.locked_for("k") == pytest.approx(FAILURE_WINDOW_SECONDS - 40)
    assert first.locked_for("other") == 0
    first.forget("k")
    assert second.locked_for("k") == 0


def test_shared_failures_leave_the_window_and_their_keys_expire(process_limiter: Callable[[], SharedFailureLimiter],
                                                                redis_client: redis.Redis, clock: Clock) -> None:
    first, second = process_limiter(), process_limiter()
    for _ in range(MAX_FAILURES):
        first.fail("k")
        clock.now += 10
    assert second.locked_for("k") == pytest.approx(FAILURE_WINDOW_SECONDS - 50)
    assert 0 < redis_client.pttl(first.redis_key("k")) <= FAILURE_WINDOW_SECONDS * 1000
    assert redis_client.zcard(first.redis_key("k")) == MAX_FAILURES
    clock.now += FAILURE_WINDOW_SECONDS - 50
    assert second.locked_for("k") == 0  # the oldest failure has left the window
    clock.now += 50
    second.fail("k")  # all five have left it: they are dropped, one is left
    assert redis_client.zcard(first.redis_key("k")) == 1 and first.locked_for("k") == 0


def test_two_guards_lock_each_other_and_store_only_digests(process_limiter: Callable[[], SharedFailureLimiter],
                                                           redis_client: redis.Redis, prefix: str) -> None:
    settings = load_settings(OPS)
    first, second = OperatorGuard(settings, process_limiter()), OperatorGuard(settings, process_limiter())
    for n in range(MAX_FAILURES):
        assert not (first if n % 2 else second).login("ops", "guess", "10.0.0.7").ok
    assert first.login("ops", PASSWORD, "10.0.0.7") == LoginResult(False, LOCKED, locked_minutes=5)
    assert second.login("ops", PASSWORD, "10.0.0.8").reason == LOCKED  # the user name is locked too
    keys = {key.decode() for key in redis_client.scan_iter(match=prefix + "*")}
    assert keys == {prefix + hashlib.sha256(key.encode()).hexdigest() for key in ("client:10.0.0.7", "user:ops")}
    stored = " ".join([*keys, *(m.decode() for key in keys for m in redis_client.zrange(key, 0, -1))])
    assert "ops" not in stored and "10.0.0.7" not in stored


def test_the_guard_shares_failures_when_redis_answers(fresh_guard: None, redis_client: redis.Redis) -> None:
    guard = operator_guard(load_settings({**OPS, "REDIS_URL": REDIS_URL}))
    assert isinstance(guard.limiter, SharedFailureLimiter)
    client = f"test-{uuid.uuid4().hex}"  # keys of this test's own under the real prefix
    assert guard.login("ops", "guess", client) == LoginResult(False, WRONG)
    key = guard.limiter.redis_key(f"client:{client}")
    assert redis_client.zcard(key) == 1
    assert guard.login("ops", PASSWORD, client).ok and not redis_client.exists(key)  # a success forgets them


def test_a_closed_redis_port_counts_in_this_process_with_one_warning(
        fresh_guard: None, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger=operator_auth.__name__)
    guard = operator_guard(load_settings({**OPS, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}))
    results = [guard.login("ops", "guess", "10.0.0.1") for _ in range(MAX_FAILURES)]
    assert results[-1] == LoginResult(False, WRONG, locked_minutes=5)  # still locked, in this process
    warnings = [r.getMessage() for r in caplog.records if "redis" in r.getMessage()]
    assert len(warnings) == 1 and "counted by this dashboard process only" in warnings[0]


def test_failures_are_shared_again_once_a_redis_that_was_down_at_start_answers(clock: Clock, tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis")  # its port, not started yet
    limiter = failure_limiter(server.url(), clock)
    limiter.fail("k")
    assert limiter.locked_for("k") == 0  # counted here
    server.start()
    try:
        clock.now += operator_auth.REDIS_RETRY_SECONDS
        limiter.fail("k")
        assert redis.Redis.from_url(server.url()).zcard(limiter.redis_key("k")) == 1  # in Redis again
    finally:
        server.stop()


def test_when_redis_stops_answering_the_lock_holds_in_this_process(clock: Clock,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger=operator_auth.__name__)
    gone = redis.Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)
    limiter = SharedFailureLimiter(gone, clock=clock, prefix=f"{REDIS_KEY_PREFIX}test-{uuid.uuid4().hex}:")
    for _ in range(MAX_FAILURES):
        limiter.fail("k")
        clock.now += 10
    assert limiter.locked_for("k") == pytest.approx(FAILURE_WINDOW_SECONDS - 50)
    clock.now += operator_auth.REDIS_RETRY_SECONDS  # Redis is asked again, still in vain: no second warning
    assert limiter.locked_for("k") == pytest.approx(FAILURE_WINDOW_SECONDS - 50 - operator_auth.REDIS_RETRY_SECONDS)
    assert len([r for r in caplog.records if "redis does not answer" in r.getMessage()]) == 1


def test_five_failures_from_one_address_lock_it_for_every_user_name(guard: OperatorGuard) -> None:
    results = [guard.login(f"user{n}", "guess", "10.0.0.1") for n in range(MAX_FAILURES)]
    assert results[:-1] == [LoginResult(False, WRONG)] * (MAX_FAILURES - 1)
    assert results[-1] == LoginResult(False, WRONG, locked_minutes=5)  # wrong, and now locked for 5 minutes
    refused = guard.login("ops", PASSWORD, "10.0.0.1")  # even the right password, from the locked address
    assert refused == LoginResult(False, LOCKED, locked_minutes=5)
    assert guard.login("ops", PASSWORD, "10.0.0.2").ok  # another address, another user name: not locked


def test_five_failures_for_one_user_name_lock_it_from_every_address(guard: OperatorGuard, clock: Clock) -> None:
    for n in range(MAX_FAILURES):
        assert not guard.login("ops", "guess", f"10.0.1.{n}").ok
    assert guard.login("ops", PASSWORD, "10.0.2.1").reason == LOCKED
    clock.now += FAILURE_WINDOW_SECONDS
    assert guard.login("ops", PASSWORD, "10.0.2.1") == LoginResult(True)  # the lock ends with the window


def test_a_successful_login_clears_the_failures(guard: OperatorGuard) -> None:
    for _ in range(MAX_FAILURES - 1):
        guard.login("ops", "guess", "10.0.0.9")
    assert guard.login("ops", PASSWORD, "10.0.0.9").ok
    for _ in range(MAX_FAILURES - 1):
        assert guard.login("ops", "guess", "10.0.0.9") == LoginResult(False, WRONG)


def test_no_password_is_logged(guard: OperatorGuard, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for _ in range(MAX_FAILURES + 1):
        guard.login("ops", "wrong-" + PASSWORD, "10.0.0.3")
    guard.login("ops", PASSWORD, "10.0.0.4")
    logged = " ".join(f"{r.getMessage()} {vars(r)}" for r in caplog.records)
    assert caplog.records and PASSWORD not in logged


def test_actions_are_disabled_when_the_credentials_are_unset() -> None:
    settings = load_settings({})
    guard = OperatorGuard(settings)
    assert not guard.enabled and guard.login("", "", "10.0.0.1") == LoginResult(False, DISABLED)
    session = {SESSION_KEY: {"user": "ops", "since": 1e12}}  # a cookie from when they were set
    assert current_operator(session, settings) is None
    with pytest.raises(OperatorRequired) as refused:
        require_operator(session, settings)
    assert refused.value.reason == DISABLED


def test_a_session_signs_in_until_it_expires_or_signs_out() -> None:
    settings = load_settings(OPS)
    session: dict = {"stale": 1}
    with pytest.raises(OperatorRequired) as refused:
        require_operator(session, settings)
    assert refused.value.reason == LOGIN_REQUIRED
    sign_in(session, "ops", now=5000.0)
    assert "stale" not in session
    assert current_operator(session, settings, now=5000.0 + SESSION_MAX_AGE_SECONDS) == "ops"
    assert current_operator(session, settings, now=5001.0 + SESSION_MAX_AGE_SECONDS) is None
    assert current_operator(session, load_settings({**OPS, "OPS_USERNAME": "other"}), now=5000.0) is None
    sign_out(session)
    assert current_operator(session, settings) is None


@pytest.mark.parametrize("entry", [None, "ops", {"user": "ops"}, {"user": 1, "since": 1.0}, {"since": 1.0}])
def test_a_malformed_session_entry_is_nobody(entry: object) -> None:
    assert current_operator({SESSION_KEY: entry}, load_settings(OPS)) is None


def test_sessions_are_signed_with_the_configured_key(monkeypatch: pytest.MonkeyPatch,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    key = "k" * 40
    for name, value in {**OPS, "NKDASH_SECRET_KEY": key}.items():
        monkeypatch.setenv(name, value)
    reset_settings_cache()
    server = Flask("t")
    configure_sessions(server)
    assert server.secret_key == key and server.config["SESSION_COOKIE_HTTPONLY"]
    assert server.config["SESSION_COOKIE_SAMESITE"] == "Lax" and not caplog.records


def test_without_a_key_each_process_makes_one_up_and_warns(monkeypatch: pytest.MonkeyPatch,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    for name, value in OPS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("NKDASH_SECRET_KEY", raising=False)
    reset_settings_cache()
    first, second = Flask("a"), Flask("b")
    configure_sessions(first)
    configure_sessions(second)
    assert first.secret_key and first.secret_key != second.secret_key
    assert any("NKDASH_SECRET_KEY is not set" in r.getMessage() for r in caplog.records)


def test_a_short_secret_key_is_refused_without_showing_it() -> None:
    with pytest.raises(SettingsError, match="NKDASH_SECRET_KEY is too short") as refused:
        load_settings({"NKDASH_SECRET_KEY": "short-key-123"})
    assert "short-key-123" not in str(refused.value)

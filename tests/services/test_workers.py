"""`etl.workers`: a live worker answers the broker's ping, a killed one stops answering, a dead broker is an answer
within a second; the report is cached per process and asked
again in the background."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from etl import workers
from etl.settings import load_settings
from tests.support.processes import PYTHON, isolated_env, kill_group, redis_server, running

WORKER_ARGS = [PYTHON, "-m", "celery", "-A", "tests.services.ping_app", "worker", "--pool", "solo", "-n", "ping@%h",
               "--without-gossip", "--without-mingle", "-l", "info"]


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[str]:
    with redis_server(tmp_path / "redis") as server:
        yield server.url()


def test_a_live_worker_answers_and_a_killed_one_does_not(broker: str) -> None:
    with running(WORKER_ARGS, isolated_env(PING_BROKER_URL=broker)) as worker:
        worker.wait_for(r"\bready\b", timeout=60)
        report = workers.ping_workers(broker)
        assert report["ok"] is True and [name.split("@")[0] for name in report["workers"]] == ["ping"]
        kill_group(worker)
        report = workers.ping_workers(broker)
        assert report["ok"] is False and report["workers"] == []


def test_a_dead_broker_is_an_answer_not_a_hang() -> None:
    started = time.monotonic()
    report = workers.ping_workers("redis://:secret-pw@127.0.0.1:1/0")
    assert time.monotonic() - started < 5
    assert report["ok"] is False and report["error"] and "secret-pw" not in str(report)


def test_the_report_is_cached_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(workers, "ping_workers", lambda url: calls.append(url) or {"ok": True, "workers": ["w"]})
    workers.forget_worker_reports()
    settings = load_settings({"REDIS_URL": "redis://127.0.0.1:6379/11"})
    assert workers.worker_report(settings) == workers.worker_report(settings) == {"ok": True, "workers": ["w"]}
    assert len(calls) == 1
    workers.forget_worker_reports()


def test_an_old_report_is_returned_at_once_while_one_thread_asks_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a process's first ask waits for a ping."""
    calls: list[str] = []
    release = threading.Event()
    answers = [{"ok": True, "workers": ["w"]}, {"ok": False, "workers": []}]  # the first, then the later ones

    def ping(url: str) -> dict[str, Any]:
        calls.append(url)
        if len(calls) == 2:
            release.wait(10)  # a slow ping: every caller meanwhile gets the old answer without waiting
        return answers[min(len(calls), 2) - 1]

    monkeypatch.setattr(workers, "ping_workers", ping)
    monkeypatch.setattr(workers, "CACHE_SECONDS", 0.0)  # every answer is old at once
    workers.forget_worker_reports()
    settings = load_settings({"REDIS_URL": "redis://127.0.0.1:6379/11"})
    try:
        assert workers.worker_report(settings) == {"ok": True, "workers": ["w"]}
        started = time.monotonic()
        assert [workers.worker_report(settings) for _ in range(5)] == [{"ok": True, "workers": ["w"]}] * 5
        _until(lambda: len(calls) == 2)
        assert workers.worker_report(settings) == {"ok": True, "workers": ["w"]}
        assert time.monotonic() - started < 1 and len(calls) == 2  # one background ping, however many callers
        release.set()
        _until(lambda: not workers.worker_report(settings)["ok"])
    finally:
        release.set()
        workers.forget_worker_reports()


def _until(condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)

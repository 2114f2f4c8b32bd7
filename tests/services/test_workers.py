"""`etl.workers`: a live worker answers the broker's ping, a killed one stops answering, a dead broker is an answer
within a second; the report is cached per process."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

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
    workers.worker_report(settings)
    assert len(calls) == 2
    workers.forget_worker_reports()

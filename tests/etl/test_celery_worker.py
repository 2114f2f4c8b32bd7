"""A real Celery worker on its own Redis runs the pipelines sent by name, as an operator would send them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from pathlib import Path
from typing import Iterator

import pytest
from celery import Celery, chain

from etl.day_manifest import read_manifest
from tests.conftest import DemoOdoo
from tests.support.demo_days import demo_days
from tests.support.demo_control import faults
from tests.support.lake import fact
from tests.support.processes import PROJECT_ROOT, PYTHON, ChildProcess, isolated_env, running

pytestmark = pytest.mark.celery
CELERY = [PYTHON, "-m", "celery", "-A", "etl_tasks"]
DATASET = "pos_order_lines"


@pytest.fixture
def worker_env(demo_odoo17: DemoOdoo, tmp_path: Path, broker: str) -> dict[str, str]:
    return isolated_env(**demo_odoo17.env(tmp_path, REDIS_URL=broker))


@pytest.fixture
def worker(worker_env: dict[str, str]) -> Iterator[ChildProcess]:
    args = [*CELERY, "worker", "-Q", "extract,transform,load,orchestration", "--concurrency", "2",
            "--loglevel", "INFO", "-n", "nkdash-test@%h", "--without-gossip", "--without-mingle"]
    with running(args, worker_env) as child:
        child.wait_for(r"nkdash-test@\S+ ready", timeout=90)
        yield child


def call_by_name(env: dict[str, str], task: str, *args: object) -> str:
    """`celery -A etl_tasks call etl_tasks.<task> --args=...` as in the runbook; returns the task id."""
    done = subprocess.run([*CELERY, "call", f"etl_tasks.{task}", f"--args={json.dumps(list(args))}"],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.strip().splitlines()[-1]


def result_of(broker: str, task_id: str, timeout: float = 180) -> dict:
    return Celery(broker=broker, backend=broker).AsyncResult(task_id).get(timeout=timeout)


def test_daily_pipeline_sent_by_name_publishes_the_day(worker: ChildProcess, worker_env: dict[str, str],
                                                       tmp_path: Path, demo_odoo17: DemoOdoo, broker: str) -> None:
    day = demo_days(demo_odoo17.settings(tmp_path))[-1]
    summary = result_of(broker, call_by_name(worker_env, "daily_etl_pipeline", day.isoformat()))
    assert summary["failed"] == {}
    assert [d["day"] for d in summary["done"]] == [day.isoformat()]
    assert fact(tmp_path, "fact_sales", day).height > 0
    assert "daily_etl_pipeline" in "\n".join(worker.output)


def test_date_range_fans_out_spans_of_consecutive_days(worker: ChildProcess, worker_env: dict[str, str],
                                                       tmp_path: Path, demo_odoo17: DemoOdoo, broker: str) -> None:
    days = demo_days(demo_odoo17.settings(tmp_path), 3)
    dispatched = result_of(broker, call_by_name(worker_env, "date_range_etl_pipeline", days[0].isoformat(),
                                                days[-1].isoformat(), [DATASET]))
    assert dispatched["dispatched"] == 1  # three demo days are far below ETL_SPAN_RECORDS: one span task
    assert dispatched["days"] == [f"{DATASET} {day.isoformat()}" for day in days]
    client = Celery(broker=broker, backend=broker)
    client.GroupResult.restore(dispatched["group_id"]).get(timeout=180)
    for day in days:
        assert fact(tmp_path, "fact_sales", day).height > 0


def test_step_tasks_chain_through_their_queues(worker: ChildProcess, tmp_path: Path, demo_odoo17: DemoOdoo,
                                               broker: str) -> None:
    day = demo_days(demo_odoo17.settings(tmp_path))[-2]
    client = Celery(broker=broker, backend=broker)
    steps = chain(
        client.signature("etl_tasks.extract_pos_order_lines", args=[day.isoformat()], queue="extract"),
        client.signature("etl_tasks.save_raw_data", queue="transform"),
        client.signature("etl_tasks.clean_pos_data", queue="transform"),
        client.signature("etl_tasks.update_star_schema", queue="load"),
    )
    summary = steps.apply_async().get(timeout=180)
    assert summary["day"] == day.isoformat() and summary["rows_out"]["fact_sales"] > 0
    assert fact(tmp_path, "fact_sales", day).height == summary["rows_out"]["fact_sales"]


def test_a_killed_worker_child_is_resumed_without_losing_or_doubling_rows(
        demo_odoo17: DemoOdoo, tmp_path: Path, broker: str) -> None:
    env = isolated_env(**demo_odoo17.env(tmp_path, REDIS_URL=broker, ETL_LOCK_TTL_SECONDS="10"))
    args = [*CELERY, "worker", "-Q", "extract,transform,load,orchestration", "--concurrency", "1",
            "--loglevel", "INFO", "-n", "nkdash-kill@%h", "--without-gossip", "--without-mingle"]
    day = demo_days(demo_odoo17.settings(tmp_path))[-1]
    with running(args, env) as child:
        child.wait_for(r"nkdash-kill@\S+ ready", timeout=90)
        with faults(demo_odoo17.url, latency_ms=400):  # every Odoo call is slow: the run is caught mid-way
            task_id = call_by_name(env, "daily_etl_pipeline", day.isoformat())
            child.wait_for(r"dimension refreshed .*dataset=dim_lots", timeout=90)  # now extracting, lock held
            threading.Event().wait(1.0)
            pool = subprocess.run(["pgrep", "-P", str(child.popen.pid)], capture_output=True, text=True).stdout.split()
            assert pool, "the worker has no pool process to kill"
            for pid in pool:
                os.kill(int(pid), signal.SIGKILL)
            assert read_manifest(tmp_path, DATASET, day) is None
        summary = result_of(broker, task_id, timeout=240)
        log = "\n".join(child.output)
    assert "WorkerLostError" in log and "DayLocked" in log, "killed while holding the day's lock, then retried"
    assert [d["day"] for d in summary["done"]] == [day.isoformat()]
    assert not list((tmp_path / "raw" / "_staging").rglob("*.parquet"))
    sales = fact(tmp_path, "fact_sales", day)
    assert sales.height > 0 and sales["line_id"].is_unique().all()


def test_an_odoo_error_fails_the_task_and_keeps_the_published_day(
        worker: ChildProcess, worker_env: dict[str, str], tmp_path: Path, demo_odoo17: DemoOdoo, broker: str) -> None:
    day = demo_days(demo_odoo17.settings(tmp_path))[-3]
    result_of(broker, call_by_name(worker_env, "daily_etl_pipeline", day.isoformat()))
    before = read_manifest(tmp_path, DATASET, day)
    assert before is not None
    with faults(demo_odoo17.url, deny_models=["pos.order.line"]):
        task_id = call_by_name(worker_env, "daily_etl_pipeline", day.isoformat())
        with pytest.raises(Exception, match="AccessError|denied"):
            result_of(broker, task_id)
    assert Celery(broker=broker, backend=broker).AsyncResult(task_id).state == "FAILURE"
    assert read_manifest(tmp_path, DATASET, day) == before

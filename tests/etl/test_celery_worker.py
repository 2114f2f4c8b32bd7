"""A real Celery worker on the local Redis runs the pipelines sent by name, as an operator would send them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import uuid
from pathlib import Path
from typing import Iterator

import polars as pl
import pytest
import redis
from celery import Celery, chain

from etl import io_parquet
from tests.conftest import DemoOdoo
from tests.support.demo_control import faults
from tests.etl.test_pos_pipeline import demo_days
from tests.support.processes import PROJECT_ROOT, PYTHON, ChildProcess, isolated_env, running

pytestmark = pytest.mark.celery
REDIS = "redis://127.0.0.1:6379"
TEST_DATABASES = range(8, 16)  # one is claimed per worker, so parallel runs never take each other's tasks
CLAIM_KEY = "nkdash:test-worker-claim"
CELERY = [PYTHON, "-m", "celery", "-A", "etl_tasks"]


@pytest.fixture
def broker() -> Iterator[str]:
    """A Redis database no other test run is using, emptied first and released afterwards."""
    token = str(uuid.uuid4())
    for number in TEST_DATABASES:
        client = redis.Redis.from_url(f"{REDIS}/{number}", socket_connect_timeout=2)
        try:
            claimed = client.set(CLAIM_KEY, token, nx=True, ex=900)
        except redis.ConnectionError:
            pytest.fail("Redis is not answering on 127.0.0.1:6379 (.ci/run starts it)")
        if claimed:
            client.flushdb()
            client.set(CLAIM_KEY, token, ex=900)
            try:
                yield f"{REDIS}/{number}"
            finally:
                client.flushdb()
            return
    pytest.fail(f"every Redis test database {list(TEST_DATABASES)} is claimed by another run")


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


def call_by_name(env: dict[str, str], task: str, *args: str) -> str:
    """`celery -A etl_tasks call etl_tasks.<task> --args=...` as in the runbook; returns the task id."""
    done = subprocess.run([*CELERY, "call", f"etl_tasks.{task}", f"--args={json.dumps(list(args))}"],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.strip().splitlines()[-1]


def result_of(broker: str, task_id: str, timeout: float = 180) -> dict:
    return Celery(broker=broker, backend=broker).AsyncResult(task_id).get(timeout=timeout)


def test_daily_pipeline_sent_by_name_lands_the_partition(worker: ChildProcess, worker_env: dict[str, str],
                                                          tmp_path: Path, demo_odoo17: DemoOdoo, broker: str) -> None:
    day = demo_days(demo_odoo17.settings(tmp_path))[-1]
    summary = result_of(broker, call_by_name(worker_env, "daily_etl_pipeline", day.isoformat()))
    assert summary["failed"] == {}
    assert [d["day"] for d in summary["done"]] == [day.isoformat()]
    assert io_parquet.partition_path(tmp_path, io_parquet.STAR, "fact_sales", day).exists()
    assert "daily_etl_pipeline" in "\n".join(worker.output)


def test_date_range_fans_out_one_task_per_day(worker: ChildProcess, worker_env: dict[str, str], tmp_path: Path,
                                              demo_odoo17: DemoOdoo, broker: str) -> None:
    days = demo_days(demo_odoo17.settings(tmp_path), 2)
    dispatched = result_of(broker, call_by_name(worker_env, "date_range_etl_pipeline", days[0].isoformat(),
                                        days[-1].isoformat()))
    assert dispatched["dispatched"] == 2
    client = Celery(broker=broker, backend=broker)
    group = client.GroupResult.restore(dispatched["group_id"])
    group.get(timeout=180)
    for day in days:
        assert io_parquet.partition_path(tmp_path, io_parquet.STAR, "fact_sales", day).exists()


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
    assert Path(summary["fact_paths"]["fact_sales"]) == io_parquet.partition_path(
        tmp_path, io_parquet.STAR, "fact_sales", day)


def test_a_killed_worker_child_is_resumed_without_losing_or_doubling_rows(
        demo_odoo17: DemoOdoo, tmp_path: Path, broker: str) -> None:
    env = isolated_env(**demo_odoo17.env(tmp_path, REDIS_URL=broker, ETL_LOCK_TTL_SECONDS="10"))
    args = [*CELERY, "worker", "-Q", "extract,transform,load,orchestration", "--concurrency", "1",
            "--loglevel", "INFO", "-n", "nkdash-kill@%h", "--without-gossip", "--without-mingle"]
    day = demo_days(demo_odoo17.settings(tmp_path))[-1]
    target = io_parquet.partition_path(tmp_path, io_parquet.STAR, "fact_sales", day)
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
            assert not target.exists()
        summary = result_of(broker, task_id, timeout=240)
        log = "\n".join(child.output)
    assert "WorkerLostError" in log and "DayLocked" in log, "killed while holding the day's lock, then retried"
    assert [d["day"] for d in summary["done"]] == [day.isoformat()]
    assert not list((tmp_path / "raw" / "_staging").rglob("*.parquet"))
    sales = pl.read_parquet(target)
    assert sales.height > 0 and sales["line_id"].is_unique().all()


def test_an_odoo_error_fails_the_task_and_keeps_the_previous_partition(
        worker: ChildProcess, worker_env: dict[str, str], tmp_path: Path, demo_odoo17: DemoOdoo, broker: str) -> None:
    day = demo_days(demo_odoo17.settings(tmp_path))[-3]
    result_of(broker, call_by_name(worker_env, "daily_etl_pipeline", day.isoformat()))
    target = io_parquet.partition_path(tmp_path, io_parquet.STAR, "fact_sales", day)
    before = target.read_bytes()
    with faults(demo_odoo17.url, deny_models=["pos.order.line"]):
        task_id = call_by_name(worker_env, "daily_etl_pipeline", day.isoformat())
        with pytest.raises(RuntimeError, match="AccessError|denied"):
            result_of(broker, task_id)
    assert Celery(broker=broker, backend=broker).AsyncResult(task_id).state == "FAILURE"
    assert target.read_bytes() == before

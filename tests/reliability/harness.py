"""Real processes for the reliability tests and the soak: a supervised Celery worker, task sending, lake checks.

Everything here drives NKDash as production does — `celery -A etl_tasks worker` processes on a Redis broker,
tasks sent by name — and reads the lake only through the published day manifests.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from datetime import date
from pathlib import Path
from typing import Callable, Iterable

import polars as pl
from celery import Celery
from polars.testing import assert_frame_equal

from etl.catalog import CATALOG
from etl.day_manifest import loaded_days, read_manifest
from etl.io_parquet import STAR
from etl.pipelines.runs import run_days
from etl.published import read_published
from etl.settings import load_settings
from odoorpc_connector import OdooClient
from tests.support.processes import PROJECT_ROOT, PYTHON, ChildProcess, isolated_env, kill_group

DATASET = "pos_order_lines"
FACTS = tuple(CATALOG[DATASET].fact_tables)
CELERY = [PYTHON, "-m", "celery", "-A", "etl_tasks"]
QUEUES = "extract,transform,load,orchestration"
# Short limits so a lost task comes back within a test: deadline < soft < hard < visibility, lock TTL short.
FAST_LIMITS = {
    "ETL_DAY_DEADLINE_SECONDS": "20",
    "CELERY_TASK_SOFT_TIME_LIMIT": "25",
    "CELERY_TASK_TIME_LIMIT": "30",
    "CELERY_VISIBILITY_TIMEOUT_SECONDS": "40",
    "ETL_LOCK_TTL_SECONDS": "5",
}


def worker_env(odoo_env: dict[str, str], redis_url: str, **extra: str) -> dict[str, str]:
    """The environment of a worker (and of `celery call`) on `redis_url` with the short limits."""
    return isolated_env(**{**odoo_env, "REDIS_URL": redis_url, **FAST_LIMITS, **extra})


class Worker:
    """`celery -A etl_tasks worker` on every queue, optionally supervised like compose's `restart: unless-stopped`:
    when the worker exits on its own, a new one is started with the same command."""

    def __init__(self, env: dict[str, str], concurrency: int = 2, name: str = "nkdash-reliability",
                 supervised: bool = False) -> None:
        self.env = env
        self.args = [*CELERY, "worker", "-Q", QUEUES, "--concurrency", str(concurrency), "--loglevel", "INFO",
                     "-n", f"{name}@%h", "--without-gossip", "--without-mingle"]
        self.name = name
        self.supervised = supervised
        self.restarts = 0  # by the supervisor, after the worker exited (on its own or killed)
        self.exits: list[tuple[int | None, list[str]]] = []  # (return code, last lines) of every exit seen
        self.incarnations: list[ChildProcess] = []
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._watcher: threading.Thread | None = None

    @property
    def current(self) -> ChildProcess:
        return self.incarnations[-1]

    @property
    def output(self) -> list[str]:
        return [line for child in self.incarnations for line in child.output]

    def start(self, wait: bool = True) -> "Worker":
        with self._lock:
            child = ChildProcess(self.args, self.env)
            self.incarnations.append(child)
        if wait:
            child.wait_for(rf"{self.name}@\S+ ready", timeout=90)
        if self.supervised and self._watcher is None:
            self._watcher = threading.Thread(target=self._supervise, daemon=True)
            self._watcher.start()
        return self

    def _supervise(self) -> None:
        while not self._stopping.wait(0.5):
            if self.current.popen.poll() is not None and not self._stopping.is_set():
                self.exits.append((self.current.popen.returncode, self.current.output[-25:]))
                self.restarts += 1
                self.start(wait=False)

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once (OOM killer, `docker kill`, a lost host)."""
        kill_group(self.current, signal.SIGKILL)

    def stop(self) -> None:
        self._stopping.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
        for child in self.incarnations:
            child.stop()

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.output[-lines:])


def client(redis_url: str) -> Celery:
    """A bare Celery client: sends tasks by name, as an operator or another service does."""
    return Celery("nkdash-test-client", broker=redis_url, backend=redis_url)


def send_daily(redis_url: str, days: Iterable[date]) -> list[str]:
    """One `daily_etl_pipeline` per day, sent by name to the orchestration queue; returns the task ids."""
    app = client(redis_url)
    try:
        return [app.send_task("etl_tasks.daily_etl_pipeline", args=[day.isoformat()], queue="orchestration").id
                for day in days]
    finally:
        app.close()


def celery_calls(env: dict[str, str], task: str, argument_lists: list[list[str]],
                 timeout: float = 120) -> list[str]:
    """`celery -A etl_tasks call etl_tasks.<task> --args=...` once per argument list, all started at once."""
    calls = [subprocess.Popen([*CELERY, "call", f"etl_tasks.{task}", f"--args={json.dumps(args)}"],
                              cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for args in argument_lists]
    ids = []
    try:
        for call in calls:
            out, err = call.communicate(timeout=timeout)
            assert call.returncode == 0, f"celery call failed: {err[-2000:]}"
            ids.append(out.strip().splitlines()[-1])
    finally:
        for call in calls:
            if call.poll() is None:
                call.kill()
                call.wait()
    return ids


def published(lake: Path) -> list[date]:
    return loaded_days(lake, DATASET)


def wait_for_days(lake: Path, days: Iterable[date], timeout: float,
                  tick: Callable[[], None] | None = None, describe: Callable[[], str] = lambda: "") -> float:
    """Wait until every day is published; returns the seconds waited."""
    wanted, started = set(days), time.monotonic()
    while time.monotonic() - started < timeout:
        if wanted <= set(published(lake)):
            return time.monotonic() - started
        if tick:
            tick()
        time.sleep(0.5)
    missing = sorted(wanted - set(published(lake)))
    raise AssertionError(f"{len(missing)} day(s) not published after {timeout:.0f}s: {missing}\n{describe()}")


def reference_lake(odoo_env: dict[str, str], lake: Path, days: list[date]) -> Path:
    """The same days run in-process, one after another, into their own lake (file locks, no broker)."""
    settings = load_settings({**odoo_env, "DATA_LAKE_ROOT": str(lake), "ETL_LOCK_BACKEND": "file"})
    odoo = OdooClient(settings.require_odoo(), backoff_seconds=0.01).connect()
    run_days([DATASET], days, settings, odoo, refresh_first=False).raise_if_failed()
    return lake


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns)


def day_differences(lake: Path, reference: Path, days: Iterable[date]) -> dict[str, str]:
    """Per "fact day", what differs between the lake and the reference (missing day, row counts, duplicate or
    different rows); empty when every published fact row equals the reference's."""
    problems: dict[str, str] = {}
    for day in days:
        if read_manifest(lake, DATASET, day) is None:
            problems[f"{DATASET} {day}"] = "not published"
            continue
        for fact in FACTS:
            got, want = read_published(lake, STAR, fact, day), read_published(reference, STAR, fact, day)
            assert want is not None, f"reference lacks {fact} {day}"
            key = f"{fact} {day}"
            if got is None:
                problems[key] = "not in the manifest"
            elif got.height != want.height:
                problems[key] = f"{got.height} rows, expected {want.height} ({got.height - got.unique().height} duplicated)"
            else:
                try:
                    assert_frame_equal(_sorted(got), _sorted(want))
                except AssertionError as exc:
                    problems[key] = f"rows differ: {str(exc)[:300]}"
    return problems

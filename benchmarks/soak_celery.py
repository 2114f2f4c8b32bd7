"""`make soak`: load days through real Celery workers while killing them and restarting Redis at random moments.

Each round loads every day into a fresh lake, one `daily_etl_pipeline` task per day sent at once, while a chaos
loop SIGKILLs the whole worker (a supervisor starts a new one, like compose's `restart: unless-stopped`) or kills
Redis and starts it again on its append-only file. Once the queues are empty, the days still missing or failed are
sent again the way the hourly `catch_up_etl` picks them (`catch_up_days`); some are expected: kombu's Redis
transport can lose a message popped at the moment of a kill, and a task that needs the broker while it is down
gives up and is recorded as failed. Then the round's lake is compared, day by day and row by row, with the same days
loaded in-process.

Figures: days sent vs days loaded exactly (first pass + by catch-up), days lost (must be 0), kills and Redis restarts
survived, worker exits not caused by us (with their reason), duplicated rows found (must be 0).

    python -m benchmarks.soak_celery [--minutes 8] [--days 30] [--seed 7] [--chaos-per-round 3]
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import redis as redis_py

from etl.dates import business_yesterday
from etl.io_parquet import STAR
from etl.pipelines.runs import catch_up_days
from etl.published import read_published
from etl.settings import load_settings
from tests.conftest import start_demo
from tests.reliability.harness import (
    DATASET, FACTS, Worker, day_differences, published, reference_lake, send_daily, worker_env,
)
from tests.support.demo_control import faults
from tests.support.processes import RedisServer, redis_server

# Shorter than the tests' limits so a lost day comes back quickly: deadline < soft < hard < visibility.
SOAK_LIMITS = {
    "ETL_DAY_DEADLINE_SECONDS": "10",
    "CELERY_TASK_SOFT_TIME_LIMIT": "12",
    "CELERY_TASK_TIME_LIMIT": "15",
    "CELERY_VISIBILITY_TIMEOUT_SECONDS": "20",
    "ETL_LOCK_TTL_SECONDS": "3",
}
QUEUES = ("orchestration", "extract", "transform", "load")
ROUND_TIMEOUT_SECONDS = 300


@dataclass
class SoakFigures:
    days_sent: int = 0
    first_pass_exact: int = 0
    caught_up_exact: int = 0
    lost: int = 0
    worker_kills: int = 0
    redis_restarts: int = 0
    worker_exits: int = 0
    exit_reasons: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    problems: dict[str, str] = field(default_factory=dict)


def _idle(broker: redis_py.Redis) -> bool:
    """No message waiting, reserved or delayed (ETA) on any queue."""
    try:
        return not any(broker.llen(queue) for queue in QUEUES) and not broker.hlen("unacked")
    except redis_py.RedisError:
        return False


def _duplicated_rows(lake: Path, reference: Path, days: list[date]) -> int:
    """Rows published beyond the reference's count, plus fact_sales lines published twice."""
    extra = 0
    for day in days:
        for fact in FACTS:
            got, want = read_published(lake, STAR, fact, day), read_published(reference, STAR, fact, day)
            if got is not None and want is not None:
                extra += max(0, got.height - want.height)
        sales = read_published(lake, STAR, "fact_sales", day)
        if sales is not None:
            extra += sales.height - sales["line_id"].n_unique()
    return extra


def _wait_idle(broker: redis_py.Redis, lake: Path, days: list[date], timeout: float) -> bool:
    """Until every day is published and nothing is queued, or the queues are empty for a few seconds (the rest
    will not come by itself); False on timeout."""
    deadline, idle_since = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        if _idle(broker):
            if set(days) <= set(published(lake)):
                return True
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since > 5:
                return True
        else:
            idle_since = None
        time.sleep(0.5)
    return False


def _chaos(rng: random.Random, worker: Worker, redis: RedisServer, figures: SoakFigures) -> str:
    if rng.random() < 0.6:
        worker.kill()  # the supervisor starts a new one, as compose would
        figures.worker_kills += 1
        return "worker SIGKILLed"
    redis.kill()
    time.sleep(rng.uniform(1, 8))
    redis.start()
    figures.redis_restarts += 1
    return "redis restarted"


def _round(number: int, rng: random.Random, scratch: Path, odoo_env: dict[str, str], redis: RedisServer,
           days: list[date], reference: Path, chaos_per_round: int, demo_url: str, figures: SoakFigures) -> None:
    lake = scratch / f"lake-{number}"
    env = worker_env({**odoo_env, "DATA_LAKE_ROOT": str(lake)}, redis.url(), ETL_START_DATE=days[0].isoformat(),
                     **SOAK_LIMITS)
    worker = Worker(env, concurrency=2, name=f"nkdash-soak{number}", supervised=True)
    broker = redis_py.Redis.from_url(redis.url(), socket_connect_timeout=1, socket_timeout=2)
    try:
        worker.start()
        order = days[:]
        rng.shuffle(order)
        with faults(demo_url, latency_ms=rng.choice([0, 20, 50])):
            send_daily(redis.url(), order)
            figures.days_sent += len(order)
            chaos_at = sorted(time.monotonic() + rng.uniform(1, 25) for _ in range(rng.randint(1, chaos_per_round)))
            for moment in chaos_at:
                time.sleep(max(0.0, moment - time.monotonic()))
                done = len(published(lake))
                if done == len(days):
                    break
                print(f"round {number}: {_chaos(rng, worker, redis, figures)} with {done}/{len(days)} days loaded",
                      flush=True)
            if not _wait_idle(broker, lake, days, ROUND_TIMEOUT_SECONDS):
                print(f"round {number}: queues not empty after {ROUND_TIMEOUT_SECONDS} s", flush=True)
        first_pass = set(published(lake))
        settings = load_settings({**odoo_env, "DATA_LAKE_ROOT": str(lake), "ETL_START_DATE": days[0].isoformat()})
        again = catch_up_days(DATASET, settings)
        if again:
            send_daily(redis.url(), again)  # what the hourly catch_up_etl sends for this dataset
            _wait_idle(broker, lake, days, ROUND_TIMEOUT_SECONDS)
        bad = {key.split()[-1] for key in day_differences(lake, reference, days)}
        exact = {day for day in published(lake) if day.isoformat() not in bad}
        figures.first_pass_exact += len(exact & first_pass)
        figures.caught_up_exact += len(exact - first_pass)
        figures.lost += len(days) - len(exact)
        figures.duplicates += _duplicated_rows(lake, reference, days)
        figures.problems.update({f"round {number} {key}": problem
                                 for key, problem in day_differences(lake, reference, days).items()})
        print(f"round {number}: {len(exact & first_pass)} days exact at once, {len(exact - first_pass)} after "
              f"catch-up ({len(again)} sent again), {len(days) - len(exact)} lost", flush=True)
    finally:
        broker.close()
        worker.stop()
    for code, lines in worker.exits:
        if code != -9:  # not one of our kills: why did it exit?
            figures.worker_exits += 1
            reason = next((line.strip() for line in reversed(lines) if "Error" in line), f"exit code {code}")
            figures.exit_reasons[reason] = figures.exit_reasons.get(reason, 0) + 1


def soak(minutes: float, day_count: int, seed: int, chaos_per_round: int) -> SoakFigures:
    rng = random.Random(seed)
    figures = SoakFigures()
    ends = time.monotonic() + minutes * 60
    with tempfile.TemporaryDirectory(prefix="nkdash-soak-") as directory, \
            contextmanager(start_demo)(17, "--days", str(day_count), "--orders-per-day", "6") as demo, \
            redis_server(Path(directory) / "redis", persistent=True) as redis:
        scratch = Path(directory)
        odoo_env = demo.env(scratch / "unused")
        last = business_yesterday(load_settings(odoo_env).business_timezone)
        days = [last - timedelta(days=n) for n in reversed(range(day_count))]
        print(f"reference: loading {day_count} days in-process", flush=True)
        reference = reference_lake(odoo_env, scratch / "reference", days)
        number = 0
        while time.monotonic() < ends - 75:
            number += 1
            _round(number, rng, scratch, odoo_env, redis, days, reference, chaos_per_round, demo.url, figures)
    return figures


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=8)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--chaos-per-round", type=int, default=3, help="kills and Redis restarts per round, at most")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)  # the figures are the output; the workers keep their own logs
    started = time.monotonic()
    figures = soak(args.minutes, args.days, args.seed, args.chaos_per_round)
    print("\n== soak figures ==")
    print(f"days sent (tasks)                 {figures.days_sent}")
    print(f"days loaded exactly, first pass   {figures.first_pass_exact}")
    print(f"days loaded exactly by catch-up   {figures.caught_up_exact}")
    print(f"days lost                         {figures.lost}")
    print(f"worker SIGKILLs survived          {figures.worker_kills}")
    print(f"redis restarts survived           {figures.redis_restarts}")
    print(f"worker exits not caused by us     {figures.worker_exits} (restarted by the supervisor, as compose's "
          f"restart: unless-stopped)")
    for reason, count in figures.exit_reasons.items():
        print(f"  {count} x {reason[:160]}")
    print(f"duplicated rows found             {figures.duplicates}")
    print(f"minutes                           {(time.monotonic() - started) / 60:.1f}")
    for key, problem in sorted(figures.problems.items()):
        print(f"  {key}: {problem}")
    return 0 if figures.lost == 0 and figures.duplicates == 0 and not figures.problems else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

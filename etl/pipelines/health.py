"""Health: is the lake readable, does Redis answer, and how fresh is each dataset (DESIGN §6).

One report serves the hourly `health_check` task, the dashboard's `/health` and the operator console. A dependency
that is down makes the status `down`; stale data (a dataset `critical` or never loaded) makes it `degraded`: the
numbers served are still right, only old, so the dashboard stays in rotation while monitoring alerts on the levels.
"""

from __future__ import annotations

import logging
import os
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any, Iterable

import redis

from etl import io_parquet
from etl.dates import business_today
from etl.datasets import DATASETS
from etl.settings import Settings
from etl.status import Freshness, dataset_freshness, read_status

log = logging.getLogger(__name__)

REDIS_TIMEOUT_SECONDS = 1.0
STALE_LEVELS = ("critical", "never")


def loaded_days(root: str | Path, fact_tables: Iterable[str]) -> list[date]:
    """Business days for which every fact table of a dataset has a partition file."""
    per_table = [set(io_parquet.partition_days(root, io_parquet.STAR, table)) for table in fact_tables]
    return sorted(set.intersection(*per_table)) if per_table else []


def freshness(settings: Settings, today: date | None = None) -> list[Freshness]:
    """Freshness of every registered dataset, in registry order, against today's business date."""
    today = today or business_today(settings.business_timezone)
    entries = read_status(settings.data_lake_root)["datasets"]
    return [
        dataset_freshness(name, entries.get(name, {}), today, loaded_days(settings.data_lake_root, spec.fact_tables))
        for name, spec in DATASETS.items()
    ]


def check_lake(root: str | Path) -> dict[str, Any]:
    path = Path(root)
    readable = path.is_dir() and os.access(path, os.R_OK | os.X_OK)
    return {"ok": readable, "root_exists": path.exists(), "readable": readable}


def check_redis(url: str) -> dict[str, Any]:
    client = redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS)
    try:
        return {"ok": bool(client.ping())}
    except redis.RedisError as exc:
        log.warning("redis health check failed", extra={"error": type(exc).__name__})
        return {"ok": False, "error": type(exc).__name__}
    finally:
        client.close()


def health_report(settings: Settings, today: date | None = None) -> dict[str, Any]:
    """Status `ok` | `degraded` | `down`, the lake and Redis checks, and each dataset's freshness."""
    lake = check_lake(settings.data_lake_root)
    redis_state = check_redis(settings.redis_url)
    today = today or business_today(settings.business_timezone)
    datasets: dict[str, dict[str, Any]] = {}
    if lake["ok"]:
        for entry in freshness(settings, today):
            datasets[entry.dataset] = {
                "title": DATASETS[entry.dataset].title,
                "level": entry.level,
                "last_processed_date": entry.last_processed_date.isoformat() if entry.last_processed_date else None,
                "days_late": entry.days_late,
                "gaps": [day.isoformat() for day in entry.gaps],
                "last_error": entry.last_error,
                "last_run": asdict(entry.last_run) if entry.last_run else None,
            }
    down = not (lake["ok"] and redis_state["ok"])
    stale = any(entry["level"] in STALE_LEVELS for entry in datasets.values())
    status = "down" if down else "degraded" if stale else "ok"
    return {"status": status, "lake": lake, "redis": redis_state, "datasets": datasets, "today": today.isoformat()}

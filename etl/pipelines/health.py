"""health_check: is every dataset fresh, and are the lake, Redis and Odoo answering?"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

import redis

from etl import io_parquet
from etl.dates import business_today
from etl.datasets import DATASETS
from etl.settings import Settings
from etl.status import Freshness, dataset_freshness, read_status


def freshness(settings: Settings, today: date | None = None) -> list[Freshness]:
    """Freshness of every registered dataset against today's business date."""
    today = today or business_today(settings.business_timezone)
    entries = read_status(settings.data_lake_root)["datasets"]
    return [
        dataset_freshness(
            name, entries.get(name, {}), today,
            io_parquet.partition_days(settings.data_lake_root, io_parquet.STAR, next(iter(spec.fact_tables))),
        )
        for name, spec in DATASETS.items()
    ]


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def health_report(settings: Settings, today: date | None = None) -> dict[str, Any]:
    """Lake, Redis and per-dataset freshness; `ok` is False when a component is down or a dataset is critical."""
    lake_ok = io_parquet.lake_root(settings.data_lake_root).is_dir()
    redis_ok = redis_answers(settings.redis_url)
    datasets = [{**asdict(f), "last_processed_date": f.last_processed_date and f.last_processed_date.isoformat(),
                 "gaps": [g.isoformat() for g in f.gaps]} for f in freshness(settings, today)]
    critical = [d["dataset"] for d in datasets if d["level"] == "critical"]
    return {"ok": lake_ok and redis_ok and not critical, "lake": lake_ok, "redis": redis_ok,
            "critical": critical, "datasets": datasets}

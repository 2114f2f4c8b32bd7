"""The `/health` report: is the dashboard able to serve (lake, Redis) and how fresh is each dataset.

HTTP status: 503 when a dependency is down — the lake root is missing or unreadable, or Redis does not answer PING.
Stale data (freshness `critical` or `never`) does not make it 503: the dashboard still serves correct, if old,
numbers, and a load balancer must not take it out of rotation for that; the report's `status` is then `degraded` and
each dataset's level is listed so monitoring can alert on it.
"""

from __future__ import annotations

import logging
import os
from datetime import date
from pathlib import Path
from typing import Any

import redis

from etl.settings import Settings
from services.freshness import business_today, lake_freshness

logger = logging.getLogger(__name__)

REDIS_TIMEOUT_SECONDS = 1.0
STALE_LEVELS = ("critical", "never")


def check_lake(root: Path) -> dict[str, Any]:
    readable = root.is_dir() and os.access(root, os.R_OK | os.X_OK)
    return {"ok": readable, "root_exists": root.exists(), "readable": readable}


def check_redis(url: str) -> dict[str, Any]:
    client = redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_SECONDS,
                                  socket_connect_timeout=REDIS_TIMEOUT_SECONDS)
    try:
        return {"ok": bool(client.ping())}
    except redis.RedisError as exc:
        logger.warning("redis health check failed", extra={"error": type(exc).__name__})
        return {"ok": False, "error": type(exc).__name__}
    finally:
        client.close()


def health_report(settings: Settings, today: date | None = None) -> tuple[dict[str, Any], int]:
    """The JSON body and HTTP status of `/health`."""
    root = Path(settings.data_lake_root)
    lake = check_lake(root)
    redis_state = check_redis(settings.redis_url)
    today = today or business_today(settings.business_timezone)
    datasets = {}
    if lake["ok"]:
        for title, freshness in lake_freshness(root, today):
            datasets[freshness.dataset] = {
                "title": title,
                "level": freshness.level,
                "last_processed_date": freshness.last_processed_date.isoformat()
                if freshness.last_processed_date else None,
                "days_late": freshness.days_late,
                "gaps": [day.isoformat() for day in freshness.gaps],
                "last_error": freshness.last_error,
            }
    down = not (lake["ok"] and redis_state["ok"])
    stale = any(entry["level"] in STALE_LEVELS for entry in datasets.values())
    status = "down" if down else "degraded" if stale else "ok"
    body = {"status": status, "lake": lake, "redis": redis_state, "datasets": datasets, "today": today.isoformat()}
    return body, 503 if down else 200

"""`/health`: 200 when the lake is readable and Redis answers, 503 when either is down; freshness is reported."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from benchmarks.lake_generator import SMALL_LAKE
from etl.settings import load_settings
from services.health import health_report

REDIS_UP = "redis://127.0.0.1:6379/13"
REDIS_DOWN = "redis://127.0.0.1:1/0"


def test_healthy_lake_and_redis_is_200_with_freshness(small_lake_root: Path) -> None:
    settings = load_settings({"DATA_LAKE_ROOT": str(small_lake_root), "REDIS_URL": REDIS_UP})
    body, status = health_report(settings, today=date(2024, 3, 1))
    assert status == 200 and body["status"] == "ok"
    entry = body["datasets"]["pos_order_lines"]
    assert entry["level"] == "fresh" and entry["days_late"] == 1 and entry["gaps"] == []
    assert entry["last_processed_date"] == SMALL_LAKE.end.isoformat()


def test_critical_freshness_is_reported_but_still_200(small_lake_root: Path) -> None:
    settings = load_settings({"DATA_LAKE_ROOT": str(small_lake_root), "REDIS_URL": REDIS_UP})
    body, status = health_report(settings, today=date(2024, 3, 10))
    assert status == 200 and body["status"] == "degraded"
    assert body["datasets"]["pos_order_lines"]["level"] == "critical"


def test_redis_down_is_503(small_lake_root: Path) -> None:
    settings = load_settings({"DATA_LAKE_ROOT": str(small_lake_root), "REDIS_URL": REDIS_DOWN})
    body, status = health_report(settings, today=date(2024, 3, 1))
    assert status == 503 and body["status"] == "down" and body["redis"]["ok"] is False


def test_missing_lake_is_503(tmp_path: Path) -> None:
    settings = load_settings({"DATA_LAKE_ROOT": str(tmp_path / "absent"), "REDIS_URL": REDIS_UP})
    body, status = health_report(settings, today=date(2024, 3, 1))
    assert status == 503 and body["lake"] == {"ok": False, "root_exists": False, "readable": False}

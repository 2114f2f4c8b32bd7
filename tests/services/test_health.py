"""`/health`: per dataset ok | stale | failing | unreadable with failed and missing days; 503 when a dataset is failing
or unreadable or the lake or Redis is down, 200 (degraded) for stale data or no worker; no paths or secrets; the
Overview's export of it, one row per dataset with exact values."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from benchmarks.lake_generator import SMALL_LAKE
from etl.pipelines import health as health_module
from etl.settings import reset_settings_cache
from etl.status import RunRecord, read_status, record_failure, record_run
from services.health import health_report, health_rows
from tests.services.conftest import settings_for

REDIS_DOWN = "redis://127.0.0.1:1/0"
DAY_AFTER = date(2024, 3, 1)  # the small lake's last day is yesterday
WORKERS = {"ok": True, "workers": ["celery@test"], "checked_at": "2024-03-01T00:00:00+00:00"}


@pytest.fixture(autouse=True)
def workers(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Workers answer, unless a test changes this dict."""
    answer = dict(WORKERS)
    monkeypatch.setattr(health_module, "worker_report", lambda _settings: answer)
    return answer


def test_a_healthy_dataset_is_ok_and_200(small_lake_root: Path) -> None:
    body, status = health_report(settings_for(small_lake_root), today=DAY_AFTER)
    assert status == 200 and body["workers"]["workers"] == ["celery@test"]
    others = [entry["status"] for name, entry in body["datasets"].items() if name != "pos_order_lines"]
    assert set(others) <= {"stale"}  # datasets the small lake never loaded
    assert body["status"] == ("degraded" if others else "ok")
    entry = body["datasets"]["pos_order_lines"]
    assert entry["status"] == "ok" and entry["level"] == "fresh" and entry["days_late"] == 1
    assert entry["last_processed_date"] == SMALL_LAKE.end.isoformat()
    assert entry["failed_days"] == [] and entry["missing_days"] == [] and entry["unreadable"] == []
    assert body["unreadable"] == []


def test_stale_data_is_200_degraded_with_missing_days(small_lake_root: Path) -> None:
    body, status = health_report(settings_for(small_lake_root), today=date(2024, 3, 10))
    assert status == 200 and body["status"] == "degraded"
    entry = body["datasets"]["pos_order_lines"]
    assert entry["status"] == "stale" and entry["level"] == "critical"
    assert entry["missing_days"] == [f"2024-03-0{day}" for day in range(1, 10)]


def test_missing_days_start_at_the_etl_start_date(small_lake_root: Path) -> None:
    settings = settings_for(small_lake_root, ETL_START_DATE="2023-12-30")
    entry = health_report(settings, today=DAY_AFTER)[0]["datasets"]["pos_order_lines"]
    assert entry["missing_days"] == ["2023-12-30", "2023-12-31"]


def test_no_worker_answering_is_200_degraded(small_lake_root: Path, workers: dict[str, Any]) -> None:
    workers.update(ok=False, workers=[])
    body, status = health_report(settings_for(small_lake_root), today=DAY_AFTER)
    assert status == 200 and body["status"] == "degraded"
    assert body["datasets"]["pos_order_lines"]["status"] == "ok"


def test_a_failed_day_in_the_window_is_503_failing(root: Path) -> None:
    record_failure(root, "pos_order_lines", "2024-01-05", "extract", "OdooUnavailableError: old")  # outside
    body, status = health_report(settings_for(root), today=DAY_AFTER)
    assert status == 200 and body["datasets"]["pos_order_lines"]["status"] == "ok"
    record_failure(root, "pos_order_lines", "2024-02-27", "load", "ValueError: bad rows")
    body, status = health_report(settings_for(root), today=DAY_AFTER)
    entry = body["datasets"]["pos_order_lines"]
    assert status == 503 and body["status"] == "failing" and entry["status"] == "failing"
    assert entry["failed_days"] == [
        {"day": "2024-01-05", "error": "OdooUnavailableError: old", "step": "extract"},
        {"day": "2024-02-27", "error": "ValueError: bad rows", "step": "load"},
    ]


def test_redis_down_is_503(small_lake_root: Path) -> None:
    body, status = health_report(settings_for(small_lake_root, REDIS_URL=REDIS_DOWN), today=DAY_AFTER)
    assert status == 503 and body["status"] == "down" and body["redis"]["ok"] is False
    assert body["workers"]["ok"] is False


def test_missing_lake_is_503(tmp_path: Path) -> None:
    body, status = health_report(settings_for(tmp_path / "absent"), today=DAY_AFTER)
    assert status == 503 and body["lake"] == {"ok": False, "root_exists": False, "readable": False}


def test_health_route_shows_no_paths_or_secrets(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = {"ODOO_API_KEY": "s3cr3t-api-key", "OPS_PASSWORD": "ops-pa55word"}
    env = {"DATA_LAKE_ROOT": str(root), "REDIS_URL": "redis://:hunter2-redis@127.0.0.1:1/0",
           "ODOO_URL": "https://odoo.example.com", "ODOO_DB": "db", "ODOO_USERNAME": "admin",
           "OPS_USERNAME": "ops", **secrets}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reset_settings_cache()
    error = f"OSError: cannot write {root}/raw/x.parquet with s3cr3t-api-key via https://admin:s3cr3t-api-key@odoo"
    record_failure(root, "pos_order_lines", "2024-02-28", "load", error)
    day = next((root / "star-schema" / "fact_sales").glob("year=2024/month=02/day=29/*/*.parquet"))
    day.write_bytes(day.read_bytes()[:100])
    import app

    try:
        response = app.server.test_client().get("/health")
    finally:
        reset_settings_cache()
    text = json.dumps(response.get_json())
    assert response.status_code == 503
    for forbidden in (str(root), "/tmp", *secrets.values(), "hunter2-redis"):
        assert forbidden not in text, forbidden
    assert "x.parquet" in text and "unreadable" in text


def test_the_dimension_refresh_state_is_reported_without_changing_the_status(root: Path) -> None:
    assert health_report(settings_for(root), today=DAY_AFTER)[0]["dimensions"]["status"] == "never"
    record_run(root, RunRecord("dimensions", "", True, 40, 40, 0, 1.5, [], finished_at="2024-03-01T01:00:00+00:00"))
    record_run(root, RunRecord("dimensions", "", False, 0, 0, 0, 0.0, [], error="OdooUnavailableError: odoo down",
                               finished_at="2024-03-01T02:00:00+00:00", step="dimensions"))
    now = datetime(2024, 3, 1, 3, tzinfo=timezone.utc)
    state = health_module.dimensions_refresh(read_status(root)["datasets"]["dimensions"], now)
    assert state == {"status": "failing", "last_error": "OdooUnavailableError: odoo down",
                     "failed_at": "2024-03-01T02:00:00+00:00",
                     "last_success": {"finished_at": "2024-03-01T01:00:00+00:00", "rows_out": 40, "seconds": 1.5}}
    body, status = health_report(settings_for(root), today=DAY_AFTER)
    assert body["dimensions"]["status"] == "failing" and status == 200
    entry = {"last_success": {"finished_at": "2024-03-01T01:00:00+00:00", "rows_out": 40, "seconds": 1.5}}
    assert health_module.dimensions_refresh(entry, now)["status"] == "ok"
    assert health_module.dimensions_refresh(entry, now + timedelta(hours=9))["status"] == "stale"


def test_the_health_export_has_every_dataset_with_exact_values(root: Path) -> None:
    record_run(root, RunRecord("pos_order_lines", "2024-02-29", True, 1234, 1230, 4, 2.345, [],
                               finished_at="2024-03-01T02:00:00+00:00"))
    for day in range(16, 28):
        record_failure(root, "pos_order_lines", f"2024-02-{day}", "load" if day % 2 else "", f"ValueError: {day}")
    report, _status = health_report(settings_for(root, ETL_START_DATE="2023-12-30"), today=DAY_AFTER)
    rows = health_rows(report)
    assert rows["dataset"].to_list() == list(report["datasets"])
    pos = rows.filter(pl.col("dataset") == "pos_order_lines").row(0, named=True)
    assert (pos["status"], pos["freshness"], pos["last_processed_date"], pos["days_late"]) == (
        "failing", "fresh", "2024-02-29", 1)
    assert (pos["last_run_day"], pos["last_run_rows"], pos["last_run_quarantined"], pos["last_run_seconds"]) == (
        "2024-02-29", 1230, 4, 2.345)  # exact, not "1.230 baris, 2,3 dtk"
    assert pos["failed_days"] == ", ".join(f"2024-02-{day}" for day in range(16, 28))  # all twelve, not the first five
    assert pos["failures"].splitlines()[:2] == ["2024-02-16: ValueError: 16", "2024-02-17 (load): ValueError: 17"]
    assert (pos["missing_days_count"], pos["missing_days"]) == (2, "2023-12-30, 2023-12-31")
    never = rows.filter(pl.col("freshness") == "never")
    assert never.height and never["last_processed_date"].is_null().all() and never["last_run_rows"].is_null().all()

"""`/health` and the Overview page's health section: the shared report (etl.pipelines.health) plus what this
process's serving layer found unreadable, and its HTTP status (503 when failing or down); the report's datasets as
one table for the section's export."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import polars as pl

from etl.pipelines.health import health_report as build_report
from etl.pipelines.health import http_status
from etl.settings import Settings
from services.duckdb_connector import Lake

HEALTH_SCHEMA = {
    "dataset": pl.String, "title": pl.String, "status": pl.String, "freshness": pl.String,
    "last_processed_date": pl.String, "days_late": pl.Int64, "last_run_day": pl.String,
    "last_run_finished_at": pl.String, "last_run_rows": pl.Int64, "last_run_quarantined": pl.Int64,
    "last_run_seconds": pl.Float64, "failed_days": pl.String, "failures": pl.String, "missing_days_count": pl.Int64,
    "missing_days": pl.String, "unreadable": pl.String,
}


def health_report(settings: Settings, today: date | None = None,
                  lake: Lake | None = None) -> tuple[dict[str, Any], int]:
    """The JSON body and HTTP status of `/health`; `lake` adds the files its last refresh could not read."""
    body = build_report(settings, today, unreadable=lake.unreadable() if lake is not None else ())
    return body, http_status(body)


def _failure(item: Mapping[str, Any]) -> str:
    """`2024-02-28 (extract): error`, the step left out when the report has none."""
    step = f" ({item['step']})" if item["step"] else ""
    return f"{item['day']}{step}: {item['error']}"


def _dataset_row(name: str, entry: Mapping[str, Any]) -> dict[str, Any]:
    run = entry["last_run"] or {}
    return {
        "dataset": name, "title": entry["title"], "status": entry["status"], "freshness": entry["level"],
        "last_processed_date": entry["last_processed_date"], "days_late": entry["days_late"],
        "last_run_day": run.get("day"), "last_run_finished_at": run.get("finished_at"),
        "last_run_rows": run.get("rows_out"), "last_run_quarantined": run.get("quarantined"),
        "last_run_seconds": run.get("seconds"),
        "failed_days": ", ".join(item["day"] for item in entry["failed_days"]),
        "failures": "\n".join(_failure(item) for item in entry["failed_days"]),
        "missing_days_count": len(entry["missing_days"]), "missing_days": ", ".join(entry["missing_days"]),
        "unreadable": "\n".join(f"{item['day'] or ''} {item['table']}: {item['reason']}".strip()
                                for item in entry["unreadable"]),
    }


def health_rows(report: Mapping[str, Any]) -> pl.DataFrame:
    """One row per dataset of the health report, as the report holds it (the health table's export): codes, ISO days
    and exact counts and seconds; every failed day with its step and error, every missing day and unreadable file
    (the table shows the first few)."""
    return pl.DataFrame([_dataset_row(name, entry) for name, entry in report["datasets"].items()],
                        schema=HEALTH_SCHEMA)

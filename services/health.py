"""`/health` and the Overview page's health section: the shared report (etl.pipelines.health) plus what this
process's serving layer found unreadable, and its HTTP status (503 when failing or down)."""

from __future__ import annotations

from datetime import date
from typing import Any

from etl.pipelines.health import health_report as build_report
from etl.pipelines.health import http_status
from etl.settings import Settings
from services.duckdb_connector import Lake


def health_report(settings: Settings, today: date | None = None,
                  lake: Lake | None = None) -> tuple[dict[str, Any], int]:
    """The JSON body and HTTP status of `/health`; `lake` adds the files its last refresh could not read."""
    body = build_report(settings, today, unreadable=lake.unreadable() if lake is not None else ())
    return body, http_status(body)

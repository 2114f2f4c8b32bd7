"""`/health` as HTTP: the shared health report (etl.pipelines.health) with 503 when a dependency is down."""

from __future__ import annotations

from datetime import date
from typing import Any

from etl.pipelines.health import health_report as build_report
from etl.settings import Settings


def health_report(settings: Settings, today: date | None = None) -> tuple[dict[str, Any], int]:
    """The JSON body and HTTP status of `/health`."""
    body = build_report(settings, today)
    return body, 503 if body["status"] == "down" else 200

"""The demo Odoo's business days and a client that retries fast, for tests that load from it."""

from __future__ import annotations

from datetime import date, timedelta

from etl.dates import business_yesterday
from etl.settings import Settings
from odoorpc_connector import OdooClient

DEMO_DAYS = 6  # days of data every demo server fixture generates (tests/conftest.py)


def demo_days(settings: Settings, count: int = DEMO_DAYS) -> list[date]:
    """The last `count` business days the demo has data for, oldest first (it ends yesterday)."""
    last = business_yesterday(settings.business_timezone)
    return [last - timedelta(days=n) for n in reversed(range(count))]


def fast_client(settings: Settings) -> OdooClient:
    """A connected client whose retries back off in milliseconds, not seconds."""
    return OdooClient(settings.require_odoo(), backoff_seconds=0.01).connect()

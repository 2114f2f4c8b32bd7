"""Fixtures of the reliability tests: a small demo Odoo with a month of days, the same days loaded in-process as the
reference, and a private Redis per test module. Every process is stopped at teardown, failed test or not."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Iterator

import pytest

from etl.dates import business_yesterday
from etl.settings import load_settings
from tests.conftest import DemoOdoo, start_demo
from tests.reliability.harness import reference_lake

MONTH = 30
ORDERS_PER_DAY = 6


@pytest.fixture(scope="session")
def small_demo() -> Iterator[DemoOdoo]:
    """Odoo 17 with 30 business days of a few orders each: many days, little work per day."""
    yield from start_demo(17, "--days", str(MONTH), "--orders-per-day", str(ORDERS_PER_DAY))


@pytest.fixture(scope="session")
def month(small_demo: DemoOdoo, tmp_path_factory: pytest.TempPathFactory) -> list[date]:
    """The demo's 30 days, oldest first."""
    tz = load_settings(small_demo.env(tmp_path_factory.mktemp("tz"))).business_timezone
    last = business_yesterday(tz)
    return [last - timedelta(days=n) for n in reversed(range(MONTH))]


@pytest.fixture(scope="session")
def reference(small_demo: DemoOdoo, month: list[date], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The month loaded in-process, one day after another, into its own lake: what every test's lake must equal."""
    return reference_lake(small_demo.env(Path("unused")), tmp_path_factory.mktemp("reference-lake"), month)

"""Which days a run processes: yesterday plus late-changed days for the nightly run, missing days for catch-up."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import polars as pl

from etl import io_parquet, schemas
from etl.dates import business_yesterday
from etl.pipelines.runs import catch_up_days, nightly_days
from etl.settings import load_settings
from etl.status import RunRecord, record_run
from odoorpc_connector import OdooClient
from tests.conftest import DemoOdoo


def succeeded_at(lake: Path, when: datetime) -> None:
    record_run(lake, RunRecord("pos_order_lines", "2000-01-01", True, 0, 0, 0, 0.0, [],
                               finished_at=when.isoformat(timespec="seconds")))


def test_first_nightly_run_processes_just_the_target(demo_odoo17: DemoOdoo, tmp_path: Path) -> None:
    settings = demo_odoo17.settings(tmp_path)
    client = OdooClient(settings.require_odoo()).connect()
    target = business_yesterday(settings.business_timezone)
    assert nightly_days("pos_order_lines", target, settings, client) == [target]


def test_nightly_run_adds_days_changed_since_the_last_success(demo_odoo17: DemoOdoo, tmp_path: Path) -> None:
    settings = demo_odoo17.settings(tmp_path, ETL_LATE_CHANGE_WINDOW_DAYS="3")
    client = OdooClient(settings.require_odoo()).connect()
    target = business_yesterday(settings.business_timezone)
    succeeded_at(tmp_path, datetime(2000, 1, 1, tzinfo=timezone.utc))  # everything changed since
    days = nightly_days("pos_order_lines", target, settings, client)
    assert days == [target - timedelta(days=n) for n in (3, 2, 1, 0)]
    succeeded_at(tmp_path, datetime.now(timezone.utc) + timedelta(hours=2))  # nothing changed since
    assert nightly_days("pos_order_lines", target, settings, client) == [target]


def test_catch_up_lists_missing_days_from_the_start_date(tmp_path: Path) -> None:
    settings = load_settings({"DATA_LAKE_ROOT": str(tmp_path), "ETL_START_DATE": "2026-01-01"})
    for day in (date(2026, 1, 1), date(2026, 1, 3)):
        io_parquet.write_parquet_atomic(schemas.empty_frame(schemas.FACT_SALES),
                                        io_parquet.partition_path(tmp_path, io_parquet.STAR, "fact_sales", day))
    assert catch_up_days("pos_order_lines", settings, today=date(2026, 1, 6)) == [
        date(2026, 1, 2), date(2026, 1, 4), date(2026, 1, 5)]
    assert pl.read_parquet(io_parquet.partition_path(tmp_path, io_parquet.STAR, "fact_sales", date(2026, 1, 1))
                           ).schema == schemas.FACT_SALES

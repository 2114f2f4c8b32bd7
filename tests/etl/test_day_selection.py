"""Which days a run processes: yesterday plus days Odoo changed since they were built, missing and failed days for
catch-up."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from etl.dates import business_yesterday
from etl.day_manifest import DayManifest, commit_day, read_manifest
from etl.pipelines.runs import catch_up_days, nightly_days, run_days
from etl.settings import load_settings
from etl.status import record_failure
from odoorpc_connector import OdooClient
from tests.conftest import DemoOdoo

DATASET = "pos_order_lines"


def publish_empty(lake: Path, day: date) -> None:
    commit_day(lake, DayManifest(DATASET, day.isoformat(), "v1", "2026-01-01T00:00:00+00:00", files={}))


def test_nightly_run_on_an_empty_lake_processes_just_the_target(demo_odoo17: DemoOdoo, tmp_path: Path) -> None:
    settings = demo_odoo17.settings(tmp_path)
    client = OdooClient(settings.require_odoo()).connect()
    target = business_yesterday(settings.business_timezone)
    assert nightly_days(DATASET, target, settings, client) == [target]


def test_a_day_is_redone_when_its_odoo_records_changed_after_it_was_built(demo_odoo17: DemoOdoo, tmp_path: Path) -> None:
    settings = demo_odoo17.settings(tmp_path, ETL_LATE_CHANGE_WINDOW_DAYS="3")
    client = OdooClient(settings.require_odoo()).connect()
    target = business_yesterday(settings.business_timezone)
    earlier = [target - timedelta(days=n) for n in (3, 2, 1)]
    run_days([DATASET], earlier, settings, client).raise_if_failed()
    assert nightly_days(DATASET, target, settings, client) == [target]
    stale = read_manifest(tmp_path, DATASET, earlier[1])
    commit_day(tmp_path, replace(stale, fingerprint={"pos.order": [0, None]}))
    # Another day succeeding in between changes nothing: detection is per day, not per dataset.
    run_days([DATASET], [earlier[0]], settings, client, refresh_first=False).raise_if_failed()
    assert nightly_days(DATASET, target, settings, client) == [earlier[1], target]


def test_catch_up_lists_missing_and_failed_days_from_the_start_date(tmp_path: Path) -> None:
    settings = load_settings({"DATA_LAKE_ROOT": str(tmp_path), "ETL_START_DATE": "2026-01-01"})
    for day in (date(2026, 1, 1), date(2026, 1, 3), date(2026, 1, 4)):
        publish_empty(tmp_path, day)
    record_failure(tmp_path, DATASET, "2026-01-04", "extract", "OdooError: boom")
    assert catch_up_days(DATASET, settings, today=date(2026, 1, 6)) == [
        date(2026, 1, 2), date(2026, 1, 4), date(2026, 1, 5)]

"""Run bookkeeping and freshness: what the operator is told about each dataset."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from etl.status import RunRecord, dataset_freshness, freshness_level, read_status, recent_runs, record_run


def run(day: str, ok: bool, at: str, error: str | None = None) -> RunRecord:
    return RunRecord("pos_order_lines", day, ok, rows_in=10, rows_out=9, quarantined=1, seconds=1.5, files=[],
                     error=error, finished_at=at)


@pytest.mark.parametrize(("days_late", "level"),
                         [(None, "never"), (0, "fresh"), (1, "fresh"), (2, "warning"), (3, "warning"), (4, "critical")])
def test_freshness_levels_follow_the_design(days_late: int | None, level: str) -> None:
    assert freshness_level(days_late) == level


def test_a_failure_shows_until_a_later_success(tmp_path: Path) -> None:
    record_run(tmp_path, run("2026-01-05", True, "2026-01-06T02:00:00+00:00"))
    record_run(tmp_path, run("2026-01-06", False, "2026-01-07T02:00:00+00:00", "OdooAccessError: denied"))
    entry = read_status(tmp_path)["datasets"]["pos_order_lines"]
    failing = dataset_freshness("pos_order_lines", entry, date(2026, 1, 7), [])
    assert (failing.last_processed_date, failing.days_late, failing.level) == (date(2026, 1, 5), 2, "warning")
    assert failing.last_error == "OdooAccessError: denied"
    assert failing.last_run is not None and (failing.last_run.rows_out, failing.last_run.quarantined) == (9, 1)
    record_run(tmp_path, run("2026-01-06", True, "2026-01-07T03:00:00+00:00"))
    entry = read_status(tmp_path)["datasets"]["pos_order_lines"]
    recovered = dataset_freshness("pos_order_lines", entry, date(2026, 1, 7), [])
    assert (recovered.last_processed_date, recovered.level, recovered.last_error) == (date(2026, 1, 6), "fresh", None)
    assert [r["ok"] for r in recent_runs(tmp_path)] == [True, False, True]


def test_rerunning_an_old_day_does_not_move_the_last_processed_date_back(tmp_path: Path) -> None:
    record_run(tmp_path, run("2026-01-06", True, "2026-01-07T02:00:00+00:00"))
    record_run(tmp_path, run("2026-01-01", True, "2026-01-07T03:00:00+00:00"))
    assert read_status(tmp_path)["datasets"]["pos_order_lines"]["last_processed_date"] == "2026-01-06"


def test_gaps_are_the_missing_days_between_loaded_ones() -> None:
    loaded = [date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 5)]
    freshness = dataset_freshness("pos_order_lines", {}, date(2026, 1, 6), loaded)
    assert freshness.gaps == [date(2026, 1, 3), date(2026, 1, 4)]
    assert freshness.level == "never"

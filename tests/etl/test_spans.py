"""Spans: consecutive days read together give exactly the days read one by one, for fewer calls."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from etl import io_parquet
from etl.catalog import CATALOG
from etl.day_manifest import read_manifest
from etl.extract.spans import MAX_SPAN_DAYS, SpanLayout, consecutive_runs, span_length, split_by_day
from etl.pipelines.day import run_span
from etl.pipelines.runs import plan_spans, run_days
from etl.published import read_published
from tests.conftest import DemoOdoo
from tests.support.demo_days import demo_days, fast_client

JAKARTA = ZoneInfo("Asia/Jakarta")
ODOO_DATASETS = [name for name, info in CATALOG.items() if info.reads_odoo]


def test_days_split_into_consecutive_runs() -> None:
    d = date(2026, 3, 1)
    days = [d + timedelta(days=n) for n in (5, 0, 1, 2, 2, 9, 6)]
    assert consecutive_runs(days) == [[d, d + timedelta(1), d + timedelta(2)],
                                      [d + timedelta(5), d + timedelta(6)], [d + timedelta(9)]]


@pytest.mark.parametrize(("records", "days", "target", "expected"), [
    (8_000 * 10, 10, 50_000, 6),  # a busy dataset: ~50k records a span
    (150 * 365, 365, 50_000, MAX_SPAN_DAYS),  # a quiet one: capped
    (0, 30, 50_000, MAX_SPAN_DAYS),  # nothing to read
    (900_000, 3, 50_000, 1),  # one day above the target still runs
])
def test_span_length_follows_the_records_per_day(records: int, days: int, target: int, expected: int) -> None:
    assert span_length(records, days, target) == expected


def test_records_go_to_their_business_day_and_strays_to_the_first() -> None:
    layout = SpanLayout("pos.order", "date_order", points_to_root={"pos.order.line": "order_id"},
                        root_points_to={"pos.session": "session_id"})
    days = [date(2026, 3, 1), date(2026, 3, 2)]
    records = {
        # 2026-03-01 17:30 UTC is 2026-03-02 00:30 in Jakarta; 2026-02-20 is outside the span
        "pos.order": [{"id": 1, "date_order": "2026-02-28 18:00:00", "session_id": [7, "S7"]},
                      {"id": 2, "date_order": "2026-03-01 17:30:00", "session_id": [7, "S7"]},
                      {"id": 3, "date_order": "2026-02-20 10:00:00", "session_id": False}],
        "pos.order.line": [{"id": 10, "order_id": [2, "O2"]}, {"id": 11, "order_id": [99, "gone"]}],
        "pos.session": [{"id": 7}, {"id": 8}],
    }
    split = split_by_day(records, layout, days, JAKARTA)
    first, second = split[days[0]], split[days[1]]
    assert [r["id"] for r in first["pos.order"]] == [1, 3] and [r["id"] for r in second["pos.order"]] == [2]
    assert [r["id"] for r in first["pos.order.line"]] == [11] and [r["id"] for r in second["pos.order.line"]] == [10]
    assert [r["id"] for r in first["pos.session"]] == [7, 8] and [r["id"] for r in second["pos.session"]] == [7]


def _published(lake: Path, dataset: str, day: date) -> dict[str, pl.DataFrame]:
    manifest = read_manifest(lake, dataset, day)
    assert manifest is not None, f"{dataset} {day} not published"
    tables = {}
    for key in manifest.files:
        layer, table = key.split("/", 1)
        if layer != io_parquet.RAW:  # raw rows of stock snapshots differ in shape (groups vs lines), not in sum
            tables[key] = read_published(lake, layer, table, day)
    return tables


@pytest.mark.parametrize("dataset", ODOO_DATASETS)
def test_a_span_publishes_what_single_days_publish(demo_odoo17: DemoOdoo, tmp_path: Path, dataset: str) -> None:
    single, spanned = tmp_path / "single", tmp_path / "spanned"
    settings = demo_odoo17.settings(single)
    client = fast_client(settings)
    days = demo_days(settings, 4)
    calls_before = client.stats.calls
    for day in days:
        assert run_days([dataset], [day], settings, client, refresh_first=False).failed == {}
    single_calls = client.stats.calls - calls_before
    span_settings = replace(settings, data_lake_root=str(spanned))
    assert plan_spans(dataset, days, span_settings, client) == [days]  # a few demo days fit one span
    calls_before = client.stats.calls
    results = run_span(dataset, days, span_settings, client)
    span_calls = client.stats.calls - calls_before
    assert [error for _, _, error in results] == [None] * len(days)
    for day in days:
        one, many = read_manifest(single, dataset, day), read_manifest(spanned, dataset, day)
        assert (one.rows, one.quarantined, one.fingerprint) == (many.rows, many.quarantined, many.fingerprint), day
        assert {k: v for k, v in one.metrics.items() if not k.startswith("move_groups")} == \
            {k: v for k, v in many.metrics.items() if not k.startswith("move_groups")}, day
        expected, actual = _published(single, dataset, day), _published(spanned, dataset, day)
        assert expected.keys() == actual.keys()
        for key, frame in expected.items():
            # sums of float quantities taken in another order (Odoo's groups vs single lines) may differ in the
            # last bits; every other table is identical
            assert_frame_equal(frame, actual[key], check_exact=False, rel_tol=1e-12, abs_tol=1e-9)
    assert span_calls < single_calls, (span_calls, single_calls)


def test_a_span_that_cannot_be_read_whole_loads_its_good_days(demo_odoo17: DemoOdoo, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from etl.datasets import DATASETS
    settings = demo_odoo17.settings(tmp_path)
    client = fast_client(settings)
    days = demo_days(settings, 3)
    spec = DATASETS["purchases"]
    bad = days[1]

    def failing_on_bad(source, span, tz):  # a read that fails whenever the span holds the bad day
        if bad in span:
            raise ValueError(f"unreadable record on {bad}")
        return spec.extract(source, span, tz)

    monkeypatch.setitem(DATASETS, "purchases", replace(spec, extract=failing_on_bad))
    results = {day: error for day, _, error in run_span("purchases", days, settings, client)}
    assert results[days[0]] is None and results[days[2]] is None
    assert isinstance(results[bad], ValueError)
    assert read_manifest(tmp_path, "purchases", bad) is None
    assert read_manifest(tmp_path, "purchases", days[0]) is not None

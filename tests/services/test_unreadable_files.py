"""One bad file harms one day: an unreadable fact file leaves its day out (reported, /health 503) while every other
day is served, and a re-run of the day repairs it; an unreadable dimension file is an empty view, pages still answer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from benchmarks.lake_generator import SMALL_LAKE, publish_day
from etl.day_manifest import read_manifest
from etl.io_parquet import STAR, dimension_path
from etl.pipelines import health as health_module
from etl.pipelines.health import DIMENSIONS, Unreadable, footer_problem
from services import sales_metrics
from services.duckdb_connector import Lake
from services.filters import filter_choices
from services.health import health_report
from services.sales_metrics import SalesFilters
from tests.services.conftest import published, republish, settings_for

BAD_DAY = date(2024, 2, 10)
WHOLE_LAKE = SalesFilters(SMALL_LAKE.start, SMALL_LAKE.end)
FACT_KEY = f"{STAR}/fact_sales"


@pytest.fixture(autouse=True)
def workers_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health_module, "worker_report", lambda _settings: {"ok": True, "workers": ["celery@test"]})


@pytest.fixture
def open_lake(root: Path) -> Iterator[Lake]:
    lake = Lake(root, cache_ttl_seconds=300)
    yield lake
    lake.close()


def _fact_file(root: Path, day: date) -> Path:
    manifest = read_manifest(root, "pos_order_lines", day)
    assert manifest is not None
    return manifest.path(root, FACT_KEY)


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _scramble_pages(path: Path) -> None:
    """Garbage over the data pages; the footer (at the end) still reads."""
    data = bytearray(path.read_bytes())
    data[4: len(data) // 2] = bytes((i * 37 + 11) % 256 for i in range(4, len(data) // 2))
    path.write_bytes(bytes(data))
    assert footer_problem(path) is None  # found only by reading the file whole


def _revenue_by_day(lake: Lake) -> pl.DataFrame:
    return sales_metrics.daily_trend(sales_metrics.sales_cube(lake, WHOLE_LAKE), WHOLE_LAKE).select("date", "revenue")


def _expected_revenue(root: Path, day: date) -> float:
    return published(root, "fact_sales", day)["revenue"].sum()


def _assert_only_bad_day_missing(lake: Lake, root: Path, good_days: list[date]) -> None:
    served = dict(_revenue_by_day(lake).iter_rows())
    assert served[BAD_DAY] == 0
    for day in good_days:
        assert served[day] == pytest.approx(_expected_revenue(root, day)), day
    assert BAD_DAY not in lake.loaded_days("fact_sales")


def _health(root: Path, lake: Lake) -> tuple[dict[str, Any], int]:
    return health_report(settings_for(root), today=SMALL_LAKE.end + timedelta(days=1), lake=lake)


@pytest.mark.parametrize("damage", [_truncate, _scramble_pages], ids=["truncated", "scrambled-pages"])
@pytest.mark.parametrize("when", ["before-first-build", "after-first-build"])
def test_an_unreadable_fact_file_leaves_only_its_day_out(root: Path, small_lake_root: Path, open_lake: Lake,
                                                         damage: Any, when: str) -> None:
    good_days = [BAD_DAY - timedelta(days=1), BAD_DAY + timedelta(days=1), SMALL_LAKE.start, SMALL_LAKE.end]
    if when == "after-first-build":
        _revenue_by_day(open_lake)
        republish(root, BAD_DAY)  # a re-run whose new file then turns out bad
    damage(_fact_file(root, BAD_DAY))
    open_lake.refresh()
    _assert_only_bad_day_missing(open_lake, root, good_days)
    [bad] = open_lake.unreadable()
    assert (bad.dataset, bad.day, bad.table) == ("pos_order_lines", BAD_DAY, FACT_KEY)
    assert bad.reason and str(root) not in bad.reason and "/" not in bad.reason.split(":", 1)[-1]
    assert open_lake.refresh_if_changed() is False  # known bad: not read again until the day changes

    body, status = _health(root, open_lake)
    assert status == 503 and body["status"] == "failing"
    entry = body["datasets"]["pos_order_lines"]
    assert entry["status"] == "unreadable"
    assert entry["unreadable"] == [{"day": BAD_DAY.isoformat(), "table": FACT_KEY, "reason": bad.reason}]

    publish_day(root, BAD_DAY, {"fact_sales": published(small_lake_root, "fact_sales", BAD_DAY),  # the re-run
                                "fact_payments": published(root, "fact_payments", BAD_DAY)})
    assert open_lake.refresh_if_changed() is True
    assert open_lake.unreadable() == []
    served = dict(_revenue_by_day(open_lake).iter_rows())
    assert served[BAD_DAY] == pytest.approx(_expected_revenue(root, BAD_DAY))
    assert _health(root, open_lake)[0]["datasets"]["pos_order_lines"]["status"] == "ok"


def test_health_alone_finds_a_truncated_newest_file(root: Path) -> None:
    _truncate(_fact_file(root, SMALL_LAKE.end))
    body, status = health_report(settings_for(root), today=SMALL_LAKE.end + timedelta(days=1))
    assert status == 503 and body["datasets"]["pos_order_lines"]["status"] == "unreadable"
    assert body["unreadable"][0]["table"] == FACT_KEY and body["unreadable"][0]["day"] == SMALL_LAKE.end.isoformat()


def test_an_unreadable_dimension_is_an_empty_view_and_pages_answer(root: Path, open_lake: Lake) -> None:
    before = sales_metrics.kpi_comparison(open_lake, WHOLE_LAKE)["revenue"].value
    stores = dimension_path(root, "dim_stores")
    stores.write_bytes(stores.read_bytes()[:50])  # replaced in place: no rename, so no folder mtime either
    assert open_lake.refresh_if_changed() is True
    [bad] = open_lake.unreadable()
    assert bad == Unreadable(DIMENSIONS, None, f"{STAR}/dim_stores", bad.reason) and "/tmp" not in bad.reason
    assert open_lake.scalar("SELECT count(*) FROM dim_stores") == 0
    page = sales_metrics.sales_page(open_lake, WHOLE_LAKE)
    assert page.kpis["revenue"].value == pytest.approx(before)
    assert set(page.stores["store"]) == {f"Store {i}" for i in range(1, 6)}
    assert filter_choices(open_lake).stores == []
    body, status = _health(root, open_lake)
    assert status == 503 and body["unreadable"][0]["dataset"] == DIMENSIONS

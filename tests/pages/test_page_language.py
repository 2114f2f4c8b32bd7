"""The Overview's and the Operational page's own words in the page language: the shared health table (statuses,
freshness, last run, problems, workers, dataset titles, days), the Overview's data alert, the operator's refusals and
the browser tab titles. In Bahasa Indonesia no English word or ISO date of those remains."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from dash.development.base_component import Component

from etl.catalog import CATALOG
from etl.settings import reset_settings_cache
from pages.components import health_table
from services.i18n import t
from services.refresh_actions import (ActionFailed, ActionProblem, RefreshRequest, queue_refresh, refresh_request,
                                      start_sync_refresh)
from tests.services.conftest import settings_for

ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
ENGLISH = ("rows", "quarantined", "none", "more", "stale", "failing", "unreadable", "fresh", "critical", "run",
           "Celery workers answering", "No Celery worker", "Unreadable dimension files", "POS sales", "days, newest")
NOW = datetime(2024, 3, 1, 12, 0, tzinfo=timezone.utc)  # business day 2024-03-01 in Asia/Jakarta


def _texts(node: Any) -> list[str]:
    """Every text a rendered component tree shows: its children strings and alert titles."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, (list, tuple)):
        return [text for child in node for text in _texts(child)]
    if isinstance(node, Component):
        title = getattr(node, "title", None)
        return ([title] if isinstance(title, str) else []) + _texts(getattr(node, "children", None))
    return []


def _badges(node: Any) -> dict[str, dict[str, Any]]:
    """The rendered badges by id: their text and the code they keep."""
    if isinstance(node, (list, tuple)):
        return {key: value for child in node for key, value in _badges(child).items()}
    if not isinstance(node, Component):
        return {}
    found = _badges(getattr(node, "children", None))
    if type(node).__name__ == "Badge" and getattr(node, "id", None):
        props = node.to_plotly_json()["props"]
        found[node.id] = {"text": node.children, **{k: v for k, v in props.items() if k.startswith("data-")}}
    return found


def _report() -> dict[str, Any]:
    """A health report (etl.pipelines.health's shape) with every kind of problem the table shows."""
    failed = [{"day": f"2024-02-{day:02d}", "step": "extract" if day % 2 else None, "error": "ValueError: x"}
              for day in range(1, 9)]
    return {
        "status": "failing", "workers": {"ok": False, "workers": []},
        "unreadable": [{"day": None, "table": "star-schema/dim_products", "reason": "ArrowInvalid"}],
        "datasets": {
            "pos_order_lines": {
                "title": "POS sales", "status": "failing", "level": "critical", "last_processed_date": "2024-02-20",
                "last_run": {"day": "2024-02-20", "finished_at": "2024-02-21T02:00:00+00:00", "rows_out": 12345,
                             "quarantined": 2, "seconds": 3.25},
                "failed_days": failed, "missing_days": [f"2024-01-{day:02d}" for day in range(1, 16)],
                "unreadable": [{"day": "2024-02-19", "table": "star-schema/fact_sales", "reason": "ArrowInvalid"}],
            },
            "purchases": {
                "title": "Purchases", "status": "stale", "level": "fresh", "last_processed_date": None,
                "last_run": None, "failed_days": [], "missing_days": [], "unreadable": [],
            },
        },
    }


def test_the_health_table_in_indonesian_has_no_english_words_nor_iso_days() -> None:
    table = health_table("t", _report(), "id")
    text = " · ".join(_texts(table))
    for word in ("gagal", "kritis", "segar", "terlambat", "tak terbaca", "12.345 baris", "2 dikarantina", "3,3 dtk",
                 "tidak ada", "+3 lainnya", "15 hari, terbaru:", "(proses)", "Tidak ada worker Celery yang menjawab",
                 "Berkas dimensi tak terbaca", "Penjualan kasir (POS)", "Pembelian", "20 Feb 2024", "15 Jan 2024"):
        assert word in text, word
    for word in ENGLISH:
        assert not re.search(rf"\b{word}\b", text), word
    assert not ISO_DAY.search(text)
    badges = _badges(table)
    assert badges["t-freshness-pos_order_lines-status"] == {"text": "gagal", "data-status": "failing"}
    assert badges["t-freshness-purchases-level"] == {"text": "segar", "data-level": "fresh"}
    assert badges["t-health-status"]["text"] == "gagal"


def test_the_health_table_in_english_says_the_same() -> None:
    text = " · ".join(_texts(health_table("t", _report(), "en")))
    for words in ("20 Feb 2024: 12,345 rows, 2 quarantined, 3.3 s", "stale", "fresh", "critical", "+3 more", "none",
                  "No Celery worker answers", "Unreadable dimension files", "POS sales", "8 Feb 2024 (run)"):
        assert words in text, words


def test_every_dataset_has_its_title_in_both_languages() -> None:
    for name, info in CATALOG.items():
        assert t(f"dataset-{name}", "en") == info.title
        assert t(f"dataset-{name}", "id") != info.title, name


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("DATA_LAKE_ROOT", str(tmp_path))
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    reset_settings_cache()
    import app

    yield app
    reset_settings_cache()


def _problems(tmp_path: Path) -> Iterator[ActionProblem]:
    """Every reason the actions give for doing nothing."""
    settings = settings_for(tmp_path)
    for dataset, start, end, single in [
        ("fact_sales", "2024-02-20", None, False), ("pos_order_lines", None, None, False),
        ("pos_order_lines", "20/02/2024", None, False), ("pos_order_lines", "2024-02-20", "soon", False),
        ("pos_order_lines", "2024-02-20", "2024-02-10", False), ("pos_order_lines", "2024-01-01", "2024-02-29", False),
        ("pos_order_lines", "2024-02-28", "2024-03-02", False), ("pos_order_lines", "2024-02-20", "2024-02-21", True),
    ]:
        with pytest.raises(ActionProblem) as refused:
            refresh_request(dataset, start, end, settings, single_day=single, now=NOW)
        yield refused.value
    with pytest.raises(ActionProblem) as failed:
        queue_refresh(RefreshRequest("pos_order_lines", (date(2024, 1, 1),)),
                      settings_for(tmp_path, REDIS_URL="redis://127.0.0.1:1/0"))
    yield failed.value
    with pytest.raises(ActionProblem) as failed:
        start_sync_refresh(RefreshRequest("pos_order_lines", (date(2024, 1, 1),)), settings)
    yield failed.value
    yield ActionFailed("Nothing was queued: OperationalError: boom", "not-queued", detail="OperationalError: boom")


def test_every_refusal_is_worded_in_both_languages(app_env: Any, tmp_path: Path) -> None:
    from pages.operational import problem_text

    problems = list(_problems(tmp_path))
    assert len({problem.reason for problem in problems}) == len(problems)
    for problem in problems:
        english, indonesian = problem_text(problem, "en"), problem_text(problem, "id")
        assert english != indonesian and not ISO_DAY.search(english + indonesian), problem.reason
    too_many = next(problem for problem in problems if problem.reason == "too-many-days")
    assert problem_text(too_many, "id") == "1 Jan 2024 s.d. 29 Feb 2024 adalah 60 hari: paling banyak 31 hari sekaligus."
    assert "at most 31 days" in problem_text(too_many, "en") and "at most 31 days" in str(too_many)


def test_the_overview_data_alert_says_its_days_in_the_page_language(app_env: Any,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from pages import home

    monkeypatch.setattr(home, "health_report", lambda *_args, **_kwargs: (_report(), 503))
    with app_env.server.test_request_context("/", headers={"Cookie": "nkdash_lang=id"}):
        (alert,) = home.update_alerts({})
    lines = [text for text in _texts(alert) if "Penjualan kasir (POS)" in text]
    assert lines == ["Penjualan kasir (POS): gagal, hari terakhir 20 Feb 2024, gagal 6 Feb 2024, 7 Feb 2024, "
                     "8 Feb 2024, 15 hari hilang"]
    assert "Pembelian: terlambat, hari terakhir —" in _texts(alert)


@pytest.mark.parametrize(("lang", "operations", "profit"), [("id", "NKDash · Operasional", "NKDash · Laba"),
                                                             ("en", "NKDash · Operations", "NKDash · Profit")])
def test_tab_titles_follow_the_language(app_env: Any, lang: str, operations: str, profit: str) -> None:
    import dash

    pages = {page["module"]: page for page in dash.page_registry.values()}
    with app_env.server.test_request_context("/", headers={"Cookie": f"nkdash_lang={lang}"}):
        assert pages["pages.operational"]["title"]() == operations
        assert pages["pages.profit"]["title"]() == profit
    client = app_env.server.test_client()
    client.set_cookie("nkdash_lang", lang)
    assert f'content="{operations}"' in client.get("/operational").get_data(as_text=True)  # og:title

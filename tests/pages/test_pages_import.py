"""Smoke: `app` imports with its pages registered and `/health` wired, and page layouts render on an empty lake."""

from __future__ import annotations

from pathlib import Path

import pytest

from etl.settings import reset_settings_cache


@pytest.fixture
def empty_lake_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DATA_LAKE_ROOT", str(tmp_path))
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/13")
    reset_settings_cache()
    return tmp_path


def test_app_registers_pages_and_health(empty_lake_env: Path) -> None:
    import dash

    import app

    paths = {page["path"] for page in dash.page_registry.values()}
    assert {"/", "/sales"} <= paths
    response = app.server.test_client().get("/health")
    assert response.status_code == 200 and response.get_json()["lake"]["ok"] is True


def test_layouts_render_on_an_empty_lake(empty_lake_env: Path) -> None:
    import app  # noqa: F401  (registers the pages)
    from pages import home, sales

    assert "sales-date-range" in str(sales.layout())
    assert "home-freshness-table" in str(home.layout(period="nonsense", store="x"))
    coverage, _cards, _trend = home.update_sales({}, None)
    assert "No data loaded" in str(coverage) or "Tidak ada data" in str(coverage)
    assert sales.update_period({}, "dark") is not None and sales.update_orders({}, None) is not None

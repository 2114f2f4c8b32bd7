"""Smoke: `app` imports with its pages registered and `/health` wired, and page layouts render on an empty lake, every
chart and table with its "what this means" help."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dash.development.base_component import Component

from etl.settings import reset_settings_cache
from services import kpi_help


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


def _ids(node: Any) -> list[str]:
    """Every string id in a rendered component tree."""
    if isinstance(node, (list, tuple)):
        return [found for child in node for found in _ids(child)]
    if not isinstance(node, Component):
        return []
    own = [node.id] if isinstance(getattr(node, "id", None), str) else []
    return own + _ids(getattr(node, "children", None))


def test_every_chart_and_table_says_what_it_means(empty_lake_env: Path) -> None:
    """Each exported chart or table card (all of them) has a row in docs/KPIS.md's help table, in both languages."""
    import app
    from pages import customers, home, inventory, profit, sales

    cards = []
    for page in (home, sales, inventory, customers, profit):
        with app.server.test_request_context("/", headers={"Cookie": "nkdash_lang=en"}):
            layout = page.layout()
        shown = [found.removesuffix("-export") for found in _ids(layout) if found.endswith("-export")]
        assert str(layout).count("kpi-help") == len(shown), page.__name__  # the icon beside each title
        cards += shown
    assert {"home-health", "inventory-abc", "inventory-low-stock", "profit-uncosted", "sales-cashiers"} <= set(cards)
    for card in cards:
        assert kpi_help.help_text(card, "en") and kpi_help.help_text(card, "id"), card

"""The Inventory and Customers pages on an empty lake: layouts render and every callback answers with "no data" (no
stock snapshot, no sales), never an error."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import plotly

from tests.pages.test_pages_import import empty_lake_env

__all__ = ["empty_lake_env"]


def kpi_values(component: Any) -> list[str]:
    """The exact values (`data-value`) of the KPI cards in a component tree."""
    return re.findall(r'"data-value": "([^"]*)"', json.dumps(component, cls=plotly.utils.PlotlyJSONEncoder))


def test_inventory_and_customers_answer_on_an_empty_lake(empty_lake_env: Path) -> None:
    import app
    from pages import customers, inventory
    from pages.components import current_language
    from services.i18n import t

    assert "inventory-kpis" in str(inventory.layout()) and "customers-kpis" in str(customers.layout())
    state = {"from": "2024-02-01", "to": "2024-02-29"}
    with app.server.test_request_context("/"):
        coverage, notes, kpis, *rest = inventory.update_page(state, "light")
        figures, tables = rest[:len(inventory.CHARTS)], rest[len(inventory.CHARTS):]
        lang = current_language()
        assert [note.children for note in coverage] == [
            t("inventory-moves-coverage", lang, note=t("coverage-empty", lang))]  # no stock move loaded
        assert [note.children for note in notes] == [t("inventory-no-snapshot", lang)]
        assert kpi_values(kpis) == ["None"] * 8  # every card "—", sell-through too (nothing received)
        assert all(not figure.data for figure in figures)
        assert len(tables) == len(inventory.TABLES)
        _coverage, cards, *figures, _table = customers.update_page(state, "dark")
        assert kpi_values(cards) == ["None"] * 8
        assert len(figures) == len(customers.CHARTS) and all(not figure.data for figure in figures)

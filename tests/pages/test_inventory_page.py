"""The Inventory page's callbacks over the stock test lake with Odoo's `All` category root: category labels without
the root in the bars and the export, on-hand bars labelled with value and quantity, and a note and gaps for the days
of the period whose stock moves are not loaded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from etl.settings import reset_settings_cache
from services.filters import Selection
from tests.services.conftest import small_lake_root
from tests.services.stock_lake import END, stock_lake_root, with_all_root

__all__ = ["small_lake_root", "stock_lake_root"]

STATE = {"from": "2024-02-01", "to": "2024-03-10"}  # 29 days of moves loaded, 1–10 March not
ENGLISH = {"headers": {"Cookie": "nkdash_lang=en"}}


@pytest.fixture
def all_root_env(stock_lake_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = with_all_root(stock_lake_root, tmp_path / "lake")
    monkeypatch.setenv("DATA_LAKE_ROOT", str(root))
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/13")
    reset_settings_cache()
    yield root
    reset_settings_cache()


def test_the_inventory_page_labels_categories_without_the_root_and_notes_missing_days(all_root_env: Path) -> None:
    import app
    from pages import inventory

    with app.server.test_request_context("/", **ENGLISH):
        coverage, _notes, _kpis, _location, category, brand, _abc, movements, *_tables = inventory.update_page(
            STATE, "light")
    assert [note.children for note in coverage] == [
        "Stock moves, which movements and sell-through count: 29 of 39 days loaded"]
    names = [row[0] for row in category.data[0].customdata]
    assert "Baby / Basic" in names and not any(name.startswith("All") for name in names)
    assert all(text.startswith("Rp ") and text.endswith(" units") for text in category.data[0].text)
    assert brand.data[0].customdata[-1][2].endswith(" units")
    assert all(trace.y[-1] is None for trace in movements.data)  # 10 March: a gap
    export = inventory._export("by-category")(Selection("custom", date(2024, 2, 1), END))
    assert "Food / Basic" in export["label"].to_list()
    assert not export["label"].drop_nulls().str.starts_with("All").any()

"""The filter bar's state: presets, URL query both ways, invalid values dropped, choices that narrow each other."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from services import filters
from services.duckdb_connector import Lake
from services.filters import FilterChoices, Selection, parse_query, preset_range

TODAY = date(2024, 3, 15)  # a Friday
CHOICES = FilterChoices(stores=[(1, "Toko Pusat"), (2, "Cabang Bandung")], categories=[(101, "Food / Basic")],
                        brands=[(3, "Brand 3")])


@pytest.mark.parametrize(
    ("preset", "start", "end"),
    [
        ("today", date(2024, 3, 15), date(2024, 3, 15)),
        ("yesterday", date(2024, 3, 14), date(2024, 3, 14)),
        ("last_7", date(2024, 3, 8), date(2024, 3, 14)),
        ("last_30", date(2024, 2, 14), date(2024, 3, 14)),
        ("last_90", date(2023, 12, 16), date(2024, 3, 14)),
        ("this_month", date(2024, 3, 1), date(2024, 3, 15)),
        ("last_month", date(2024, 2, 1), date(2024, 2, 29)),
        ("year_to_date", date(2024, 1, 1), date(2024, 3, 15)),
    ],
)
def test_presets_count_back_from_the_business_today(preset: str, start: date, end: date) -> None:
    assert preset_range(preset, TODAY) == (start, end)
    assert filters.matching_preset(start, end, TODAY) == preset


def test_last_month_in_january_is_last_december() -> None:
    assert preset_range("last_month", date(2024, 1, 10)) == (date(2023, 12, 1), date(2023, 12, 31))


def test_a_selection_round_trips_through_the_url() -> None:
    selection = Selection("custom", date(2024, 2, 1), date(2024, 2, 20), (1, 2), (101,), (3,), "pos")
    assert selection.to_search() == "?from=2024-02-01&to=2024-02-20&store=1,2&category=101&brand=3&channel=pos"
    assert parse_query(selection.to_query(), TODAY, CHOICES) == selection


def test_defaults_leave_the_url_clean_and_a_preset_is_named() -> None:
    assert parse_query({}, TODAY).to_search() == ""
    assert parse_query({"period": "last_7"}, TODAY).to_query() == {"period": "last_7"}
    # a custom range that equals a preset today is that preset
    assert parse_query({"from": "2024-03-08", "to": "2024-03-14"}, TODAY).preset == "last_7"


@pytest.mark.parametrize(
    "query",
    [
        {"period": "fortnight"},
        {"from": "2024-02-30", "to": "2024-03-01"},
        {"from": "2024-03-10", "to": "2024-03-01"},  # reversed
        {"from": "1900-01-01", "to": "2024-03-01"},
        {"from": "2010-01-01", "to": "2024-03-01"},  # longer than a chart may show
        {"from": "2024-03-01"},
        {"from": ["2024-03-01", "nonsense"], "to": "x"},
        {"channel": "telepathy", "store": "1) OR 1=1", "category": "abc", "brand": ""},
        {"store": "999", "category": "-5", "brand": "3.5"},
    ],
)
def test_invalid_values_fall_back_to_defaults(query: dict) -> None:
    selection = parse_query(query, TODAY, CHOICES)
    assert (selection.preset, selection.start, selection.end) == ("last_30", *preset_range("last_30", TODAY))
    assert selection.store_ids == selection.category_ids == selection.brand_ids == () and selection.channel is None


def test_ids_are_numbers_known_to_the_dimensions_sorted_once() -> None:
    selection = parse_query({"store": "2,x,1,2,7", "brand": ["3", "4"]}, TODAY, CHOICES)
    assert selection.store_ids == (1, 2) and selection.brand_ids == (3,)
    assert filters.parse_ids(",".join(str(i) for i in range(100))) == tuple(range(filters.MAX_IDS))


def test_category_labels_drop_a_common_root() -> None:
    root = filters.common_root(["All", "All / Saleable", "All / Saleable / Food"])
    assert root == "All"
    assert filters.category_label("All / Saleable / Food", root) == "Saleable / Food"
    assert filters.category_label("All", root) == "All"
    assert filters.common_root(["Food", "Food / Basic", "Drinks"]) is None


def test_choices_come_from_the_dimensions_and_narrow_each_other(lake: Lake) -> None:
    choices = filters.filter_choices(lake)
    assert len(choices.stores) == 5 and (101, "Food / Basic") in choices.categories
    products = lake.query("SELECT product_id, category_id, brand_id FROM dim_products")
    food = products.filter(pl.col("category_id").is_between(101, 104))
    narrowed = filters.narrowed(choices, lake, (100,), ())
    assert {key for key, _ in narrowed.brands} == set(food["brand_id"].drop_nulls())
    brand_categories = set(products.filter(pl.col("brand_id") == 1)["category_id"])
    by_brand = filters.narrowed(choices, lake, (), (1,))
    assert {key for key, _ in by_brand.categories} == brand_categories | {key // 100 * 100 for key in brand_categories}


def test_loaded_bounds_span_the_loaded_days(lake: Lake) -> None:
    assert filters.loaded_bounds(lake, ["fact_sales"]) == (date(2024, 1, 1), date(2024, 2, 29))
    assert filters.loaded_bounds(lake, ["fact_invoice_sales"]) is None

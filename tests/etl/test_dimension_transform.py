"""Dimension transforms: one product-type vocabulary across Odoo versions, upserts, and category paths."""

from __future__ import annotations

from datetime import datetime, timezone

import polars as pl
import pytest

from etl.raw_records import records_frame
from etl.transform.dimensions import (
    DIMENSION_SPECS, category_paths, dimension_rows, merge_dimension, products_with_names,
)

PRODUCTS = DIMENSION_SPECS["dim_products"]


def product_raw(type_fields: dict[str, str], values: dict) -> pl.DataFrame:
    types = {"name": "char", "categ_id": "many2one", "brand_id": "many2one", "active": "boolean",
             "write_date": "datetime", "lst_price": "float", **type_fields}
    record = {"id": 5, "name": "Kopi", "categ_id": [3, "All / Drinks"], "brand_id": [8, "Kapal Api"],
              "active": True, "write_date": "2026-11-20 10:00:00", "lst_price": 12500.0, **values}
    return records_frame("product.product", [record], types)


@pytest.mark.parametrize(
    ("type_fields", "values", "expected"),
    [
        ({"detailed_type": "selection", "type": "selection"}, {"detailed_type": "product", "type": "product"}, "product"),
        ({"type": "selection", "is_storable": "boolean"}, {"type": "consu", "is_storable": True}, "product"),
        ({"type": "selection", "is_storable": "boolean"}, {"type": "consu", "is_storable": False}, "consu"),
        ({"type": "selection", "is_storable": "boolean"}, {"type": "combo", "is_storable": False}, "combo"),
    ],
    ids=["odoo16-17", "odoo18-storable", "odoo18-consumable", "odoo18-combo"],
)
def test_product_type_is_read_from_whichever_fields_the_server_has(type_fields, values, expected) -> None:
    row = dimension_rows(PRODUCTS, product_raw(type_fields, values)).row(0, named=True)
    assert row["product_type"] == expected
    assert (row["product_id"], row["category_id"], row["brand_id"], row["brand_name"]) == (5, 3, 8, "Kapal Api")
    assert row["list_price"] == 12500.0
    assert row["write_date"] == datetime(2026, 11, 20, 10, tzinfo=timezone.utc)


def test_merge_upserts_changed_rows_by_key() -> None:
    old = pl.DataFrame({"product_id": [1, 2, 3], "name": ["a", "b", "c"]})
    changed = pl.DataFrame({"product_id": [2, 4], "name": ["B", "d"]})
    merged = merge_dimension(old, changed, "product_id")
    assert merged.rows() == [(1, "a"), (2, "B"), (3, "c"), (4, "d")]


def test_category_paths_follow_the_parent_chain() -> None:
    categories = pl.DataFrame({"category_id": [1, 2, 3], "name": ["All", "Food", "Snacks"], "parent_id": [None, 1, 2]},
                              schema_overrides={"parent_id": pl.Int64})
    paths = category_paths(categories)
    assert paths["complete_name"].to_list() == ["All", "All / Food", "All / Food / Snacks"]
    products = pl.DataFrame({"product_id": [7], "category_id": [3], "category_name": [None]},
                            schema_overrides={"category_name": pl.String})
    assert products_with_names(products, paths)["category_name"].to_list() == ["All / Food / Snacks"]

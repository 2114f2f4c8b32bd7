"""refresh_dimensions_incremental against a demo Odoo: first a full read, then only what changed since."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from etl import io_parquet
from etl.pipelines.dimensions import refresh_dimensions
from odoorpc_connector import OdooClient
from tests.conftest import DemoOdoo


def dim(lake: Path, name: str) -> pl.DataFrame:
    return pl.read_parquet(io_parquet.dimension_path(lake, name))


def test_first_refresh_reads_all_then_only_changes(demo_odoo: DemoOdoo, tmp_path: Path) -> None:
    settings = demo_odoo.settings(tmp_path)
    client = OdooClient(settings.require_odoo(), backoff_seconds=0.01).connect()
    first = refresh_dimensions(client, settings)
    products = dim(tmp_path, "dim_products")
    assert first["dim_products"]["rows_out"] == products.height == client.call(
        "product.product", "search_count", [[]], {"context": {"active_test": False}})
    assert not products["active"].all(), "archived products are kept, flagged inactive"
    assert products["brand_name"].drop_nulls().len() > 0
    assert products["category_name"].str.contains(" / ").any()
    assert set(products["product_type"].drop_nulls().unique()) <= {"consu", "service", "product", "combo"}
    assert dim(tmp_path, "dim_cashiers").height > 0 and dim(tmp_path, "dim_stores").height > 0
    second = refresh_dimensions(client, settings)
    assert second["dim_products"]["rows_in"] < first["dim_products"]["rows_in"]
    assert dim(tmp_path, "dim_products").equals(products)


def test_brand_can_be_switched_off(demo_odoo17: DemoOdoo, tmp_path: Path) -> None:
    settings = demo_odoo17.settings(tmp_path, ODOO_BRAND_FIELD="none")
    client = OdooClient(settings.require_odoo(), backoff_seconds=0.01).connect()
    summary = refresh_dimensions(client, settings, targets=["brands", "products"])
    assert "skipped" in summary["dim_brands"]
    assert dim(tmp_path, "dim_products")["brand_id"].null_count() == dim(tmp_path, "dim_products").height


def test_two_refreshes_take_turns(demo_odoo17: DemoOdoo, tmp_path: Path) -> None:
    from etl.locks import DayLocked, day_lock
    from etl.pipelines.dimensions import DIMENSIONS_LOCK

    settings = demo_odoo17.settings(tmp_path)
    client = OdooClient(settings.require_odoo(), backoff_seconds=0.01).connect()
    with day_lock(DIMENSIONS_LOCK, "all", redis_url=settings.redis_url, lake_root=settings.data_lake_root):
        with pytest.raises(DayLocked):
            refresh_dimensions(client, settings)
    assert refresh_dimensions(client, settings, targets=["stores"])["dim_stores"]["rows_out"] > 0

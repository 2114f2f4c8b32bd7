"""Fixtures for the services tests: a small generated lake (built once), its lines as polars, and a fresh Lake."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from benchmarks.lake_generator import SMALL_LAKE, write_lake
from etl.io_parquet import STAR
from services.duckdb_connector import Lake


@pytest.fixture(scope="session")
def small_lake_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("small-lake")
    write_lake(root, SMALL_LAKE)
    return root


@pytest.fixture(scope="session")
def sales_lines(small_lake_root: Path) -> pl.DataFrame:
    """Every fact_sales line of the small lake joined with its product's category and brand."""
    lines = pl.read_parquet(small_lake_root / STAR / "fact_sales" / "**" / "*.parquet", hive_partitioning=False)
    products = pl.read_parquet(small_lake_root / STAR / "dim_products.parquet")
    return lines.join(products.select("product_id", "category_id", "brand_id"), on="product_id", how="left")


@pytest.fixture
def lake(small_lake_root: Path) -> Iterator[Lake]:
    lake = Lake(small_lake_root, cache_ttl_seconds=0)
    yield lake
    lake.close()

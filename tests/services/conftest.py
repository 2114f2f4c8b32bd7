"""Fixtures for the services tests: a small generated lake (built once), its lines as polars, a fresh Lake, and
helpers that change a lake the way the ETL does (a day re-published under a new version by its manifest)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from benchmarks.lake_generator import SMALL_LAKE, publish_day, write_lake
from etl.day_manifest import DayManifest, day_manifests, read_manifest
from etl.io_parquet import STAR
from etl.settings import Settings, load_settings
from services.duckdb_connector import Lake

POS_FACTS = ("fact_sales", "fact_payments")
REDIS_UP = "redis://127.0.0.1:6379/13"


def published(root: Path, fact: str, day: date) -> pl.DataFrame:
    """The rows of `fact` the manifest of `day` publishes."""
    manifest = read_manifest(root, "pos_order_lines", day)
    assert manifest is not None, f"{day} is not published"
    return pl.read_parquet(manifest.path(root, f"{STAR}/{fact}"))


def republish(root: Path, day: date, change: Callable[[str, pl.DataFrame], pl.DataFrame] = lambda _, f: f,
              version: str | None = None) -> DayManifest:
    """Re-run `day` as the ETL does: every fact of the dataset written under a new version, then the manifest."""
    return publish_day(root, day, {fact: change(fact, published(root, fact, day)) for fact in POS_FACTS},
                       version=version)


def settings_for(root: Path, **env: str) -> Settings:
    return load_settings({"DATA_LAKE_ROOT": str(root), "REDIS_URL": REDIS_UP, **env})


@pytest.fixture(scope="session")
def small_lake_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("small-lake")
    write_lake(root, SMALL_LAKE)
    return root


@pytest.fixture(scope="session")
def sales_lines(small_lake_root: Path) -> pl.DataFrame:
    """Every published fact_sales line of the small lake joined with its product's category and brand."""
    manifests = day_manifests(small_lake_root, "pos_order_lines").values()
    lines = pl.concat([pl.read_parquet(manifest.path(small_lake_root, f"{STAR}/fact_sales")) for manifest in manifests])
    products = pl.read_parquet(small_lake_root / STAR / "dim_products.parquet")
    return lines.join(products.select("product_id", "category_id", "brand_id"), on="product_id", how="left")


@pytest.fixture
def lake(small_lake_root: Path) -> Iterator[Lake]:
    lake = Lake(small_lake_root, cache_ttl_seconds=0)
    yield lake
    lake.close()


@pytest.fixture
def root(small_lake_root: Path, tmp_path: Path) -> Path:
    """A private copy of the small lake that a test may change."""
    copy = tmp_path / "lake"
    shutil.copytree(small_lake_root, copy)
    return copy

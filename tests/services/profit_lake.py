"""A test lake with profit facts: the small generated POS lake plus a few invoice lines a day, and the profit dataset
of each day published by its manifest (files written with etl.io_parquet.write_parquet_atomic, then committed with
etl.day_manifest), the way the ETL publishes it.

Costs follow a simple rule of its own (the ETL's cost rule is tested in tests/etl): a product whose id ends in 0 has
no cost, ids divisible by 3 a purchase cost of 60 % of the list price, ids divisible by 17 sell at a loss (cost twice
the list price), the rest their standard price. One day (GAP) has no profit day; the last day is `partial`.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from benchmarks.lake_generator import SMALL_LAKE
from etl import schemas
from etl.day_manifest import DayManifest, commit_day, day_manifests, new_version, table_key, version_file
from etl.io_parquet import STAR, dimension_path, write_parquet_atomic
from services.duckdb_connector import Lake

GAP = date(2024, 2, 10)
PARTIAL = SMALL_LAKE.end
FACTS = ("fact_sales_lines_profit", "agg_profit_daily", "agg_profit_daily_by_product")


def _costs(products: pl.DataFrame) -> pl.DataFrame:
    product = pl.col("product_id")
    source = (pl.when(product % 10 == 0).then(pl.lit("missing")).when(product % 3 == 0).then(pl.lit("purchase"))
              .otherwise(pl.lit("standard_price")))
    cost = (pl.when(product % 10 == 0).then(None).when(product % 17 == 0).then(pl.col("list_price") * 2)
            .when(product % 3 == 0).then(pl.col("list_price") * 0.6).otherwise(pl.col("standard_price")))
    return products.select("product_id", cost_source=source, unit_cost=cost)


def _invoice_lines(day: date, index: int, rng: np.random.Generator) -> pl.DataFrame:
    """Two invoice lines (no store); every fourth day the second is a credit note."""
    quantity = [float(q) for q in rng.integers(1, 5, 2)]
    if index % 4 == 0:
        quantity[1] = -quantity[1]
    price = [float(p) * 1000 for p in rng.integers(5, 60, 2)]
    frame = pl.DataFrame({"line_id": [900_000 + index * 2, 900_001 + index * 2], "quantity": quantity,
                          "product_id": [int(p) for p in rng.integers(1, 201, 2)],
                          "revenue": [q * p for q, p in zip(quantity, price)]})
    return frame.with_columns(date=pl.lit(day), channel=pl.lit("invoice"), order_id=pl.col("line_id") // 2,
                              customer_id=pl.lit(None, pl.Int64), store_id=pl.lit(None, pl.Int64),
                              revenue_excl_tax=(pl.col("revenue") / 1.11).round(2))


def profit_lines(pos: pl.DataFrame, invoices: pl.DataFrame, costs: pl.DataFrame) -> pl.DataFrame:
    lines = pl.concat([pos.select(invoices.columns),
                       invoices], how="vertical_relaxed")
    lines = lines.join(costs, on="product_id", how="left").with_columns(cogs=pl.col("unit_cost") * pl.col("quantity"))
    return schemas.conform(lines.with_columns(gross_profit=pl.col("revenue_excl_tax") - pl.col("cogs")),
                           schemas.FACT_SALES_LINES_PROFIT)


def _known_sum(name: str) -> pl.Expr:
    return pl.when(pl.col(name).is_not_null().any()).then(pl.col(name).sum()).alias(name)


def aggregates(lines: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """agg_profit_daily and agg_profit_daily_by_product of one day's lines."""
    costed = pl.col("revenue_excl_tax").filter(pl.col("cogs").is_not_null()).sum()
    daily = lines.group_by("date", "channel").agg(
        pl.col("revenue_excl_tax").sum(), _known_sum("cogs"), _known_sum("gross_profit"), costed=costed)
    daily = daily.with_columns(
        margin_pct=pl.when(pl.col("costed") != 0).then(pl.col("gross_profit") / pl.col("costed") * 100),
        cost_coverage_pct=pl.when(pl.col("revenue_excl_tax") != 0).then(
            pl.col("costed") / pl.col("revenue_excl_tax") * 100))
    by_product = lines.group_by("date", "channel", "product_id").agg(
        pl.col("quantity", "revenue_excl_tax").sum(), _known_sum("cogs"), _known_sum("gross_profit"))
    return schemas.conform(daily, schemas.AGG_PROFIT_DAILY), schemas.conform(by_product,
                                                                              schemas.AGG_PROFIT_DAILY_BY_PRODUCT)


def publish_profit_day(root: Path, day: date, lines: pl.DataFrame, partial: bool = False) -> DayManifest:
    daily, by_product = aggregates(lines)
    frames = dict(zip(FACTS, (lines, daily, by_product)))
    version = new_version()
    files = {table_key(STAR, fact): version_file(root, STAR, fact, day, version).relative_to(root).as_posix()
             for fact in frames}
    for fact, frame in frames.items():
        write_parquet_atomic(frame, root / files[table_key(STAR, fact)])
    manifest = DayManifest("profit", day.isoformat(), version, "2024-03-01T00:00:00+00:00", files,
                           rows={fact: frame.height for fact, frame in frames.items()}, partial=partial)
    return commit_day(root, manifest)


def write_profit_lake(root: Path, source: Path) -> Path:
    shutil.copytree(source, root)
    costs = _costs(pl.read_parquet(dimension_path(root, "dim_products")))
    rng = np.random.default_rng(5)
    manifests = sorted(day_manifests(root, "pos_order_lines").items())
    for index, (day, manifest) in enumerate(manifests):
        invoices = _invoice_lines(day, index, rng)
        if day == GAP:
            continue
        pos = pl.read_parquet(manifest.path(root, f"{STAR}/fact_sales")).with_columns(channel=pl.lit("pos"))
        publish_profit_day(root, day, profit_lines(pos, invoices, costs), partial=day == PARTIAL)
    return root


def profit_rows(root: Path) -> pl.DataFrame:
    """Every published fact_sales_lines_profit line with its product's category and brand."""
    lines = pl.concat([pl.read_parquet(manifest.path(root, f"{STAR}/fact_sales_lines_profit"))
                       for manifest in day_manifests(root, "profit").values()])
    products = pl.read_parquet(dimension_path(root, "dim_products"))
    return lines.join(products.select("product_id", "category_id", "brand_id"), on="product_id", how="left")


@pytest.fixture(scope="session")
def profit_lake_root(small_lake_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_profit_lake(tmp_path_factory.mktemp("profit-lake") / "lake", small_lake_root)


@pytest.fixture(scope="module")
def profit_lake(profit_lake_root: Path) -> Iterator[Lake]:
    lake = Lake(profit_lake_root, cache_ttl_seconds=0)
    yield lake
    lake.close()

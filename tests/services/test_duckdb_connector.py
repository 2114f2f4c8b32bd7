"""DuckDB views over the lake: present and typed on an empty lake, refreshed when the lake's fingerprint moves."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from etl.io_parquet import STAR, partition_path
from etl.schemas import DIMENSIONS
from etl.status import RunRecord, record_run
from services import sales_metrics
from services.duckdb_connector import Lake, fact_schemas
from services.sales_metrics import SalesFilters


def test_views_exist_and_are_empty_on_an_empty_lake(tmp_path: Path) -> None:
    lake = Lake(tmp_path, cache_ttl_seconds=300)
    for view in [*fact_schemas(), *DIMENSIONS, "fact_sales_all"]:
        assert lake.scalar(f"SELECT count(*) FROM {view}") == 0, view
    columns = lake.query("SELECT * FROM fact_sales LIMIT 0").schema
    assert columns["order_ts"] == pl.Datetime("us", "UTC") and columns["revenue"] == pl.Float64
    filters = SalesFilters(date(2024, 1, 1), date(2024, 1, 7))
    assert sales_metrics.kpi_comparison(lake, filters)["revenue"].value == 0
    assert sales_metrics.sales_page(lake, filters).trend["revenue"].to_list() == [0.0] * 7
    assert sales_metrics.filter_options(lake).brands == []


def test_fact_sales_all_is_fact_sales_with_pos_channel(lake: Lake) -> None:
    both = lake.query("""SELECT (SELECT count(*) FROM fact_sales) AS pos,
                                (SELECT count(*) FROM fact_sales_all WHERE channel = 'pos') AS all_pos,
                                (SELECT count(*) FROM fact_sales_all) AS total""")
    assert both.row(0)[0] == both.row(0)[1] == both.row(0)[2] > 0


def test_cached_answers_are_invalidated_when_the_lake_changes(small_lake_root: Path, tmp_path: Path) -> None:
    root = tmp_path / "lake"
    shutil.copytree(small_lake_root, root)
    lake = Lake(root, cache_ttl_seconds=300)
    last = date(2024, 2, 29)
    day = SalesFilters(last, last)
    before = sales_metrics.kpi_comparison(lake, day)["revenue"].value
    target = partition_path(root, STAR, "fact_sales", last)
    doubled = pl.read_parquet(target)
    doubled = pl.concat([doubled, doubled.with_columns(line_id=pl.col("line_id") + 10**9)])
    doubled.write_parquet(target)
    assert sales_metrics.kpi_comparison(lake, day)["revenue"].value == before  # served from the cache
    assert lake.refresh_if_changed() is False  # no ETL run recorded: the fingerprint did not move
    record_run(root, RunRecord("pos_order_lines", last.isoformat(), True, 1, 1, 0, 0.1, [str(target)]))
    assert lake.refresh_if_changed() is True
    assert sales_metrics.kpi_comparison(lake, day)["revenue"].value == pytest.approx(2 * before)


def test_a_fact_appearing_after_start_is_picked_up(small_lake_root: Path, tmp_path: Path) -> None:
    lake = Lake(tmp_path, cache_ttl_seconds=300)
    assert lake.scalar("SELECT count(*) FROM fact_sales") == 0
    first = date(2024, 1, 1)
    source = partition_path(small_lake_root, STAR, "fact_sales", first)
    target = partition_path(tmp_path, STAR, "fact_sales", first)
    target.parent.mkdir(parents=True)
    shutil.copy(source, target)
    assert lake.refresh_if_changed() is True
    assert lake.scalar("SELECT count(*) FROM fact_sales") == pl.read_parquet(source).height
    assert lake.scalar("SELECT min(date) FROM fact_sales_all") == first

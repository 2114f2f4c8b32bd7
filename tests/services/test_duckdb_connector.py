"""DuckDB views over the published lake: typed when empty, exactly the manifests' files, refreshed when a manifest
changes; the dashboard imports no ETL function nor the Odoo client."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from benchmarks.lake_generator import publish_day
from etl.day_manifest import version_file
from etl.io_parquet import STAR, write_parquet_atomic
from etl.schemas import DIMENSIONS
from services import sales_metrics
from services.filters import filter_choices
from services.duckdb_connector import QUERY_SLOTS, Lake, fact_schemas
from services.sales_metrics import SalesFilters
from tests.services.conftest import POS_FACTS, published, republish

REPO = Path(__file__).resolve().parents[2]


def test_the_dashboard_does_not_import_the_etl_or_odoorpc() -> None:
    code = ("import sys, services.duckdb_connector, app; "
            "loaded = [m for m in sys.modules if m.split('.')[0] in ('odoorpc', 'odoorpc_connector', 'etl_tasks') "
            "or m in ('etl.datasets', 'etl.pipelines.day')]; print(loaded); assert not loaded")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120,
                            env={"NKDASH_IGNORE_DOTENV": "1", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stdout + result.stderr


def test_views_exist_and_are_empty_on_an_empty_lake(tmp_path: Path) -> None:
    lake = Lake(tmp_path, cache_ttl_seconds=300)
    for view in [*fact_schemas(), *DIMENSIONS, "fact_sales_all"]:
        assert lake.scalar(f"SELECT count(*) FROM {view}") == 0, view
    columns = lake.query("SELECT * FROM fact_sales LIMIT 0").schema
    assert columns["order_ts"] == pl.Datetime("us", "UTC") and columns["revenue"] == pl.Float64
    filters = SalesFilters(date(2024, 1, 1), date(2024, 1, 7))
    assert sales_metrics.kpi_comparison(lake, filters)["revenue"].value == 0
    assert sales_metrics.sales_page(lake, filters).trend["revenue"].to_list() == [None] * 7  # not loaded: gaps
    assert filter_choices(lake).brands == []
    assert lake.unreadable() == []


def test_fact_sales_all_is_fact_sales_with_pos_channel(lake: Lake) -> None:
    both = lake.query("""SELECT (SELECT count(*) FROM fact_sales) AS pos,
                                (SELECT count(*) FROM fact_sales_all WHERE channel = 'pos') AS all_pos,
                                (SELECT count(*) FROM fact_sales_all) AS total""")
    assert both.row(0)[0] == both.row(0)[1] == both.row(0)[2] > 0


def test_only_the_published_version_is_read(root: Path) -> None:
    day = date(2024, 1, 15)
    served = published(root, "fact_sales", day)
    for fact in POS_FACTS:  # a run that died before its manifest: doubled rows in an unpublished version
        frame = published(root, fact, day)
        write_parquet_atomic(pl.concat([frame, frame]), version_file(root, STAR, fact, day, "v-unpublished"))
    lake = Lake(root, cache_ttl_seconds=0)
    try:
        assert lake.scalar("SELECT count(*) FROM fact_sales WHERE date = $d", {"d": day}) == served.height
        assert lake.scalar("SELECT count(*) FROM sales_lines WHERE date = $d", {"d": day}) == served.height
        kpis = sales_metrics.kpi_comparison(lake, SalesFilters(day, day))
        assert kpis["revenue"].value == pytest.approx(served["revenue"].sum())
    finally:
        lake.close()


def test_cached_answers_are_invalidated_when_a_day_is_republished(root: Path) -> None:
    lake = Lake(root, cache_ttl_seconds=300)
    last = date(2024, 2, 29)
    day = SalesFilters(last, last)
    before = sales_metrics.kpi_comparison(lake, day)["revenue"].value
    assert lake.refresh_if_changed() is False
    republish(root, last, lambda fact, frame: frame.with_columns(revenue=pl.col("revenue") * 2)
              if fact == "fact_sales" else frame)
    assert sales_metrics.kpi_comparison(lake, day)["revenue"].value == before  # served from the cache
    assert lake.refresh_if_changed() is True  # the manifest folder moved
    assert sales_metrics.kpi_comparison(lake, day)["revenue"].value == pytest.approx(2 * before)
    lake.close()


def test_a_fact_appearing_after_start_is_picked_up(small_lake_root: Path, tmp_path: Path) -> None:
    lake = Lake(tmp_path, cache_ttl_seconds=300)
    assert lake.scalar("SELECT count(*) FROM fact_sales") == 0
    first = date(2024, 1, 1)
    source = published(small_lake_root, "fact_sales", first)
    publish_day(tmp_path, first, {"fact_sales": source, "fact_payments": published(small_lake_root, "fact_payments",
                                                                                     first)})
    assert lake.refresh_if_changed() is True
    assert lake.scalar("SELECT count(*) FROM fact_sales") == source.height
    assert lake.scalar("SELECT min(date) FROM fact_sales_all") == first
    lake.close()


def test_a_query_out_of_memory_is_retried_alone(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    """Queries share a few slots; one that runs out of memory waits for every slot and runs again by itself."""
    run, held_alone = Lake._run, []

    def short_of_memory_once(self: Lake, sql: str, params: dict) -> pl.DataFrame:
        if not held_alone:
            held_alone.append(None)
            raise duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block")
        held_alone.append(not self._slots.acquire(blocking=False))  # every slot is taken by the retry
        return run(self, sql, params)

    monkeypatch.setattr(Lake, "_run", short_of_memory_once)
    assert lake.query("SELECT count(*) AS n FROM fact_sales").item() > 0
    assert held_alone == [None, True]
    assert all(lake._slots.acquire(blocking=False) for _ in range(QUERY_SLOTS))  # all given back


def test_queries_spill_to_the_process_own_folder(tmp_path: Path) -> None:
    lake = Lake(tmp_path, cache_ttl_seconds=0)
    spill = Path(lake.scalar("SELECT current_setting('temp_directory')"))
    assert spill.is_dir() and spill.name.startswith("nkdash-duckdb-")
    lake.close()
    assert not spill.exists()

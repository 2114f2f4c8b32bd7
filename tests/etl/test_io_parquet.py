"""Atomic partition writes: a failed write leaves the previous file byte-identical and no temp file behind."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from etl.io_parquet import STAR, partition_days, partition_path, write_parquet_atomic


def test_partition_path_follows_the_lake_layout(tmp_path: Path) -> None:
    path = partition_path(tmp_path, STAR, "fact_sales", date(2026, 1, 6))
    assert path == tmp_path / "star-schema/fact_sales/year=2026/month=01/day=06/fact_sales_2026-01-06.parquet"


def test_rewrite_replaces_whole_and_lists_days(tmp_path: Path) -> None:
    target = partition_path(tmp_path, STAR, "fact_sales", date(2026, 1, 6))
    write_parquet_atomic(pl.DataFrame({"a": [1, 2, 3]}), target)
    write_parquet_atomic(pl.DataFrame({"a": [9]}), target)
    assert pl.read_parquet(target)["a"].to_list() == [9]
    assert partition_days(tmp_path, STAR, "fact_sales") == [date(2026, 1, 6)]
    assert [p.name for p in target.parent.iterdir()] == [target.name]


def test_failed_write_keeps_the_previous_file(tmp_path: Path) -> None:
    target = partition_path(tmp_path, STAR, "fact_sales", date(2026, 1, 6))
    write_parquet_atomic(pl.DataFrame({"a": [1]}), target)
    before = target.read_bytes()
    with pytest.raises(Exception):
        write_parquet_atomic(pl.DataFrame({"a": [object()]}, schema={"a": pl.Object}), target)
    assert target.read_bytes() == before
    assert [p.name for p in target.parent.iterdir()] == [target.name]

"""Atomic file writes: a failed write leaves the previous file byte-identical and no temp file behind."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from etl.io_parquet import write_parquet_atomic


def test_rewrite_replaces_the_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "a" / "table.parquet"
    write_parquet_atomic(pl.DataFrame({"a": [1, 2, 3]}), target)
    write_parquet_atomic(pl.DataFrame({"a": [9]}), target)
    assert pl.read_parquet(target)["a"].to_list() == [9]
    assert [p.name for p in target.parent.iterdir()] == [target.name]


def test_failed_write_keeps_the_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "table.parquet"
    write_parquet_atomic(pl.DataFrame({"a": [1]}), target)
    before = target.read_bytes()
    with pytest.raises(Exception):
        write_parquet_atomic(pl.DataFrame({"a": [object()]}, schema={"a": pl.Object}), target)
    assert target.read_bytes() == before
    assert [p.name for p in target.parent.iterdir()] == [target.name]

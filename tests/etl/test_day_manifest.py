"""A dataset's day is one unit: every table of a version is published by one manifest rename, or none is."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from etl import day_manifest
from etl.day_manifest import DayManifest, commit_day, drop_day, loaded_days, read_manifest, version_file
from etl.io_parquet import STAR, write_parquet_atomic

DAY = date(2026, 1, 6)
DATASET = "pos_order_lines"
TABLES = ("fact_sales", "fact_payments")


def write_version(lake: Path, version: str, value: int) -> DayManifest:
    files = {}
    for table in TABLES:
        path = version_file(lake, STAR, table, DAY, version)
        write_parquet_atomic(pl.DataFrame({"v": [value]}), path)
        files[f"{STAR}/{table}"] = path.relative_to(lake).as_posix()
    return DayManifest(DATASET, DAY.isoformat(), version, "2026-01-07T00:00:00+00:00", files, rows={"fact_sales": 1})


def published_values(lake: Path) -> set[int]:
    manifest = read_manifest(lake, DATASET, DAY)
    return {pl.read_parquet(manifest.path(lake, key))["v"][0] for key in manifest.files}


def age(path: Path, seconds: float) -> None:
    stamp = path.stat().st_mtime - seconds
    os.utime(path, (stamp, stamp))


def test_version_files_live_in_the_day_partition_under_their_version(tmp_path: Path) -> None:
    path = version_file(tmp_path, STAR, "fact_sales", DAY, "v1")
    assert path == tmp_path / "star-schema/fact_sales/year=2026/month=01/day=06/v1/fact_sales_2026-01-06.parquet"
    assert "=" not in day_manifest.new_version()


def test_a_new_version_is_invisible_until_its_manifest_is_committed(tmp_path: Path) -> None:
    commit_day(tmp_path, write_version(tmp_path, "v1", 1))
    write_version(tmp_path, "v2", 2)  # written, not committed: a run that died before publishing
    assert published_values(tmp_path) == {1}
    commit_day(tmp_path, write_version(tmp_path, "v3", 3))
    assert published_values(tmp_path) == {3}
    assert loaded_days(tmp_path, DATASET) == [DAY]


def test_commit_refuses_a_manifest_whose_files_are_missing(tmp_path: Path) -> None:
    commit_day(tmp_path, write_version(tmp_path, "v1", 1))
    broken = write_version(tmp_path, "v2", 2)
    version_file(tmp_path, STAR, "fact_payments", DAY, "v2").unlink()
    with pytest.raises(FileNotFoundError):
        commit_day(tmp_path, broken)
    assert published_values(tmp_path) == {1}


def test_commit_keeps_the_replaced_version_and_prunes_old_unreferenced_ones(tmp_path: Path) -> None:
    partition = version_file(tmp_path, STAR, "fact_sales", DAY, "v1").parent.parent
    commit_day(tmp_path, write_version(tmp_path, "v1", 1))
    write_version(tmp_path, "v2", 2)  # orphan of a killed run
    commit_day(tmp_path, write_version(tmp_path, "v3", 3))
    assert sorted(p.name for p in partition.iterdir()) == ["v1", "v2", "v3"]  # all younger than the grace period
    for name in ("v1", "v2"):
        age(partition / name, day_manifest.UNPUBLISHED_GRACE_SECONDS + 60)
    commit_day(tmp_path, write_version(tmp_path, "v4", 4))
    assert sorted(p.name for p in partition.iterdir()) == ["v3", "v4"]


def test_drop_unpublishes_the_day_and_removes_its_versions(tmp_path: Path) -> None:
    commit_day(tmp_path, write_version(tmp_path, "v1", 1))
    assert drop_day(tmp_path, DATASET, DAY).version == "v1"
    assert read_manifest(tmp_path, DATASET, DAY) is None and loaded_days(tmp_path, DATASET) == []
    assert not list((tmp_path / STAR).rglob("*.parquet"))
    assert drop_day(tmp_path, DATASET, DAY) is None

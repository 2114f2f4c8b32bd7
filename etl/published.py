"""Read what the lake has published: a table's file for a business day, as the day's manifest names it.

Every reader of day tables (validation, health, profit, tests) goes through here rather than globbing folders,
where unpublished or superseded versions may lie.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import polars as pl

from etl.catalog import table_dataset
from etl.day_manifest import read_manifest, table_key


class InputsNotPublished(RuntimeError):
    """A day of a lake-derived dataset cannot be built yet: a table it reads is not published for that day.

    A retry-later condition (the inputs' own runs publish them), never an empty or partial day.
    """


def published_path(root: str | os.PathLike[str], layer: str, table: str, day: date) -> Path | None:
    """The file of `table` in `layer` for `day` that is published now, or None when the day is not loaded."""
    manifest = read_manifest(root, table_dataset(layer, table), day)
    key = table_key(layer, table)
    return manifest.path(root, key) if manifest is not None and key in manifest.files else None


def read_published(root: str | os.PathLike[str], layer: str, table: str, day: date) -> pl.DataFrame | None:
    """The published rows of `table` for `day`, or None when the day is not loaded."""
    path = published_path(root, layer, table, day)
    return pl.read_parquet(path) if path is not None else None

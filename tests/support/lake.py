"""Test helpers that read the lake the way every reader must: through the published day manifests."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from etl import io_parquet
from etl.published import read_published


def fact(lake: Path, name: str, day: date) -> pl.DataFrame:
    """The published rows of fact `name` for `day` (fails the test when the day is not published)."""
    frame = read_published(lake, io_parquet.STAR, name, day)
    assert frame is not None, f"{name} {day} is not published"
    return frame

"""Quarantine: rows that fail a validation rule leave the clean data with the first rule's reason attached."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

import polars as pl

QUARANTINE_SCHEMA = pl.Schema({"model": pl.String, "record_id": pl.Int64, "reason": pl.String})


@dataclass(frozen=True)
class CleanContext:
    """What a cleaner needs besides the raw records: the partition's business day and the validation bounds.

    `known_ids` holds, per dimension named in the catalogue's `known_dimensions`, the ids that dimension has (None
    when its file is missing or unreadable, in which case ids are not checked against it).
    """

    day: date
    timezone: str  # IANA name of the business timezone
    max_line_amount: float
    known_ids: dict[str, frozenset[int] | None] = field(default_factory=dict)


@dataclass(frozen=True)
class CleanResult:
    """A dataset-day after cleaning: clean tables by name, quarantined rows, and data-quality counters."""

    tables: dict[str, pl.DataFrame]
    quarantine: pl.DataFrame
    metrics: dict[str, int] = field(default_factory=dict)

    @property
    def rows_out(self) -> int:
        return sum(frame.height for frame in self.tables.values())


Rule = tuple[pl.Expr, str | pl.Expr]  # (expression true for a BAD row, reason: a string or a String expression)


def first_reason(rules: list[Rule]) -> pl.Expr:
    """The reason of the first rule a row fails, null when it passes them all (a null condition counts as passing)."""
    reason = pl.lit(None, dtype=pl.String)
    for bad, why in reversed(rules):
        reason = pl.when(bad).then(why if isinstance(why, pl.Expr) else pl.lit(why)).otherwise(reason)
    return reason


Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)


def split_valid(frame: Frame, model: str, id_column: str, rules: list[Rule]) -> tuple[Frame, Frame]:
    """(rows passing every rule, quarantine rows `model, record_id, reason` for the others), both in frame order;
    eager in, eager out; lazy in, lazy out."""
    tagged = frame.with_columns(first_reason(rules).alias("_reason"))
    valid = tagged.filter(pl.col("_reason").is_null()).drop("_reason")
    rejected = tagged.filter(pl.col("_reason").is_not_null()).select(
        pl.lit(model).alias("model"), pl.col(id_column).cast(pl.Int64).alias("record_id"),
        pl.col("_reason").alias("reason"),
    )
    return valid, rejected

"""Building blocks the fact cleaners share: typing raw Odoo columns, flagging bad values, duplicates, unknown ids.

Pure polars expressions and frame functions (no I/O). A raw value that cannot be typed becomes null rather than an
error, so the cleaner can quarantine its record with a reason instead of failing the day.
"""

from __future__ import annotations

import polars as pl

from etl.transform.quarantine import CleanContext, first_reason, split_valid

UTC_TS = pl.Datetime("us", "UTC")


def utc(column: str) -> pl.Expr:
    """An Odoo datetime string (UTC, `YYYY-MM-DD HH:MM:SS`) as a UTC timestamp; unparsable → null."""
    return pl.col(column).cast(pl.String).str.to_datetime("%Y-%m-%d %H:%M:%S", time_zone="UTC", strict=False)


def as_int(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.Int64, strict=False)


def number(column: str) -> pl.Expr:
    """A money/quantity column as Float64; a value that is not a number (e.g. "12abc") becomes null, never an error."""
    return pl.col(column).cast(pl.Float64, strict=False)


def move_identity() -> list[pl.Expr]:
    """The account.move fields every invoice-based cleaner types alike: move_id, move_name, move_type, state, and
    date (the invoice_date, already a business day; unparsable → null)."""
    return [as_int("id").alias("move_id"), pl.col("name").cast(pl.String).alias("move_name"),
            pl.col("move_type").cast(pl.String), pl.col("state").cast(pl.String),
            pl.col("invoice_date").cast(pl.String).str.to_date("%Y-%m-%d", strict=False).alias("date")]


def not_a_number(*columns: str) -> pl.Expr:
    return pl.any_horizontal([pl.col(c).is_null() | ~pl.col(c).is_finite() for c in columns])


def beyond(bound: float, *columns: str) -> pl.Expr:
    return pl.any_horizontal([pl.col(c).abs() > bound for c in columns]).fill_null(False)


def discount_number() -> list[pl.Expr]:
    """Odoo's line `discount` (a percent) typed as `discount_pct`, with the raw value beside it until
    `settled_discount` (a first `select` of typed columns, then a second one with the line's flags)."""
    return [number("discount").alias("discount_pct"), pl.col("discount")]


def bad_discount() -> pl.Expr:
    """A discount Odoo sent that is not a number (an unset discount means 0, not a bad one)."""
    return pl.col("discount").is_not_null() & not_a_number("discount_pct")


def settled_discount(*flags: pl.Expr) -> list[pl.Expr]:
    """The second `select` after `discount_number`: every typed column but the raw discount, `discount_pct` with
    unset → 0, then `flags` (which may use `bad_discount`)."""
    return [pl.exclude("discount", "discount_pct"), pl.col("discount_pct").fill_null(0.0), *flags]


def deduplicated(rows: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """A model's raw rows with identical copies dropped, `_conflict` on ids still seen twice, and the copies dropped."""
    if rows["id"].n_unique() == rows.height:  # the usual day: no id twice, nothing to compare
        return rows.with_columns(pl.lit(False).alias("_conflict")), 0
    unique = rows.unique(maintain_order=True)
    return unique.with_columns(pl.col("id").is_duplicated().alias("_conflict")), rows.height - unique.height


def reason_counts(reason: pl.Expr, metrics: dict[str, str]) -> list[pl.Expr]:
    """One count per reason, named by `metrics` (reason → metric name)."""
    return [(reason == why).sum().alias(metric) for why, metric in metrics.items()]


def unknown_ids(tables: dict[str, pl.DataFrame], context: CleanContext,
                known_dimensions: dict[str, str]) -> dict[str, int]:
    """Per referenced column, the kept rows whose id is not in its dimension (0 when the dimension is unknown)."""
    counts = {}
    for column, dimension in known_dimensions.items():
        known = context.known_ids.get(dimension)
        frame = next(frame for frame in tables.values() if column in frame.columns)
        counts[f"unknown_{column}"] = 0 if known is None else frame.select(column).drop_nulls().join(
            pl.DataFrame({column: list(known)}, schema={column: pl.Int64}), on=column, how="anti").height
    return counts


# Per-record flags a document's status ORs over the document and its parts (lines, payments).
RECORD_FLAGS = ("_conflict", "_not_a_number", "_beyond_bound")


def document_status(documents: pl.LazyFrame, parts: list[pl.LazyFrame], key: str, rules: dict[str, pl.Expr],
                    reason: str, conflicts: bool) -> pl.LazyFrame:
    """One row per received document id (an order, a bill) and `reason`: the first of `rules` (reason → expression
    true when bad) it fails, null when it is kept.

    A row has the document's fields (its first copy when an id came with different values: `conflicts`), each of
    RECORD_FLAGS OR-ed over the document and its `parts` rows, and the sum of every other column `parts` bring
    (e.g. a line total), all keyed by `key`.
    """
    per_document = pl.concat([documents.select(key, *RECORD_FLAGS), *parts], how="diagonal").group_by(key).agg(
        *[pl.col(flag).any() for flag in RECORD_FLAGS], pl.exclude(key, *RECORD_FLAGS).sum())
    firsts = documents.drop(*RECORD_FLAGS)
    if conflicts:
        firsts = firsts.unique(key, keep="first", maintain_order=True)
    return firsts.join(per_document, on=key, how="left", maintain_order="left").with_columns(
        first_reason([(bad, why) for why, bad in rules.items()]).alias(reason))


def rejected_documents(documents: pl.LazyFrame, status: pl.LazyFrame, model: str, key: str, reason: str,
                       conflicts: bool) -> pl.LazyFrame:
    """Quarantine rows of the documents `status` rejects: one per copy received when an id came with different
    values (`conflicts`), else one per document."""
    why = pl.col(reason)
    if conflicts:
        documents = documents.join(status.select(key, reason), on=key, how="left")
    return split_valid(documents if conflicts else status, model, key, [(why.is_not_null(), why)])[1]

"""Raw layer encoding: Odoo records as fetched, typed by their `fields_get` types, several models in one frame.

`search_read` values keep their meaning: a many2one `[id, "name"]` becomes `<field>` (id) plus `<field>__name`,
x2many id lists stay lists, Odoo's `False` for an unset non-boolean value becomes null, a numeric field carrying
something that is not a number ("12abc") becomes null rather than failing the day (the clean layer quarantines it),
and datetimes stay the UTC strings Odoo sent (the clean layer parses them). The `_model` column says which model a
row came from.
"""

from __future__ import annotations

from typing import Any, Iterable

import polars as pl

MODEL_COLUMN = "_model"

_SCALAR_TYPES: dict[str, pl.DataType] = {
    "integer": pl.Int64(),
    "float": pl.Float64(),
    "monetary": pl.Float64(),
    "boolean": pl.Boolean(),
}


def _unset_to_none(values: Iterable[Any]) -> list[Any]:
    return [None if value is False else value for value in values]


def records_frame(model: str, records: list[dict[str, Any]], field_types: dict[str, str]) -> pl.DataFrame:
    """One model's records as a typed frame; `field_types` maps each fetched field to its Odoo type."""
    columns: dict[str, pl.Series] = {
        MODEL_COLUMN: pl.Series(MODEL_COLUMN, [model] * len(records), pl.String),
        "id": pl.Series("id", [record["id"] for record in records], pl.Int64),
    }
    for name, odoo_type in field_types.items():
        if name == "id":
            continue
        values = [record.get(name) for record in records]
        if odoo_type == "many2one":
            columns[name] = pl.Series(name, [v[0] if v else None for v in values], pl.Int64)
            columns[f"{name}__name"] = pl.Series(f"{name}__name", [v[1] if v else None for v in values], pl.String)
        elif odoo_type in ("one2many", "many2many"):
            columns[name] = pl.Series(name, [v or [] for v in values], pl.List(pl.Int64))
        elif odoo_type == "boolean":
            columns[name] = pl.Series(name, [bool(v) for v in values], pl.Boolean)
        else:
            dtype = _SCALAR_TYPES.get(odoo_type, pl.String())
            columns[name] = pl.Series(name, _unset_to_none(values), dtype, strict=False)
    return pl.DataFrame(columns)


def raw_frame(
    records: dict[str, list[dict[str, Any]] | pl.DataFrame], field_types: dict[str, dict[str, str]]
) -> pl.DataFrame:
    """Several models' records stacked into one raw frame (columns are the union; `_model` tells them apart).

    A model given as a frame (a dataset derived from the lake reads typed tables, not Odoo records) is kept as it
    is, with its `_model`; `field_types` is only needed for the models given as records.
    """
    frames = [rows.select(pl.lit(model, pl.String).alias(MODEL_COLUMN), pl.all()) if isinstance(rows, pl.DataFrame)
              else records_frame(model, rows, field_types[model]) for model, rows in records.items()]
    return pl.concat(frames, how="diagonal_relaxed")


def model_rows(raw: pl.DataFrame | pl.LazyFrame, model: str, columns: Iterable[str]) -> pl.DataFrame:
    """The rows of one model from a raw frame (eager or lazy); columns the server did not send come back as nulls."""
    return models_rows(raw, {model: list(columns)})[model]


def models_rows(raw: pl.DataFrame | pl.LazyFrame, columns: dict[str, list[str]]) -> dict[str, pl.DataFrame]:
    """The rows of several models, by model, collected together (a lazy raw file is scanned once).

    Each model gets exactly its columns, in order; a column the server did not send comes back as nulls.
    """
    present = set(raw.collect_schema().names())
    queries = [
        raw.lazy()
        .filter(pl.col(MODEL_COLUMN) == model)
        .select([pl.col(c) if c in present else pl.lit(None).alias(c) for c in names])
        for model, names in columns.items()
    ]
    return dict(zip(columns, pl.collect_all(queries)))

"""refresh_dimensions_incremental: bring the dim_* tables up to date with Odoo by write_date watermarks.

Each dimension remembers the newest `write_date` it has seen (metadata/dimensions_state.json); a refresh reads only
records written since then (archived ones included) and upserts them. The first refresh reads everything.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta
from typing import Any, Iterable

import polars as pl

from etl import io_parquet
from etl.extract.dimensions import brand_field, brand_model, read_changed
from etl.locks import day_lock
from etl.settings import Settings
from etl.transform.dimensions import (
    DIMENSION_SPECS, DimensionSpec, category_paths, dimension_rows, merge_dimension, products_with_names,
)
from odoorpc_connector import OdooClient

log = logging.getLogger(__name__)
STATE_FILE = "dimensions_state.json"
DIMENSIONS_LOCK = "dimensions"
# Re-read this much before the newest write_date seen: a record written by a long Odoo transaction can commit after
# a later one was read. Upserts make the overlap harmless.
WATERMARK_OVERLAP = timedelta(minutes=15)
ODOO_FORMAT = "%Y-%m-%d %H:%M:%S"


def _since(watermark: str | None) -> str | None:
    if watermark is None:
        return None
    return (datetime.strptime(watermark, ODOO_FORMAT) - WATERMARK_OVERLAP).strftime(ODOO_FORMAT)


def _read_state(root: str) -> dict[str, str]:
    path = io_parquet.metadata_path(root, STATE_FILE)
    return json.loads(path.read_text()) if path.exists() else {}


def _existing(root: str, name: str) -> pl.DataFrame | None:
    path = io_parquet.dimension_path(root, name)
    return io_parquet.read_parquet(path) if path.exists() else None


def _targets(targets: Iterable[str] | None) -> list[DimensionSpec]:
    if not targets:
        return list(DIMENSION_SPECS.values())
    names = [t if t.startswith("dim_") else f"dim_{t}" for t in targets]
    unknown = [n for n in names if n not in DIMENSION_SPECS]
    if unknown:
        raise ValueError(f"unknown dimensions {unknown}; known: {sorted(DIMENSION_SPECS)}")
    return [DIMENSION_SPECS[n] for n in names]


def refresh_dimensions(client: OdooClient, settings: Settings, targets: Iterable[str] | None = None) -> dict[str, Any]:
    """Refresh the requested dimensions (all by default) under the dimensions lock; returns rows per dimension.

    Several pipelines refresh dimensions before their day; the lock makes them take turns (DayLocked otherwise,
    which the Celery tasks retry), so the watermark file is never written by two refreshes at once.
    """
    with day_lock(DIMENSIONS_LOCK, "all", redis_url=settings.redis_url, lake_root=settings.data_lake_root,
                  ttl_seconds=settings.lock_ttl_seconds):
        return _refresh(client, settings, targets)


def _refresh(client: OdooClient, settings: Settings, targets: Iterable[str] | None) -> dict[str, Any]:
    root = settings.data_lake_root
    state = _read_state(root)
    brand = brand_field(client, settings.require_odoo())
    summary: dict[str, Any] = {}
    categories: pl.DataFrame | None = None  # refreshed before dim_products in the same run: no re-read
    for spec in _targets(targets):
        started = time.monotonic()
        model = brand_model(client, brand) if spec.name == "dim_brands" else spec.model
        if model is None or (spec.optional and not client.model_exists(model)):
            summary[spec.name] = {"skipped": f"{spec.model if model is None else model} not available"}
            continue
        raw = read_changed(client, spec, model, _since(state.get(spec.name)), brand if spec.name == "dim_products" else None)
        changed = dimension_rows(spec, raw)
        merged = merge_dimension(_existing(root, spec.name), changed, spec.key)
        if spec.name == "dim_categories":
            merged = categories = category_paths(merged)
        if spec.name == "dim_products":
            categories = categories if categories is not None else _existing(root, "dim_categories")
            if categories is not None:
                merged = products_with_names(merged, categories)
        io_parquet.write_parquet_atomic(merged, io_parquet.dimension_path(root, spec.name))
        newest = changed["write_date"].max()
        if newest is not None:
            state[spec.name] = newest.strftime(ODOO_FORMAT)
        seconds = round(time.monotonic() - started, 3)
        summary[spec.name] = {"rows_in": raw.height, "rows_out": merged.height, "seconds": seconds}
        log.info("dimension refreshed", extra={"dataset": spec.name, "rows_in": raw.height,
                                               "rows_out": merged.height, "seconds": seconds})
    io_parquet.atomic_write_bytes(io_parquet.metadata_path(root, STATE_FILE), json.dumps(state, indent=2).encode())
    return summary

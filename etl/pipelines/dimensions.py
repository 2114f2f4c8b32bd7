"""refresh_dimensions_incremental: bring the dim_* tables up to date with Odoo by write_date watermarks.

Each dimension remembers the newest `write_date` it has seen (metadata/dimensions_state.json); a refresh reads only
records written since then (archived ones included) and upserts them. The first refresh reads everything, and so
does the refresh of a dimension whose file is missing or unreadable (a corrupt file is rebuilt, never blocking).

Day pipelines call `prepare_dimensions`, which never fails a day: facts keep Odoo ids and dimensions are joined at
read time, so a day loaded with slightly older dimensions is still right once they refresh. It skips when another
run is refreshing or one finished moments ago, and a failed refresh is recorded (dataset `dimensions`) and logged.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

import polars as pl

from etl import io_parquet, schemas
from etl.extract.dimensions import brand_field, brand_model, existing_ids, read_changed
from etl.locks import DayLocked, LockUnavailable, day_lock
from etl.settings import Settings
from etl.status import RunRecord, read_status, record_failure, record_run
from etl.transform.dimensions import (
    DIMENSION_SPECS, DimensionSpec, category_paths, dimension_rows, mark_deleted, merge_dimension,
    products_with_names,
)
from odoorpc_connector import OdooClient

log = logging.getLogger(__name__)
STATE_FILE = "dimensions_state.json"
DIMENSIONS_LOCK = "dimensions"
DIMENSIONS_DATASET = "dimensions"  # the name dimension refreshes are recorded under in etl_status.json
# A day pipeline skips the refresh when the last one finished less than this ago (several days run back to back).
FRESH_ENOUGH = timedelta(minutes=10)
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
    """The dimension's current file, or None when it is missing or cannot be read (it is then rebuilt in full)."""
    path = io_parquet.dimension_path(root, name)
    if not path.exists():
        return None
    try:
        frame = io_parquet.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        log.warning("dimension file unreadable, rebuilding it from Odoo", extra={"dataset": name, "error": str(exc)})
        return None
    added = [column for column in schemas.DIMENSIONS[name].names() if column not in frame.columns]
    if added:  # written before the contract gained these columns (e.g. `deleted`)
        frame = frame.with_columns(pl.lit(None).alias(column) for column in added)
    return schemas.conform(frame, schemas.DIMENSIONS[name])


def resolve_dimensions(targets: list[str] | tuple[str, ...] | None) -> list[DimensionSpec]:
    """The dimensions named by `targets` (`products` or `dim_products`), every one when None; ValueError for unknown
    names."""
    if not targets:
        return list(DIMENSION_SPECS.values())
    names = [t if t.startswith("dim_") else f"dim_{t}" for t in targets]
    unknown = [target for target, name in zip(targets, names) if name not in DIMENSION_SPECS]
    if unknown:
        raise ValueError(f"unknown dimension(s) {', '.join(unknown)}; known: "
                         f"{', '.join(name.removeprefix('dim_') for name in DIMENSION_SPECS)}")
    return [DIMENSION_SPECS[n] for n in names]


def refresh_dimensions(client: OdooClient, settings: Settings, targets: Iterable[str] | None = None,
                       detect_deleted: bool = False) -> dict[str, Any]:
    """Refresh the requested dimensions (all by default) under the dimensions lock; returns rows per dimension.

    With `detect_deleted` (the daily full pass) every dimension also asks Odoo which ids still exist and flags the
    others `deleted` (an unlinked record leaves no write_date behind for the incremental read to see).

    Several pipelines refresh dimensions before their day; the lock makes them take turns (DayLocked otherwise,
    which the Celery tasks retry), so the watermark file is never written by two refreshes at once.
    """
    started = time.monotonic()
    try:
        with day_lock(DIMENSIONS_LOCK, "all", redis_url=settings.redis_url, lake_root=settings.data_lake_root,
                      ttl_seconds=settings.lock_ttl_seconds, backend=settings.lock_backend):
            summary = _refresh(client, settings, targets, detect_deleted)
    except DayLocked:
        raise
    except Exception as exc:
        record_failure(settings.data_lake_root, DIMENSIONS_DATASET, "", "dimensions", exc)
        raise
    rows = sum(entry.get("rows_out", 0) for entry in summary.values())
    record_run(settings.data_lake_root, RunRecord(
        dataset=DIMENSIONS_DATASET, day="", ok=True, rows_in=sum(e.get("rows_in", 0) for e in summary.values()),
        rows_out=rows, quarantined=0, seconds=round(time.monotonic() - started, 3), files=[]))
    return summary


def _refreshed_recently(settings: Settings) -> bool:
    success = read_status(settings.data_lake_root)["datasets"].get(DIMENSIONS_DATASET, {}).get("last_success")
    if not success or not success.get("finished_at"):
        return False
    return datetime.now(timezone.utc) - datetime.fromisoformat(success["finished_at"]) < FRESH_ENOUGH


def prepare_dimensions(client: OdooClient, settings: Settings) -> dict[str, Any]:
    """Refresh every dimension before a day pipeline, unless fresh enough or being refreshed; never raises.

    Returns the refresh summary, or `{"skipped": reason}` / `{"failed": error}`.
    """
    if _refreshed_recently(settings):
        return {"skipped": "refreshed moments ago"}
    try:
        return refresh_dimensions(client, settings)
    except (DayLocked, LockUnavailable) as exc:
        log.info("dimension refresh skipped", extra={"dataset": DIMENSIONS_DATASET, "reason": str(exc)})
        return {"skipped": str(exc)}
    except Exception as exc:  # noqa: BLE001 - recorded by refresh_dimensions; a day never fails on shared work
        log.error("dimension refresh failed; days go on with the dimensions as they are",
                  extra={"dataset": DIMENSIONS_DATASET, "error": str(exc)})
        return {"failed": f"{type(exc).__name__}: {exc}"}


def _refresh(client: OdooClient, settings: Settings, targets: Iterable[str] | None,
             detect_deleted: bool) -> dict[str, Any]:
    root = settings.data_lake_root
    state = _read_state(root)
    brand = brand_field(client, settings.require_odoo())
    summary: dict[str, Any] = {}
    categories: pl.DataFrame | None = None  # refreshed before dim_products in the same run: no re-read
    for spec in resolve_dimensions(targets):
        started = time.monotonic()
        model = brand_model(client, brand) if spec.name == "dim_brands" else spec.model
        if model is None or (spec.optional and not client.model_exists(model)):
            summary[spec.name] = {"skipped": f"{spec.model if model is None else model} not available"}
            continue
        existing = _existing(root, spec.name)
        since = _since(state.get(spec.name)) if existing is not None else None  # no usable file: read everything
        raw = read_changed(client, spec, model, since, brand if spec.name == "dim_products" else None)
        changed = dimension_rows(spec, raw)
        merged = merge_dimension(existing, changed, spec.key)
        if detect_deleted:
            merged = mark_deleted(merged, existing_ids(client, model), spec.key)
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
        summary[spec.name] = {"rows_in": raw.height, "rows_out": merged.height, "seconds": seconds,
                              "deleted": int(merged["deleted"].sum())}
        log.info("dimension refreshed", extra={"dataset": spec.name, "rows_in": raw.height,
                                               "rows_out": merged.height, "seconds": seconds})
    io_parquet.atomic_write_bytes(io_parquet.metadata_path(root, STATE_FILE), json.dumps(state, indent=2).encode())
    return summary

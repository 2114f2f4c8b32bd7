"""The unit of work: one dataset for one business day, as steps that pass small summaries (paths, counts).

extract → staging file; save_raw → the version's raw file; clean → the version's clean tables + quarantine;
load → the version's fact files; commit → the day's manifest, which publishes every table of the version at once
(etl/day_manifest.py). Files are written by temp + fsync + rename into a version directory nobody reads yet, so an
Odoo error, a write error or a crash at any step leaves the published day exactly as it was, and a re-run replaces
the day whole. The run holds the (lake, dataset, day) lock and the day's deadline throughout.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import polars as pl

from etl.catalog import CATALOG
from etl.dates import business_today
from etl.day_manifest import DayManifest, commit_day, new_version, table_key, version_file
from etl import deadline, io_parquet
from etl.deadline import day_deadline
from etl.datasets import DATASETS
from etl.fingerprint import fingerprint_of_records
from etl.locks import DayLocked, day_lock
from etl.raw_records import raw_frame
from etl.settings import Settings
from etl.status import RunRecord, record_run
from etl.transform.dimensions import DIMENSION_SPECS
from etl.transform.quarantine import CleanContext
from odoorpc_connector import OdooClient

log = logging.getLogger(__name__)
Summary = dict[str, Any]


def _log_step(step: str, summary: Summary, rows_in: int, rows_out: int, started: float) -> None:
    seconds = round(time.monotonic() - started, 3)
    summary.setdefault("seconds", {})[step] = seconds
    log.info(f"{step} done", extra={"dataset": summary["dataset"], "day": summary["day"], "step": step,
                                     "version": summary.get("version"), "rows_in": rows_in, "rows_out": rows_out,
                                     "seconds": seconds})


def _staging_dir(settings: Settings, dataset: str) -> Path:
    return io_parquet.lake_root(settings.data_lake_root) / io_parquet.RAW / "_staging" / dataset


def _relative(settings: Settings, path: Path) -> str:
    return path.relative_to(io_parquet.lake_root(settings.data_lake_root)).as_posix()


def _write_table(settings: Settings, summary: Summary, layer: str, table: str, frame: pl.DataFrame) -> Path:
    """Write one table of the summary's version and remember it for the manifest."""
    path = version_file(settings.data_lake_root, layer, table, date.fromisoformat(summary["day"]), summary["version"])
    io_parquet.write_parquet_atomic(frame, path)
    summary.setdefault("files", {})[table_key(layer, table)] = _relative(settings, path)
    return path


def _table_path(settings: Settings, summary: Summary, layer: str, table: str) -> Path:
    return io_parquet.lake_root(settings.data_lake_root) / summary["files"][table_key(layer, table)]


def extract_step(dataset: str, day: date, settings: Settings, client: OdooClient | None) -> Summary:
    """Read the day from its source (Odoo, or the lake for derived datasets) into a private staging file, never
    visible as a partition, under a new version."""
    started = time.monotonic()
    spec = DATASETS[dataset]
    version = new_version()
    source = client if spec.info.reads_odoo else settings.data_lake_root
    extraction = spec.extract(source, day, settings.business_timezone)
    frame = raw_frame(extraction.records, extraction.field_types)
    staging = _staging_dir(settings, dataset) / f"{dataset}_{day.isoformat()}_{version}.parquet"
    io_parquet.write_parquet_atomic(frame, staging)
    summary: Summary = {"dataset": dataset, "day": day.isoformat(), "version": version, "staging_path": str(staging), "rows_in": frame.height, "rpc_calls": extraction.rpc_calls,
                        "fingerprint": fingerprint_of_records(extraction.records) if spec.source_domains else {}}
    _log_step("extract", summary, extraction.rows, frame.height, started)
    return summary


def save_raw_step(summary: Summary, settings: Settings) -> Summary:
    """Move the staging file into the version's raw file (atomic rename on the same filesystem)."""
    started = time.monotonic()
    summary = dict(summary)
    target = version_file(settings.data_lake_root, io_parquet.RAW, summary["dataset"],
                          date.fromisoformat(summary["day"]), summary["version"])
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(summary.pop("staging_path"), target)
    summary.setdefault("files", {})[table_key(io_parquet.RAW, summary["dataset"])] = _relative(settings, target)
    _log_step("save_raw", summary, summary["rows_in"], summary["rows_in"], started)
    return summary


def _known_ids(settings: Settings, dimensions: dict[str, str]) -> dict[str, frozenset[int] | None]:
    """Ids of each dimension a cleaner checks references against (None when the file is missing or unreadable)."""
    known: dict[str, frozenset[int] | None] = {}
    for dimension in set(dimensions.values()):
        path = io_parquet.dimension_path(settings.data_lake_root, dimension)
        try:
            ids = pl.read_parquet(path, columns=[DIMENSION_SPECS[dimension].key]).to_series()
        except (OSError, pl.exceptions.PolarsError) as exc:
            log.warning("dimension not usable for id checks", extra={"dimension": dimension, "error": str(exc)})
            known[dimension] = None
            continue
        known[dimension] = frozenset(ids.drop_nulls().to_list())
    return known


def clean_context(dataset: str, day: date, settings: Settings) -> CleanContext:
    return CleanContext(day=day, timezone=settings.business_timezone.key, max_line_amount=settings.max_line_amount,
                        known_ids=_known_ids(settings, CATALOG[dataset].known_dimensions))


def clean_step(summary: Summary, settings: Settings) -> Summary:
    """Type and validate the raw file; write the version's clean tables and quarantine (empty when all is well)."""
    started = time.monotonic()
    summary = dict(summary)
    dataset, day = summary["dataset"], date.fromisoformat(summary["day"])
    raw = io_parquet.scan_parquet(_table_path(settings, summary, io_parquet.RAW, dataset))
    result = DATASETS[dataset].clean(raw, clean_context(dataset, day, settings))
    for name, frame in result.tables.items():
        _write_table(settings, summary, io_parquet.CLEAN, name, frame)
    _write_table(settings, summary, io_parquet.QUARANTINE, dataset, result.quarantine)
    summary.update(quarantined=result.quarantine.height, metrics=result.metrics)
    if result.quarantine.height:
        log.warning("rows quarantined", extra={"dataset": dataset, "day": summary["day"],
                                               "quarantined": result.quarantine.height, "metrics": result.metrics})
    _log_step("clean", summary, summary["rows_in"], result.rows_out, started)
    return summary


def load_step(summary: Summary, settings: Settings) -> Summary:
    """Write the version's fact files from its clean tables."""
    started = time.monotonic()
    summary = dict(summary)
    info = CATALOG[summary["dataset"]]
    clean = {name: io_parquet.read_parquet(_table_path(settings, summary, io_parquet.CLEAN, name))
             for name in info.clean_tables}
    facts = DATASETS[info.name].load(clean)
    for name, frame in facts.items():
        _write_table(settings, summary, io_parquet.STAR, name, frame)
    summary["rows_out"] = {name: frame.height for name, frame in facts.items()}
    _log_step("load", summary, sum(f.height for f in clean.values()), sum(summary["rows_out"].values()), started)
    return summary


def _quality_counts(summary: Summary) -> dict[str, int]:
    """The cleaner's non-zero data-quality counters (what the manifest and the run record keep)."""
    return {name: count for name, count in summary.get("metrics", {}).items() if count}


def commit_step(summary: Summary, settings: Settings) -> DayManifest:
    """Publish the version: every table of the day switches to it in one manifest rename."""
    started = time.monotonic()
    day = date.fromisoformat(summary["day"])
    manifest = commit_day(settings.data_lake_root, DayManifest(
        dataset=summary["dataset"], day=summary["day"], version=summary["version"],
        built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"), files=summary["files"],
        rows=summary["rows_out"], quarantined=summary.get("quarantined", 0),
        metrics=_quality_counts(summary), fingerprint=summary["fingerprint"],
        partial=day >= business_today(settings.business_timezone),
    ))
    _log_step("commit", summary, 0, sum(manifest.rows.values()), started)
    return manifest


def record_outcome(summary: Summary, settings: Settings, error: BaseException | None = None,
                   step: str | None = None) -> RunRecord:
    """Fold a finished day, or one that failed at `step`, into metadata/etl_status.json and the run history."""
    seconds = round(sum(summary.get("seconds", {}).values()), 3)
    day = date.fromisoformat(summary["day"])
    record = RunRecord(
        dataset=summary["dataset"], day=summary["day"], ok=error is None, rows_in=summary.get("rows_in", 0),
        rows_out=sum(summary.get("rows_out", {}).values()), quarantined=summary.get("quarantined", 0),
        seconds=seconds, files=sorted(summary.get("files", {}).values()) if error is None else [],
        error=None if error is None else f"{type(error).__name__}: {error}",
        step=step if error is not None else None,
        partial=day >= business_today(settings.business_timezone),
        metrics=_quality_counts(summary),
    )
    return record_run(settings.data_lake_root, record)


def publish(summary: Summary, settings: Settings) -> Summary:
    """Commit the loaded version and record the successful run (the last step of a chain or of `run_day`)."""
    commit_step(summary, settings)
    record_outcome(summary, settings)
    return summary


LATER_STEPS = (("save_raw", save_raw_step), ("clean", clean_step), ("load", load_step))


def run_day(dataset: str, day: date, settings: Settings, client: OdooClient | None) -> Summary:
    """Extract, save, clean, load and publish one day under its lock and deadline; the outcome is recorded."""
    summary: Summary = {"dataset": dataset, "day": day.isoformat()}
    step = "lock"
    try:
        with day_lock(dataset, day.isoformat(), redis_url=settings.redis_url, lake_root=settings.data_lake_root,
                      ttl_seconds=settings.lock_ttl_seconds, backend=settings.lock_backend) as lock, \
                day_deadline(settings.day_deadline_seconds, f"{dataset} {day.isoformat()}"):
            for orphan in _staging_dir(settings, dataset).glob(f"{dataset}_{day.isoformat()}_*.parquet"):
                orphan.unlink()  # left by a run that was killed; only the lock holder works on this day
            step = "extract"
            summary = extract_step(dataset, day, settings, client)
            for step, action in LATER_STEPS:
                summary = action(summary, settings)
            step = "commit"
            lock.check()  # never publish a day whose lock another run has taken over
            deadline.check("before publishing")
            return publish(summary, settings)
    except DayLocked:
        raise  # another run has the day: it records its own outcome
    except Exception as exc:
        record_outcome(summary, settings, exc, step)
        log.error("day failed", extra={"dataset": dataset, "day": day.isoformat(), "step": step, "error": str(exc)})
        if "staging_path" in summary:
            Path(summary["staging_path"]).unlink(missing_ok=True)
        raise

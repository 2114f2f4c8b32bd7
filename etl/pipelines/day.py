"""The unit of work: one dataset for one business day, as four steps that pass small summaries (paths, counts).

extract → staging file; save_raw → atomic move into the raw partition; clean → clean tables + quarantine;
load → fact partitions. Every file lands by temp + fsync + rename, so an Odoo error or a crash at any point leaves
the previous partitions exactly as they were, and a re-run replaces the day whole.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from etl import io_parquet
from etl.datasets import DATASETS
from etl.locks import day_lock
from etl.raw_records import raw_frame
from etl.settings import Settings
from etl.status import RunRecord, record_run
from odoorpc_connector import OdooClient

log = logging.getLogger(__name__)
Summary = dict[str, Any]


def _log_step(step: str, summary: Summary, rows_in: int, rows_out: int, started: float) -> None:
    seconds = round(time.monotonic() - started, 3)
    summary.setdefault("seconds", {})[step] = seconds
    log.info(f"{step} done", extra={"dataset": summary["dataset"], "day": summary["day"], "step": step,
                                     "rows_in": rows_in, "rows_out": rows_out, "seconds": seconds})


def _staging_dir(settings: Settings, dataset: str) -> Path:
    return io_parquet.lake_root(settings.data_lake_root) / io_parquet.RAW / "_staging" / dataset


def extract_step(dataset: str, day: date, settings: Settings, client: OdooClient) -> Summary:
    """Read the day from Odoo into a private staging file (never visible as a partition)."""
    started = time.monotonic()
    spec = DATASETS[dataset]
    extraction = spec.extract(client, day, settings.business_timezone)
    frame = raw_frame(extraction.records, extraction.field_types)
    staging = _staging_dir(settings, dataset) / f"{dataset}_{day.isoformat()}_{uuid.uuid4().hex}.parquet"
    io_parquet.write_parquet_atomic(frame, staging)
    summary: Summary = {"dataset": dataset, "day": day.isoformat(), "staging_path": str(staging),
                        "rows_in": frame.height, "rpc_calls": extraction.rpc_calls}
    _log_step("extract", summary, extraction.rows, frame.height, started)
    return summary


def save_raw_step(summary: Summary, settings: Settings) -> Summary:
    """Promote the staging file to the day's raw partition (atomic rename on the same filesystem)."""
    started = time.monotonic()
    target = io_parquet.partition_path(settings.data_lake_root, io_parquet.RAW, summary["dataset"],
                                       date.fromisoformat(summary["day"]))
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(summary["staging_path"], target)
    summary = {**summary, "raw_path": str(target)}
    summary.pop("staging_path")
    _log_step("save_raw", summary, summary["rows_in"], summary["rows_in"], started)
    return summary


def clean_step(summary: Summary, settings: Settings) -> Summary:
    """Type and validate the raw partition; write clean tables and the day's quarantine (empty when all is well)."""
    started = time.monotonic()
    spec, day = DATASETS[summary["dataset"]], date.fromisoformat(summary["day"])
    result = spec.clean(io_parquet.scan_parquet(Path(summary["raw_path"])), settings.business_timezone.key)
    root = settings.data_lake_root
    clean_paths = {
        name: str(io_parquet.write_parquet_atomic(frame, io_parquet.partition_path(root, io_parquet.CLEAN, name, day)))
        for name, frame in result.tables.items()
    }
    quarantine = io_parquet.partition_path(root, io_parquet.QUARANTINE, summary["dataset"], day)
    io_parquet.write_parquet_atomic(result.quarantine, quarantine)
    summary = {**summary, "clean_paths": clean_paths, "quarantine_path": str(quarantine),
               "quarantined": result.quarantine.height, "metrics": result.metrics}
    if result.quarantine.height:
        log.warning("rows quarantined", extra={"dataset": summary["dataset"], "day": summary["day"],
                                               "quarantined": result.quarantine.height})
    _log_step("clean", summary, summary["rows_in"], result.rows_out, started)
    return summary


def load_step(summary: Summary, settings: Settings) -> Summary:
    """Write the day's fact partitions from its clean tables."""
    started = time.monotonic()
    spec, day = DATASETS[summary["dataset"]], date.fromisoformat(summary["day"])
    clean = {name: io_parquet.read_parquet(Path(path)) for name, path in summary["clean_paths"].items()}
    facts = spec.load(clean)
    fact_paths = {
        name: str(io_parquet.write_parquet_atomic(frame, io_parquet.partition_path(
            settings.data_lake_root, io_parquet.STAR, name, day)))
        for name, frame in facts.items()
    }
    rows_out = {name: frame.height for name, frame in facts.items()}
    summary = {**summary, "fact_paths": fact_paths, "rows_out": rows_out}
    _log_step("load", summary, sum(f.height for f in clean.values()), sum(rows_out.values()), started)
    return summary


def record_outcome(summary: Summary, settings: Settings, error: BaseException | None = None) -> RunRecord:
    """Fold a finished (or failed) day into metadata/etl_status.json and the run history."""
    seconds = round(sum(summary.get("seconds", {}).values()), 3)
    record = RunRecord(
        dataset=summary["dataset"], day=summary["day"], ok=error is None, rows_in=summary.get("rows_in", 0),
        rows_out=sum(summary.get("rows_out", {}).values()), quarantined=summary.get("quarantined", 0),
        seconds=seconds, files=sorted(summary.get("fact_paths", {}).values()),
        error=None if error is None else f"{type(error).__name__}: {error}",
    )
    return record_run(settings.data_lake_root, record)


def run_day(dataset: str, day: date, settings: Settings, client: OdooClient) -> Summary:
    """Extract, save, clean and load one day under its lock; the outcome is recorded either way."""
    summary: Summary = {"dataset": dataset, "day": day.isoformat()}
    with day_lock(dataset, day.isoformat(), redis_url=settings.redis_url, lake_root=settings.data_lake_root,
                  ttl_seconds=settings.lock_ttl_seconds):
        for orphan in _staging_dir(settings, dataset).glob(f"{dataset}_{day.isoformat()}_*.parquet"):
            orphan.unlink()  # left by a run that was killed; only the lock holder works on this day
        try:
            summary = extract_step(dataset, day, settings, client)
            summary = save_raw_step(summary, settings)
            summary = clean_step(summary, settings)
            summary = load_step(summary, settings)
        except Exception as exc:
            record_outcome(summary, settings, exc)
            log.error("day failed", extra={"dataset": dataset, "day": day.isoformat(), "error": str(exc)})
            if "staging_path" in summary:
                Path(summary["staging_path"]).unlink(missing_ok=True)
            raise
    record_outcome(summary, settings)
    return summary

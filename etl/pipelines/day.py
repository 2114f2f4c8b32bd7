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
from contextlib import ExitStack
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import polars as pl

from etl.catalog import CATALOG
from etl.dates import business_today
from etl.day_manifest import DayManifest, commit_day, new_version, table_key, version_file
from etl import deadline, io_parquet
from etl.deadline import DeadlineExceeded, day_deadline
from etl.datasets import DATASETS
from etl.extract.records import Extraction
from etl.fingerprint import fingerprint_of_records
from etl.locks import DayLocked, DayLockHandle, LockUnavailable, day_lock
from etl.raw_records import raw_frame
from etl.settings import Settings
from etl.status import RunRecord, record_run
from etl.transform.dimensions import DIMENSION_SPECS
from etl.transform.quarantine import CleanContext
from odoorpc_connector import OdooClient, OdooUnavailableError

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


def _stage(dataset: str, day: date, extraction: Extraction, settings: Settings, seconds: float) -> Summary:
    """Write one day's extraction to a private staging file, never visible as a partition, under a new version."""
    started = time.monotonic() - seconds
    version = new_version()
    frame = raw_frame(extraction.records, extraction.field_types)
    staging = _staging_dir(settings, dataset) / f"{dataset}_{day.isoformat()}_{version}.parquet"
    io_parquet.write_parquet_atomic(frame, staging)
    summary: Summary = {"dataset": dataset, "day": day.isoformat(), "version": version, "staging_path": str(staging),
                        "rows_in": frame.height, "rpc_calls": extraction.rpc_calls,
                        "fingerprint": (fingerprint_of_records(extraction.records)
                                        if DATASETS[dataset].source_domains else {})}
    _log_step("extract", summary, extraction.rows, frame.height, started)
    return summary


def extract_steps(dataset: str, days: list[date], settings: Settings, client: OdooClient | None) -> list[Summary]:
    """Read consecutive `days` from their source (Odoo, or the lake for derived datasets) in one span, and stage
    each day on its own (a day's `extract` seconds are its share of the span's reads plus its staging)."""
    started = time.monotonic()
    spec = DATASETS[dataset]
    source = client if spec.info.reads_odoo else settings.data_lake_root
    extractions = spec.extract(source, days, settings.business_timezone)
    share = (time.monotonic() - started) / len(days)
    return [_stage(dataset, day, extractions[day], settings, share) for day in days]


def extract_step(dataset: str, day: date, settings: Settings, client: OdooClient | None) -> Summary:
    """Read one day into its staging file (the `extract_*` step task)."""
    return extract_steps(dataset, [day], settings, client)[0]


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
# Errors after which reading the span's days one by one would only fail again, more slowly.
NOT_SPLIT: tuple[type[BaseException], ...] = (OdooUnavailableError, LockUnavailable, DeadlineExceeded)
DayResult = tuple[date, "Summary | None", "BaseException | None"]


def _failed(dataset: str, day: date, settings: Settings, exc: BaseException, step: str,
            summary: Summary | None = None) -> DayResult:
    summary = summary or {"dataset": dataset, "day": day.isoformat()}
    record_outcome(summary, settings, exc, step)
    log.error("day failed", extra={"dataset": dataset, "day": day.isoformat(), "step": step, "error": str(exc)})
    if "staging_path" in summary:
        Path(summary["staging_path"]).unlink(missing_ok=True)
    return day, None, exc


def _finish(summary: Summary, lock: DayLockHandle, settings: Settings) -> DayResult:
    """Save, clean, load and publish one extracted day; a failure is recorded with its step."""
    day = date.fromisoformat(summary["day"])
    step = "save_raw"
    try:
        for step, action in LATER_STEPS:
            summary = action(summary, settings)
        step = "commit"
        lock.check()  # never publish a day whose lock another run has taken over
        deadline.check("before publishing")
        return day, publish(summary, settings), None
    except Exception as exc:  # noqa: BLE001 - recorded for this day; the span's other days go on
        return _failed(summary["dataset"], day, settings, exc, step, summary)


def _extract_held(dataset: str, days: list[date], held: list[date], settings: Settings,
                  client: OdooClient | None) -> dict[date, Summary | BaseException]:
    """The staged summary of each held day, read as one span; if the span fails (other than for an outage), each
    held day is read on its own, so one bad day fails alone. A day extracted but not held is discarded."""
    try:
        summaries = extract_steps(dataset, days, settings, client)
    except Exception as exc:  # noqa: BLE001 - a failed read fails the days it covered, never more
        if len(held) == 1 or isinstance(exc, NOT_SPLIT):
            return {day: exc for day in held}
        log.warning("span failed, reading its days one by one",
                    extra={"dataset": dataset, "day": held[0].isoformat(), "error": str(exc)})
        result: dict[date, Summary | BaseException] = {}
        for day in held:
            try:
                result[day] = extract_step(dataset, day, settings, client)
            except Exception as day_exc:  # noqa: BLE001 - recorded for this day
                result[day] = day_exc
        return result
    by_day = dict(zip(days, summaries))
    for day in set(days) - set(held):
        Path(by_day.pop(day)["staging_path"]).unlink(missing_ok=True)
    return by_day


def run_span(dataset: str, days: list[date], settings: Settings, client: OdooClient | None) -> list[DayResult]:
    """Extract consecutive `days` together, then save, clean, load and publish each day on its own, holding every
    day's lock and one deadline throughout. Each day's outcome is recorded; a day another run holds is reported
    (DayLocked) and left to that run."""
    results: dict[date, DayResult] = {}
    with ExitStack() as stack:
        locks: dict[date, DayLockHandle] = {}
        for day in days:
            try:
                locks[day] = stack.enter_context(day_lock(
                    dataset, day.isoformat(), redis_url=settings.redis_url, lake_root=settings.data_lake_root,
                    ttl_seconds=settings.lock_ttl_seconds, backend=settings.lock_backend))
            except DayLocked as exc:
                results[day] = (day, None, exc)  # the holder records its own outcome
            except Exception as exc:  # noqa: BLE001 - the lock store failed: recorded for the day
                results[day] = _failed(dataset, day, settings, exc, "lock")
        if locks:
            stack.enter_context(day_deadline(settings.day_deadline_seconds,
                                             f"{dataset} {days[0].isoformat()}..{days[-1].isoformat()}"))
            for day in locks:  # left by a run that was killed; only the lock holder works on this day
                for orphan in _staging_dir(settings, dataset).glob(f"{dataset}_{day.isoformat()}_*.parquet"):
                    orphan.unlink()
            for day, staged in _extract_held(dataset, days, list(locks), settings, client).items():
                results[day] = (_failed(dataset, day, settings, staged, "extract") if isinstance(staged, BaseException)
                                else _finish(staged, locks[day], settings))
    return [results[day] for day in days]


def run_day(dataset: str, day: date, settings: Settings, client: OdooClient | None) -> Summary:
    """Run one day as a span of one; its failure is raised (after being recorded)."""
    [(_, summary, error)] = run_span(dataset, [day], settings, client)
    if error is not None:
        raise error
    return summary

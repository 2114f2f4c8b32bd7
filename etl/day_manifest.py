"""A dataset's business day as one unit: versioned files, published together by a manifest written last.

Every run of (dataset, day) writes all its tables — raw, clean, quarantine and every fact — into a fresh version
directory inside each table's day partition:

    <layer>/<table>/year=YYYY/month=MM/day=DD/<version>/<table>_YYYY-MM-DD.parquet

Nothing reads a version directory until the day's manifest, `metadata/days/<dataset>/<YYYY-MM-DD>.json`, names it.
The manifest is replaced atomically (temp + fsync + rename) after every file of the version is on disk, so readers
and crashes see the old day or the new day, never a mix. A run that dies before its manifest leaves an unreferenced
version behind; the next commit of that day removes it. The version the manifest replaced is kept until the commit
after, so a reader that resolved it a moment before the swap can still finish reading it.

The manifest also records what the day was built from (the source fingerprint: per Odoo model, record count and
newest write_date), which per-day change detection compares with Odoo's current one.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from etl.io_parquet import atomic_write_bytes, lake_root, metadata_path

DAYS_DIR = "days"
VERSION_PREFIX = "v"
# An unpublished version younger than this may belong to a run still writing it (a step chain, a slow day): keep it.
UNPUBLISHED_GRACE_SECONDS = 3600

Fingerprint = dict[str, list[Any]]  # Odoo model -> [record count, newest write_date or None]


@dataclass(frozen=True)
class DayManifest:
    """What is published for one dataset and business day.

    `files` maps a table key (`<layer>/<table>`, e.g. `star-schema/fact_sales`) to its file, relative to the lake
    root. `partial` marks a day still in progress (today so far), finalised by the nightly run.
    """

    dataset: str
    day: str
    version: str
    built_at: str
    files: dict[str, str]
    rows: dict[str, int] = field(default_factory=dict)
    quarantined: int = 0
    metrics: dict[str, int] = field(default_factory=dict)  # the cleaner's data-quality counters
    fingerprint: Fingerprint = field(default_factory=dict)
    partial: bool = False

    @property
    def business_day(self) -> date:
        return date.fromisoformat(self.day)

    def path(self, root: str | os.PathLike[str], table_key: str) -> Path:
        """Absolute path of one table's file for this day."""
        return lake_root(root) / self.files[table_key]


def table_key(layer: str, table: str) -> str:
    return f"{layer}/{table}"


def new_version() -> str:
    """A unique, time-sortable version name (never contains `=`, so it is not read as a hive partition)."""
    return f"{VERSION_PREFIX}{datetime.now(timezone.utc):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}"


def day_directory(root: str | os.PathLike[str], layer: str, table: str, day: date) -> Path:
    return lake_root(root) / layer / table / f"year={day:%Y}" / f"month={day:%m}" / f"day={day:%d}"


def version_file(root: str | os.PathLike[str], layer: str, table: str, day: date, version: str) -> Path:
    """Where a run of `version` writes `table`'s file for `day`."""
    return day_directory(root, layer, table, day) / version / f"{table}_{day.isoformat()}.parquet"


def manifest_path(root: str | os.PathLike[str], dataset: str, day: date) -> Path:
    return metadata_path(root, DAYS_DIR, dataset, f"{day.isoformat()}.json")


def manifests_directory(root: str | os.PathLike[str], dataset: str) -> Path:
    return metadata_path(root, DAYS_DIR, dataset)


def _parse(payload: str) -> DayManifest:
    return DayManifest(**json.loads(payload))


def read_manifest(root: str | os.PathLike[str], dataset: str, day: date) -> DayManifest | None:
    """The published manifest of (dataset, day), or None when the day was never loaded (or was dropped)."""
    try:
        return _parse(manifest_path(root, dataset, day).read_text())
    except FileNotFoundError:
        return None


def day_manifests(root: str | os.PathLike[str], dataset: str) -> dict[date, DayManifest]:
    """Every published day of `dataset`, by business day, sorted."""
    folder = manifests_directory(root, dataset)
    found: dict[date, DayManifest] = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            manifest = _parse(path.read_text())
        except FileNotFoundError:  # dropped while listing
            continue
        found[manifest.business_day] = manifest
    return found


def loaded_days(root: str | os.PathLike[str], dataset: str) -> list[date]:
    """Business days that have a published manifest (cheap: file names only)."""
    folder = manifests_directory(root, dataset)
    return sorted(date.fromisoformat(p.stem) for p in folder.glob("*.json")) if folder.is_dir() else []


def _version_dirs(root: str | os.PathLike[str], manifest: DayManifest) -> set[Path]:
    """The day partition directories that hold versions of the manifest's tables."""
    return {(lake_root(root) / relative).parent.parent for relative in manifest.files.values()}


def _prune(partitions: set[Path], keep: set[str], grace_seconds: float) -> None:
    """Remove version directories not in `keep` that were last written more than `grace_seconds` ago."""
    cutoff = time.time() - grace_seconds
    for partition in partitions:
        for child in partition.iterdir() if partition.is_dir() else []:
            if (child.is_dir() and child.name.startswith(VERSION_PREFIX) and child.name not in keep
                    and child.stat().st_mtime <= cutoff):
                shutil.rmtree(child, ignore_errors=True)


def commit_day(root: str | os.PathLike[str], manifest: DayManifest) -> DayManifest:
    """Publish `manifest` (its files must be written and fsynced): the day switches to it in one rename.

    Versions other than the new one and the one it replaces are removed afterwards, once they are older than the
    grace period (an unpublished version may still be written by another run; older published ones go too).
    """
    missing = [key for key in manifest.files if not manifest.path(root, key).is_file()]
    if missing:
        raise FileNotFoundError(f"{manifest.dataset} {manifest.day}: version {manifest.version} lacks {missing}")
    previous = read_manifest(root, manifest.dataset, manifest.business_day)
    atomic_write_bytes(manifest_path(root, manifest.dataset, manifest.business_day),
                       json.dumps(asdict(manifest), indent=1, sort_keys=True).encode())
    keep = {manifest.version} | ({previous.version} if previous else set())
    partitions = _version_dirs(root, manifest) | (_version_dirs(root, previous) if previous else set())
    _prune(partitions, keep, UNPUBLISHED_GRACE_SECONDS)
    return manifest


def drop_day(root: str | os.PathLike[str], dataset: str, day: date) -> DayManifest | None:
    """Unpublish (dataset, day): the manifest goes first (readers stop seeing the day), then every version of it.

    Returns the manifest that was dropped, or None when the day was not loaded.
    """
    manifest = read_manifest(root, dataset, day)
    if manifest is None:
        return None
    manifest_path(root, dataset, day).unlink(missing_ok=True)
    _prune(_version_dirs(root, manifest), keep=set(), grace_seconds=0)
    return manifest

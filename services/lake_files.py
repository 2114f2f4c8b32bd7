"""The files the serving layer reads: per fact, the file each business day's manifest publishes; the dimension files.

A fact's day is current only when `metadata/days/<dataset>/<day>.json` names its file (etl.day_manifest); version
directories beside it (unpublished or superseded runs) are never read. A re-run publishes a new file under a new
version, so a day changed when the file its manifest names changed.

Unreadable files (a manifest that does not parse, a named file that is missing, a Parquet footer that does not read,
or a file a full read failed on) are left out and listed as `Unreadable` (dataset, day, table key, short reason):
that day is not served, every other day is, and the next manifest of the day brings it back.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from etl import schemas
from etl.catalog import CATALOG, fact_dataset, fact_schemas
from etl.day_manifest import DAYS_DIR, DayManifest, manifests_directory, read_manifest, table_key
from etl.io_parquet import STAR, dimension_path, metadata_path
from etl.pipelines.health import (DIMENSIONS, MANIFEST_TABLE, FileVersion, Unreadable, file_version, footer_problem,
                                  short_reason)
from etl.status import STATUS_FILE

FileKey = tuple[str, FileVersion]  # (path relative to the lake root, version): one content of one file


@dataclass(frozen=True)
class DayFile:
    """The published file of one fact for one business day."""

    relative: str  # from the lake root, as the manifest names it
    version: FileVersion
    partial: bool = False  # the manifest marks the day in progress (today so far)

    @property
    def key(self) -> FileKey:
        return self.relative, self.version


def lake_fingerprint(root: Path) -> tuple[FileVersion | None, ...]:
    """Cheap change marker: the status file, the manifest folders (a manifest is renamed into or removed from its
    dataset's folder), the star-schema folder and each dimension file."""
    paths = [metadata_path(root, STATUS_FILE), metadata_path(root, DAYS_DIR),
             *(manifests_directory(root, name) for name in CATALOG), root / STAR,
             *(dimension_path(root, name) for name in schemas.DIMENSIONS)]
    return tuple(file_version(path) for path in paths)


def _manifest_files(folder: Path) -> dict[str, FileVersion]:
    """Manifest file names in `folder` with their versions (temporary files of a write in progress left out)."""
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return {}
    found = {}
    for entry in entries:
        if entry.name.endswith(".json") and not entry.name.startswith("."):
            try:
                stat = entry.stat()
            except FileNotFoundError:  # replaced or dropped while listing
                continue
            found[entry.name] = (stat.st_mtime_ns, stat.st_ino, stat.st_size)
    return found


class ManifestIndex:
    """The published manifests of each dataset, a manifest file parsed again only when it changed."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._parsed: dict[tuple[str, str], tuple[FileVersion, DayManifest | Unreadable]] = {}

    def published(self, dataset: str) -> tuple[dict[date, DayManifest], list[Unreadable]]:
        """Manifests by business day, and those that do not parse."""
        manifests: dict[date, DayManifest] = {}
        broken: list[Unreadable] = []
        names = _manifest_files(manifests_directory(self.root, dataset))
        for name in [key for key in self._parsed if key[0] == dataset and key[1] not in names]:
            del self._parsed[name]
        for name, version in sorted(names.items()):
            known = self._parsed.get((dataset, name))
            parsed = known[1] if known is not None and known[0] == version else self._parse(dataset, name)
            if parsed is None:
                continue
            self._parsed[(dataset, name)] = (version, parsed)
            if isinstance(parsed, Unreadable):
                broken.append(parsed)
            else:
                manifests[parsed.business_day] = parsed
        return manifests, broken

    def _parse(self, dataset: str, name: str) -> DayManifest | Unreadable | None:
        try:
            day = date.fromisoformat(name.removesuffix(".json"))
        except ValueError:
            return None  # not a day manifest
        try:
            return read_manifest(self.root, dataset, day)
        except (ValueError, TypeError) as exc:
            return Unreadable(dataset, day, MANIFEST_TABLE, short_reason(exc))


def _dimension_relative(name: str) -> str:
    return f"{table_key(STAR, name)}.parquet"


@dataclass(frozen=True)
class LakeFiles:
    """The lake's readable files at one moment, and the unreadable ones."""

    facts: dict[str, dict[date, DayFile]]
    dimensions: dict[str, FileVersion]
    unreadable: tuple[Unreadable, ...] = field(default=())

    @classmethod
    def scan(cls, root: Path, manifests: ManifestIndex, known_bad: Mapping[FileKey, str],
             before: LakeFiles | None = None) -> LakeFiles:
        """Every fact file the manifests publish and every dimension file, footers checked, `known_bad` left out.

        A version file never changes once published (a re-run writes a new one), so a file `before` already read
        under the same name is taken as it was, without a stat: a refresh costs a stat per changed day, not per day.
        """
        facts: dict[str, dict[date, DayFile]] = {fact: {} for fact in fact_schemas()}
        unreadable: list[Unreadable] = []
        for dataset, info in CATALOG.items():
            published, broken = manifests.published(dataset)
            unreadable += broken
            for fact in info.fact_tables:
                key, known = table_key(STAR, fact), before.facts[fact] if before else {}
                for day, manifest in published.items():
                    relative = manifest.files.get(key)
                    if relative is None:
                        continue
                    day_file, problem = _checked(root, relative, known.get(day))
                    if day_file is not None:
                        facts[fact][day] = replace(day_file, partial=manifest.partial)
                    else:
                        unreadable.append(Unreadable(dataset, day, key, problem))
        dimensions = {}
        for name in schemas.DIMENSIONS:
            if dimension_path(root, name).exists():
                day_file, problem = _checked(root, _dimension_relative(name))
                if day_file is not None:
                    dimensions[name] = day_file.version
                else:
                    unreadable.append(Unreadable(DIMENSIONS, None, table_key(STAR, name), problem))
        return cls(facts, dimensions, tuple(unreadable)).without(known_bad)

    def without(self, bad: Mapping[FileKey, str]) -> LakeFiles:
        """These files less those in `bad` (file key → reason), which are listed as unreadable instead."""
        unreadable = list(self.unreadable)
        facts: dict[str, dict[date, DayFile]] = {}
        for fact, days in self.facts.items():
            facts[fact] = {}
            for day, day_file in days.items():
                if day_file.key in bad:
                    unreadable.append(Unreadable(fact_dataset(fact), day, table_key(STAR, fact), bad[day_file.key]))
                else:
                    facts[fact][day] = day_file
        dimensions = {}
        for name, version in self.dimensions.items():
            reason = bad.get((_dimension_relative(name), version))
            if reason:
                unreadable.append(Unreadable(DIMENSIONS, None, table_key(STAR, name), reason))
            else:
                dimensions[name] = version
        return LakeFiles(facts, dimensions, tuple(unreadable))

    def changed_days(self, before: LakeFiles, facts: Iterable[str]) -> list[date]:
        """Business days whose file of one of `facts` appeared, was replaced or went since `before`."""
        days: set[date] = set()
        for fact in facts:
            now, then = self.facts[fact], before.facts[fact]
            days |= {day for day in now.keys() | then.keys() if now.get(day) != then.get(day)}
        return sorted(days)

    def new_files(self, before: LakeFiles | None, facts: Iterable[str]) -> list[tuple[str, DayFile]]:
        """(fact, file) of `facts` not read at `before` (every file for a first build)."""
        return [(fact, day_file) for fact in facts for day, day_file in self.facts[fact].items()
                if before is None or before.facts[fact].get(day) != day_file]

    def new_dimensions(self, before: LakeFiles | None) -> list[tuple[str, FileKey]]:
        """(dimension, file key) of the dimension files that appeared or changed since `before`."""
        return [(name, (_dimension_relative(name), version)) for name, version in self.dimensions.items()
                if before is None or before.dimensions.get(name) != version]

    def paths(self, root: Path, fact: str, days: Iterable[date] | None = None) -> list[str]:
        """The files of `fact` for those of `days` (default: all) that have a readable one."""
        files = self.facts[fact]
        return [os.path.join(root, files[day].relative) for day in (sorted(files) if days is None else days)
                if day in files]

    def dimension_file(self, root: Path, name: str) -> Path | None:
        return dimension_path(root, name) if name in self.dimensions else None


def _checked(root: Path, relative: str, known: DayFile | None = None) -> tuple[DayFile | None, str]:
    """The file as a DayFile when present with a readable footer, else None and why not; `known` when it is the
    same published file (string paths: a year of files may be checked at once)."""
    if known is not None and known.relative == relative:
        return known, ""
    path = os.path.join(root, relative)
    version = file_version(path)
    problem = footer_problem(path, version) if version is not None else "file missing"
    if version is None or problem:
        return None, problem or "file missing"
    return DayFile(relative, version), ""

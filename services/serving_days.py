"""Which published file each serving table's rows of a source day come from, and the SQL of those rows.

Serving tables (services.lake_sql.serving_tables) are computed per source day, from that day's fact files alone. The
shared base (services.serving_base) and each process's delta (services.serving_reader) both record, per fact and
source day, the file (path relative to the lake root, as the day's manifest names it) their rows were computed from:
a `DayFiles` map. A published file never changes (a re-run publishes a new version under a new path), so two maps
that name the same file for a day hold the same rows for it, and a day whose file differs (replaced, dropped,
unreadable) is recomputed whole: a reader never sees a mix of two versions of a day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from etl.catalog import fact_schemas
from services.lake_files import LakeFiles
from services.lake_sql import ServingTable, fact_files_sql

DayFiles = dict[str, dict[date, str]]  # fact -> source day -> file relative to the lake root


def published_files(files: LakeFiles) -> DayFiles:
    """The readable published file of every fact and day."""
    return {fact: {day: day_file.relative for day, day_file in days.items()} for fact, days in files.facts.items()}


def differing_days(first: Mapping[str, Mapping[date, str]], second: Mapping[str, Mapping[date, str]],
                   facts: Iterable[str]) -> list[date]:
    """Days on which `first` and `second` name another file (or only one names a file) for one of `facts`."""
    days: set[date] = set()
    for fact in facts:
        one, other = first.get(fact, {}), second.get(fact, {})
        days |= {day for day in one.keys() | other.keys() if one.get(day) != other.get(day)}
    return sorted(days)


def restricted(files: Mapping[str, Mapping[date, str]], facts: Iterable[str], days: Iterable[date]) -> DayFiles:
    """`files` of `facts` on `days` only."""
    wanted = set(days)
    return {fact: {day: path for day, path in files.get(fact, {}).items() if day in wanted} for fact in facts}


def day_rows_sql(table: ServingTable, root: Path, files: LakeFiles, days: list[date], source: str) -> str:
    """SELECT of `table`'s rows of source `days`: over the days' fact files, or, for a table derived from another
    serving table, over the rows of `source` (that table's name where the caller keeps it) of those days."""
    if table.source is not None:
        return table.select({table.source: f"(SELECT * FROM {source} WHERE source_day IN (SELECT unnest($days)))"})
    schemas = fact_schemas()
    return table.select({fact: f"({fact_files_sql(files.paths(root, fact, days), schemas[fact])})"
                         for fact in table.facts})


def sql_params(sql: str, timezone: str, days: list[date]) -> dict[str, Any]:
    """The parameters `sql` (from `day_rows_sql`) takes: the business timezone, the source days."""
    params: dict[str, Any] = {}
    if "$tz" in sql:
        params["tz"] = timezone
    if "$days" in sql:
        params["days"] = days
    return params

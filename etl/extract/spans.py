"""Read several consecutive business days in one pass and hand back one extraction per day.

A backfill of small datasets pays per call, not per record: a day of invoices is a few hundred records but still one
call per model. A span reads each model once for all its days (paged), then splits the records by business day:

- the *root* model carries the day (a UTC datetime converted to the business timezone, or a date that already is
  the business day);
- every other day-filtered model follows the root, either pointing at it (a POS line's `order_id`) or pointed at
  by it (a move line's `move_id`): a record goes to every day whose root records it belongs to;
- records read *by id* afterwards (products, taxes, units...) are read once for the whole span, then each day takes
  exactly the ids its own records refer to, by running the dataset's reference step again against those records
  (`PrefetchedReader`), so a day's raw file holds what a one-day extraction of that day would read.

A one-day extraction is a span of one day: there is a single code path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Callable, Sequence
from zoneinfo import ZoneInfo

from etl.dates import ODOO_DATETIME_FORMAT
from etl.extract.records import Extraction, Record, read_model
from odoorpc_connector import Domain, OdooClient

# (client, first day, last day, business timezone) -> one domain per day-filtered model, covering the whole span
SpanDomains = Callable[[OdooClient | None, date, date, ZoneInfo], dict[str, Domain]]
# reads, by id, what the records of an extraction refer to (into that extraction)
References = Callable[[Any, Extraction], None]
# (client, first day, last day, business timezone) -> how many records a span reads (its largest model)
SpanCounter = Callable[[OdooClient, date, date, ZoneInfo], int]
MAX_SPAN_DAYS = 31


def span_counter(domains: SpanDomains, model: str) -> SpanCounter:
    """Counts the records of `model` a span reads (one `search_count`): what sizes a dataset's spans."""
    def count(client: OdooClient, first: date, last: date, tz: ZoneInfo) -> int:
        return int(client.call(model, "search_count", [domains(client, first, last, tz)[model]]))
    return count


def consecutive_runs(days: Sequence[date]) -> list[list[date]]:
    """`days` (any order, repeats ignored) as runs of consecutive days, ascending."""
    runs: list[list[date]] = []
    for day in sorted(set(days)):
        if runs and (day - runs[-1][-1]).days == 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return runs


def span_length(records: int, days: int, target_records: int) -> int:
    """Days a span takes so that it reads about `target_records` (at least 1, at most MAX_SPAN_DAYS)."""
    per_day = records / days if days else 0
    return max(1, min(MAX_SPAN_DAYS, int(target_records // per_day) if per_day else MAX_SPAN_DAYS))


@dataclass(frozen=True)
class SpanLayout:
    """How a dataset's day-filtered records find their business day.

    `root_day_field` is a datetime (UTC) unless `root_day_is_date`; `points_to_root` maps a model to its field that
    refers to a root record; `root_points_to` maps a model to the root's field that refers to it.
    """

    root: str
    root_day_field: str
    root_day_is_date: bool = False
    points_to_root: dict[str, str] = field(default_factory=dict)
    root_points_to: dict[str, str] = field(default_factory=dict)


def _first_id(value: Any) -> int | None:
    """The id of a many2one value (`[id, "name"]` or a bare id); None when unset."""
    if not value:
        return None
    return int(value[0]) if isinstance(value, (list, tuple)) else int(value)


def business_day_of(value: str, tz: ZoneInfo, is_date: bool) -> date:
    """The business day of an Odoo date ("YYYY-MM-DD") or UTC datetime ("YYYY-MM-DD HH:MM:SS") value."""
    if is_date:
        return date.fromisoformat(value[:10])
    moment = datetime.strptime(value, ODOO_DATETIME_FORMAT).replace(tzinfo=timezone.utc)
    return moment.astimezone(tz).date()


def split_by_day(records: dict[str, list[Record]], layout: SpanLayout, days: Sequence[date],
                 tz: ZoneInfo) -> dict[date, dict[str, list[Record]]]:
    """Each day's records per model. A record Odoo returned that belongs to no day of the span (a root dated
    outside it, a record whose root was not returned) goes to the span's first day, where the cleaner's rules
    quarantine it with its reason (a record of another day, an orphan): nothing read is dropped here."""
    per_day: dict[date, dict[str, list[Record]]] = {day: {model: [] for model in records} for day in days}
    root_days: dict[int, date] = {}
    for row in records[layout.root]:
        day = business_day_of(str(row[layout.root_day_field]), tz, layout.root_day_is_date)
        root_days[row["id"]] = day if day in per_day else days[0]
        per_day[root_days[row["id"]]][layout.root].append(row)
    for model, link in layout.points_to_root.items():
        for row in records[model]:
            per_day[root_days.get(_first_id(row.get(link)), days[0])][model].append(row)
    for model, link in layout.root_points_to.items():
        days_of: dict[int, set[date]] = {}
        for row in records[layout.root]:
            target = _first_id(row.get(link))
            if target is not None:
                days_of.setdefault(target, set()).add(root_days[row["id"]])
        for row in records[model]:
            for day in sorted(days_of.get(row["id"], {days[0]})):
                per_day[day][model].append(row)
    return per_day


class PrefetchedReader:
    """Answers the by-id reads of a dataset's reference step from records already read for the whole span, so
    running that step once per day costs no call. Only `("id", "in", ids)` reads are served; anything else is a
    programming error and raised."""

    def __init__(self, client: OdooClient, span: Extraction) -> None:
        self._client = client
        self._rows = {model: {row["id"]: row for row in rows} for model, rows in span.records.items()}
        self.settings = client.settings
        self.stats = client.stats

    def field_types(self, model: str, wanted: Sequence[str]) -> dict[str, str]:
        return self._client.field_types(model, wanted)

    def has_field(self, model: str, name: str) -> bool:
        return self._client.has_field(model, name)

    def first_field(self, model: str, candidates: Sequence[str]) -> str | None:
        return self._client.first_field(model, candidates)

    def search_read_all(self, model: str, domain: Domain, fields: Sequence[str],
                        context: dict[str, Any] | None = None) -> list[Record]:
        if len(domain) != 1 or tuple(domain[0][:2]) != ("id", "in"):
            raise ValueError(f"only by-id reads are prefetched, not {model} {domain!r}")
        rows = self._rows.get(model, {})
        wanted = set(domain[0][2])
        missing = wanted - rows.keys()
        if missing:
            raise ValueError(f"{model} ids {sorted(missing)[:5]} were not read for the span")
        return [row for ident, row in rows.items() if ident in wanted]


def read_span(client: OdooClient, dataset: str, days: Sequence[date], tz: ZoneInfo, domains: SpanDomains,
              model_fields: dict[str, Sequence[str]], layout: SpanLayout,
              references: References | None = None) -> dict[date, Extraction]:
    """One extraction per day of `days` (consecutive, ascending), each model read once for them all."""
    calls_before = client.stats.calls
    span = Extraction(dataset, f"{days[0].isoformat()}..{days[-1].isoformat()}")
    for model, domain in domains(client, days[0], days[-1], tz).items():
        read_model(client, span, model, domain, model_fields[model])
    if references is not None:
        references(client, span)
    by_day = split_by_day({model: span.records[model] for model in model_fields}, layout, days, tz)
    reader = PrefetchedReader(client, span)
    calls = (client.stats.calls - calls_before) / len(days)
    extractions: dict[date, Extraction] = {}
    for day in days:
        extraction = Extraction(dataset, day.isoformat(), records=dict(by_day[day]),
                                field_types={model: span.field_types[model] for model in model_fields},
                                rpc_calls=calls)
        if references is not None:
            references(reader, extraction)
        extractions[day] = extraction
    return extractions

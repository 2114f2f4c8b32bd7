"""Which days to run: the nightly day plus days Odoo changed since they were built, date ranges, and catch-up.

These functions run without Celery (operator scripts call them directly); the Celery tasks wrap them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Callable, Iterable

from etl.catalog import CATALOG, resolve_datasets
from etl.dates import business_yesterday, day_range
from etl.datasets import DATASETS
from etl.day_manifest import loaded_days, read_manifest
from etl.fingerprint import current_fingerprint, differs
from etl.locks import DayLocked, LockUnavailable
from etl.published import InputsNotPublished
from etl.extract.spans import MAX_SPAN_DAYS, consecutive_runs, span_length
from etl.pipelines.day import Summary, run_span
from etl.pipelines.dimensions import prepare_dimensions
from etl.settings import Settings
from etl.status import read_status
from odoorpc_connector import OdooClient, OdooError, OdooUnavailableError

log = logging.getLogger(__name__)

Progress = Callable[[str, date, Summary | None, BaseException | None], None]


# Failures that say "try the run again later" (someone else holds the day; Odoo is unreachable for now).
RETRY_LATER: tuple[type[BaseException], ...] = (DayLocked, LockUnavailable, OdooUnavailableError, InputsNotPublished)


@dataclass
class RangeOutcome:
    """Days done and failed by a multi-day run; `raise_if_failed` makes a partial run fail loudly."""

    done: list[Summary] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # "dataset day" -> error
    errors: list[BaseException] = field(default_factory=list)

    def raise_if_failed(self) -> None:
        """Re-raise a retry-later error as itself (so a task can be retried), any other failure as a summary."""
        if not self.failed:
            return
        retryable = [error for error in self.errors if isinstance(error, RETRY_LATER)]
        if retryable:
            raise retryable[0]
        first = next(iter(self.failed.items()))
        raise RuntimeError(f"{len(self.failed)} day(s) failed, first: {first[0]}: {first[1]}")

    def as_dict(self) -> dict:
        return {"done": [{k: s[k] for k in ("dataset", "day", "rows_out")} for s in self.done],
                "failed": self.failed}


def plan_spans(dataset: str, days: Iterable[date], settings: Settings, client: OdooClient | None) -> list[list[date]]:
    """`days` as the spans a run reads them in: runs of consecutive days cut so that each span reads about
    ETL_SPAN_RECORDS records, counted in Odoo with one call per run (a lake-derived dataset: MAX_SPAN_DAYS). Without
    a client, or when the count fails, the days go one by one (the runs themselves then report the outage)."""
    spec, spans = DATASETS[dataset], []
    for run in consecutive_runs(list(days)):
        length = MAX_SPAN_DAYS
        if len(run) > 1 and spec.span_records is not None and client is None:
            length = 1  # no Odoo to count with (the runs will say why)
        elif len(run) > 1 and spec.span_records is not None:
            try:
                records = spec.span_records(client, run[0], run[-1], settings.business_timezone)
            except OdooError as exc:
                log.warning("span sizing failed: days run one by one",
                            extra={"dataset": dataset, "day": run[0].isoformat(), "error": str(exc)})
                length = 1
            else:
                length = span_length(records, len(run), settings.span_records)
        spans.extend(run[start:start + length] for start in range(0, len(run), length))
    return spans


def run_spans(dataset: str, spans: list[list[date]], settings: Settings, client: OdooClient | None,
              outcome: RangeOutcome, progress: Progress | None = None) -> RangeOutcome:
    """Run each span of `dataset` (etl.pipelines.day.run_span) into `outcome`, reporting every day."""
    for span in spans:
        for day, summary, error in run_span(dataset, span, settings, client):
            if error is not None:
                outcome.failed[f"{dataset} {day.isoformat()}"] = f"{type(error).__name__}: {error}"
                outcome.errors.append(error)
            else:
                outcome.done.append(summary)
            if progress:
                progress(dataset, day, summary, error)
    return outcome


def run_days(
    datasets: Iterable[str], days: Iterable[date], settings: Settings, client: OdooClient | None,
    progress: Progress | None = None, refresh_first: bool = True, one_span: bool = False,
) -> RangeOutcome:
    """Run every (dataset, day), consecutive days in spans (`plan_spans`; `one_span`: `days` are consecutive and
    already sized, as a fan-out sends them); dimensions are brought up to date once first (never failing a day).
    A failed day is recorded, the rest go on."""
    names, days = resolve_datasets(list(datasets)), list(days)
    if refresh_first and any(CATALOG[n].refreshes_dimensions_first for n in names):
        prepare_dimensions(client, settings)
    outcome = RangeOutcome()
    for name in names:
        spans = [days] if one_span else plan_spans(name, days, settings, client)
        run_spans(name, spans, settings, client, outcome, progress)
    return outcome


def late_changed_days(dataset: str, target: date, settings: Settings, client: OdooClient | None) -> list[date]:
    """Published days before `target`, within the late-change window, whose sources changed after the lake's copy was
    built: for an Odoo dataset, its source fingerprint now differs from the one in the day's manifest; for a
    lake-derived one, an input it read has been republished since. (Days never published are catch-up's.)"""
    spec = DATASETS[dataset]
    earliest = target - timedelta(days=settings.late_change_window_days)
    if settings.etl_start_date and settings.etl_start_date > earliest:
        earliest = settings.etl_start_date
    if earliest >= target or not CATALOG[dataset].detects_late_changes:
        return []
    window = day_range(earliest, target - timedelta(days=1))
    if spec.stale_days is not None:
        changed = spec.stale_days(settings.data_lake_root, window)
    elif spec.source_domains is not None and client is not None:
        changed = [day for day in window if _fingerprint_moved(spec.source_domains, dataset, day, settings, client)]
    else:
        changed = []
    if changed:
        log.info("days changed since built", extra={"dataset": dataset, "days": [d.isoformat() for d in changed]})
    return changed


def _fingerprint_moved(domains_of: Callable[..., dict], dataset: str, day: date, settings: Settings,
                       client: OdooClient) -> bool:
    manifest = read_manifest(settings.data_lake_root, dataset, day)
    if manifest is None:
        return False
    domains = domains_of(day, settings.business_timezone, client)
    return differs(manifest.fingerprint, current_fingerprint(client, domains), domains)


def nightly_days(dataset: str, target: date, settings: Settings, client: OdooClient | None) -> list[date]:
    """The target day plus the late-changed days before it, so the lake converges to Odoo after refunds,
    corrections and late postings, whatever other runs happened in between."""
    return [*late_changed_days(dataset, target, settings, client), target]


def catch_up_days(dataset: str, settings: Settings, today: date | None = None) -> list[date]:
    """Days up to yesterday that are not published or whose last run failed, from ETL_START_DATE (else the first
    published day)."""
    yesterday = business_yesterday(settings.business_timezone) if today is None else today - timedelta(days=1)
    loaded = loaded_days(settings.data_lake_root, dataset)
    start = settings.etl_start_date or (loaded[0] if loaded else yesterday)
    if start > yesterday:
        return []
    failed = {date.fromisoformat(day)
              for day in read_status(settings.data_lake_root)["datasets"].get(dataset, {}).get("failed_days", {})}
    present = set(loaded) - failed
    return [day for day in day_range(start, yesterday) if day not in present]

"""Which days to run: the nightly day plus late-changed days, date ranges, and catch-up from the last processed day.

These functions run without Celery (operator scripts call them directly); the Celery tasks wrap them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Callable, Iterable

from etl import io_parquet
from etl.dates import business_yesterday, day_range
from etl.datasets import DATASETS, TARGET_ALIASES
from etl.extract.pos_order_lines import changed_pos_days
from etl.locks import DayLocked
from etl.pipelines.day import Summary, run_day
from etl.pipelines.dimensions import refresh_dimensions
from etl.settings import Settings
from etl.status import read_status
from odoorpc_connector import OdooClient, OdooUnavailableError

log = logging.getLogger(__name__)

# Our clock and Odoo's may differ, and Odoo stamps write_date at transaction start: look back this much further.
LATE_CHANGE_OVERLAP = timedelta(hours=1)
# Late-change detectors per dataset: (client, written since, earliest day, tz) -> business days to re-process.
LATE_CHANGES = {"pos_order_lines": changed_pos_days}

Progress = Callable[[str, date, Summary | None, BaseException | None], None]


# Failures that say "try the run again later" (someone else holds the day; Odoo is unreachable for now).
RETRY_LATER: tuple[type[BaseException], ...] = (DayLocked, OdooUnavailableError)


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


def resolve_datasets(names: Iterable[str] | None) -> list[str]:
    """Dataset names from names or operator aliases (`pos`); all datasets when None."""
    if not names:
        return list(DATASETS)
    resolved = [TARGET_ALIASES.get(name, name) for name in names]
    unknown = [name for name in resolved if name not in DATASETS]
    if unknown:
        raise ValueError(f"unknown datasets {unknown}; known: {sorted(DATASETS)} or aliases {sorted(TARGET_ALIASES)}")
    return resolved


def run_days(
    datasets: Iterable[str], days: Iterable[date], settings: Settings, client: OdooClient,
    progress: Progress | None = None, refresh_first: bool = True,
) -> RangeOutcome:
    """Run every (dataset, day); dimensions are refreshed once first. A failed day is recorded, the rest go on."""
    names, days = resolve_datasets(datasets), list(days)
    if refresh_first and any(DATASETS[n].refreshes_dimensions_first for n in names):
        refresh_dimensions(client, settings)
    outcome = RangeOutcome()
    for name in names:
        for day in days:
            try:
                summary = run_day(name, day, settings, client)
            except Exception as exc:  # noqa: BLE001 - recorded per day and re-raised by raise_if_failed
                outcome.failed[f"{name} {day.isoformat()}"] = f"{type(exc).__name__}: {exc}"
                outcome.errors.append(exc)
                if progress:
                    progress(name, day, None, exc)
                continue
            outcome.done.append(summary)
            if progress:
                progress(name, day, summary, None)
    return outcome


def nightly_days(dataset: str, target: date, settings: Settings, client: OdooClient) -> list[date]:
    """The target day plus earlier days (within the late-change window) whose source records changed since the
    dataset's last successful run, so the lake converges to Odoo after refunds, corrections and late postings."""
    entry = read_status(settings.data_lake_root)["datasets"].get(dataset, {})
    last_success = (entry.get("last_success") or {}).get("finished_at")
    detector = LATE_CHANGES.get(dataset)
    if not last_success or detector is None:
        return [target]
    since = datetime.fromisoformat(last_success).astimezone(timezone.utc) - LATE_CHANGE_OVERLAP
    earliest = target - timedelta(days=settings.late_change_window_days)
    changed = [d for d in detector(client, since, earliest, settings.business_timezone) if d < target]
    if changed:
        log.info("late changes found", extra={"dataset": dataset, "days": [d.isoformat() for d in changed]})
    return sorted(set(changed) | {target})


def catch_up_days(dataset: str, settings: Settings, today: date | None = None) -> list[date]:
    """Days from the start (ETL_START_DATE, else the first loaded day) to yesterday that have no fact partition."""
    yesterday = business_yesterday(settings.business_timezone) if today is None else today - timedelta(days=1)
    spec = DATASETS[dataset]
    fact = next(iter(spec.fact_tables))
    loaded = io_parquet.partition_days(settings.data_lake_root, io_parquet.STAR, fact)
    start = settings.etl_start_date or (loaded[0] if loaded else yesterday)
    if start > yesterday:
        return []
    present = set(loaded)
    return [day for day in day_range(start, yesterday) if day not in present]

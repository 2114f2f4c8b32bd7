"""Which days of a period hold data, and which days a comparison may use ("numbers that never mislead").

- Coverage of a period: its days that are loaded, still to come (after the business today) or in progress (a
  `partial` manifest: today so far). A period with no loaded day has no value ("no data"), never zero.
- A comparison period (the previous period of equal length, or the same dates last year) is compared only over the
  days loaded in both: day i of the period with day i of the comparison period (for last year, the same calendar
  date; 29 February pairs with the 28th). When some days are missing on either side, both values are taken over the
  matched days only and the comparison says how many ("over 6 of 15 days loaded in both"); with no matched day there
  is no comparison at all.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

PREVIOUS = "previous"
LAST_YEAR = "last_year"
COMPARISONS = (PREVIOUS, LAST_YEAR)


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


def year_earlier(day: date) -> date:
    """The same calendar date a year earlier (29 February → 28 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


@dataclass(frozen=True)
class Coverage:
    """The loaded, future and in-progress days of one period."""

    start: date
    end: date
    loaded: tuple[date, ...]
    future: int  # days after the business today
    partial: tuple[date, ...]  # loaded days still in progress

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def state(self) -> str:
        """`future` (no day has come yet), `empty` (nothing loaded), `partly` (some days missing) or `full`."""
        if self.future == self.days:
            return "future"
        if not self.loaded:
            return "empty"
        return "full" if len(self.loaded) == self.days else "partly"


def coverage(start: date, end: date, loaded: Collection[date], today: date,
             partial: Collection[date] = ()) -> Coverage:
    days = days_between(start, end)
    in_range = tuple(day for day in days if day in loaded)
    return Coverage(start, end, in_range, sum(day > today for day in days),
                    tuple(day for day in in_range if day in partial))


@dataclass(frozen=True)
class Window:
    """A comparison of the period with `kind`'s period: the days each side is summed over.

    `current_days` / `compare_days` are None when every day of both periods is loaded (the whole ranges are used);
    otherwise they are the matched days (possibly none: then `available` is False).
    """

    kind: str
    start: date
    end: date
    current_days: tuple[date, ...] | None
    compare_days: tuple[date, ...] | None
    matched: int
    total: int

    @property
    def available(self) -> bool:
        return self.matched > 0

    @property
    def restricted(self) -> bool:
        return self.current_days is not None


def comparison_window(kind: str, start: date, end: date, loaded: Collection[date]) -> Window:
    """The `kind` (`previous` | `last_year`) comparison of start..end given the loaded days."""
    current = days_between(start, end)
    if kind == PREVIOUS:
        length = len(current)
        pairs = [(day, day - timedelta(days=length)) for day in current]
        other_start, other_end = start - timedelta(days=length), start - timedelta(days=1)
    else:
        pairs = [(day, year_earlier(day)) for day in current]
        other_start, other_end = year_earlier(start), year_earlier(end)
    other = days_between(other_start, other_end)
    if all(day in loaded for day in current) and all(day in loaded for day in other):
        return Window(kind, other_start, other_end, None, None, len(current), len(current))
    matched = [(day, earlier) for day, earlier in pairs if day in loaded and earlier in loaded]
    return Window(kind, other_start, other_end, tuple(day for day, _ in matched),
                  tuple(sorted({earlier for _, earlier in matched})), len(matched), len(current))


@dataclass(frozen=True)
class Change:
    """A KPI against a comparison period, both over the same matched days (a `Window`); what a KPI card shows."""

    kind: str  # 'previous' | 'last_year'
    current: float | None  # the KPI over the matched days of the period (its value when every day matched)
    value: float | None  # the KPI of the comparison period; None when no day matched
    change_pct: float | None  # in percent; for a KPI read by its size (refunds), the change of the size
    matched: int
    total: int
    good: bool | None  # whether the change is good news; None for no change, no comparison or a neutral KPI

    @property
    def restricted(self) -> bool:
        return self.matched < self.total


def loaded_in_all(day_lists: Iterable[Collection[date]]) -> set[date]:
    """Days loaded in every one of the lists that has any day (a dataset never loaded does not count)."""
    lists = [set(days) for days in day_lists if days]
    return set.intersection(*lists) if lists else set()

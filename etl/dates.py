"""Business days: Odoo stores UTC timestamps; a business day is a calendar day in BUSINESS_TIMEZONE."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

ODOO_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def utc_window(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) in UTC of business day `day`: local midnight to the next local midnight."""
    start = datetime.combine(day, time.min, tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def odoo_window(day: date, tz: ZoneInfo) -> tuple[str, str]:
    """The UTC window of `day` as Odoo datetime literals for a search domain."""
    start, end = utc_window(day, tz)
    return start.strftime(ODOO_DATETIME_FORMAT), end.strftime(ODOO_DATETIME_FORMAT)


def business_today(tz: ZoneInfo, now: datetime | None = None) -> date:
    return (now or datetime.now(timezone.utc)).astimezone(tz).date()


def business_yesterday(tz: ZoneInfo, now: datetime | None = None) -> date:
    """The business day that has just ended: what a nightly run processes by default."""
    return business_today(tz, now) - timedelta(days=1)


def day_range(start: date, end: date) -> list[date]:
    """Every day from start to end inclusive."""
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def parse_day(value: str | date | None, tz: ZoneInfo) -> date:
    """A task's `target_date`: ISO string, date, or None for yesterday in the business timezone."""
    if value is None:
        return business_yesterday(tz)
    if isinstance(value, date):
        return value
    return date.fromisoformat(value)


def future_days(days: list[date], today: date) -> list[date]:
    """The days after `today` (the current business day): no daily fact of theirs can exist yet."""
    return [day for day in days if day > today]


class DayRangeError(ValueError):
    """A day range an operator asked for and the ETL refuses; the message is one line saying why. `reason`
    (`end-before-start` | `too-many-days` | `future-day`) and `values` (days as dates, counts as ints) say the same
    for a form that words it in another language."""

    def __init__(self, message: str, reason: str, **values: object) -> None:
        super().__init__(message)
        self.reason, self.values = reason, values


def checked_days(start: date, end: date, tz: ZoneInfo, *, allow_future: bool = False, max_days: int | None = None,
                 labels: tuple[str, str] = ("start", "end"), now: datetime | None = None) -> list[date]:
    """Every day from `start` to `end`, the operator input rules (console, operator window, dashboard) in one place.

    Refused with DayRangeError: `end` before `start`; more than `max_days` days; a day after the current business
    day in `tz` (today itself is allowed), unless `allow_future` (removing days loaded by mistake). `labels` name
    the two ends in the message as the caller's form does (`--start`/`--end`).
    """
    start_label, end_label = labels
    if end < start:
        raise DayRangeError(f"{end_label} {end} is before {start_label} {start}", "end-before-start", start=start,
                            end=end)
    days = day_range(start, end)
    if max_days is not None and len(days) > max_days:
        raise DayRangeError(f"{start} to {end} is {len(days)} days: at most {max_days} days at a time",
                            "too-many-days", start=start, end=end, days=len(days), max_days=max_days)
    today = business_today(tz, now)
    future = future_days(days, today)
    if future and not allow_future:
        raise DayRangeError(f"{future[0]} is after the current business day {today} ({tz.key}): "
                            "daily facts of future days do not exist yet", "future-day", day=future[0], today=today,
                            timezone=tz.key)
    return days

"""A deadline for the work of one business day (ETL_DAY_DEADLINE_SECONDS), so a hung Odoo fails the day loudly.

`day_deadline(seconds, what)` sets the deadline for the current thread (a context variable: another thread, or a
Celery task in another process, does not see it). Blocking code asks `remaining()` and caps its own timeouts with
`timeout_within(normal)`; when no time is left it raises `DeadlineExceeded`. Without a deadline these helpers change
nothing. Nested deadlines keep the earlier one.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Iterator


class DeadlineExceeded(RuntimeError):
    """The day (or other work) named `what` did not finish within its deadline; not a retry-later condition."""

    def __init__(self, what: str, seconds: float, detail: str = "") -> None:
        self.what = what
        self.seconds = seconds
        suffix = f": {detail}" if detail else ""
        super().__init__(f"{what} did not finish within its deadline of {seconds:g} s{suffix}")


@dataclass(frozen=True)
class _Deadline:
    expires_at: float  # time.monotonic()
    seconds: float
    what: str


_current: ContextVar[_Deadline | None] = ContextVar("nkdash_day_deadline", default=None)


@contextmanager
def day_deadline(seconds: float, what: str) -> Iterator[None]:
    """Give the body `seconds` to finish (cooperatively: code that blocks checks `remaining()`)."""
    if seconds <= 0:
        raise ValueError(f"a deadline must be positive, got {seconds!r}")
    new = _Deadline(time.monotonic() + seconds, float(seconds), what)
    outer = _current.get()
    token = _current.set(outer if outer is not None and outer.expires_at <= new.expires_at else new)
    try:
        yield
    finally:
        _current.reset(token)


def remaining() -> float | None:
    """Seconds left before the current deadline (0 once passed), or None when no deadline is set."""
    deadline = _current.get()
    if deadline is None:
        return None
    return max(0.0, deadline.expires_at - time.monotonic())


def exceeded(detail: str = "") -> DeadlineExceeded:
    """The exception for the current deadline (call only when one is set)."""
    deadline = _current.get()
    if deadline is None:
        raise RuntimeError("no deadline is set")
    return DeadlineExceeded(deadline.what, deadline.seconds, detail)


def check(detail: str = "") -> None:
    """Raise DeadlineExceeded when the current deadline has passed (no-op without a deadline)."""
    left = remaining()
    if left is not None and left <= 0:
        raise exceeded(detail)


def timeout_within(normal: float, detail: str = "") -> float:
    """`normal` capped by the time left; raises DeadlineExceeded when none is left."""
    left = remaining()
    if left is None:
        return normal
    if left <= 0:
        raise exceeded(detail)
    return min(normal, left)

"""Talk to demo_odoo's test endpoints: fault knobs and call counters."""

from __future__ import annotations

import json
import urllib.request
from contextlib import contextmanager
from typing import Any, Iterator

NO_FAULTS = {"latency_ms": 0, "failure_rate": 0, "session_expiry_calls": 0, "deny_models": [], "hang": False,
             "bad_records": []}


def _post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(f"{url}/demo/faults", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def demo_stats(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{url}/demo/stats", timeout=10) as response:
        return json.loads(response.read())


@contextmanager
def faults(url: str, **knobs: Any) -> Iterator[None]:
    """Apply fault knobs for the body, then switch every fault off again."""
    _post(url, knobs)
    try:
        yield
    finally:
        _post(url, NO_FAULTS)


def bad_records_report(url: str, day: str | None = None) -> dict[str, Any]:
    """``GET /demo/bad_records``: per kind, what was served (``{"kinds", "served": {kind: [entry]}}``); with
    ``day`` (``YYYY-MM-DD``) the planned targets of that business day (``{"kinds", "day", "targets": {kind: entry}}``).
    An entry is ``{"day", "model", "order_id", "line_id", "payment_id"}`` (ids ``None`` when not concerned)."""
    query = f"?day={day}" if day else ""
    with urllib.request.urlopen(f"{url}/demo/bad_records{query}", timeout=10) as response:
        return json.loads(response.read())

"""Talk to demo_odoo's test endpoints: fault knobs and call counters."""

from __future__ import annotations

import json
import urllib.request
from contextlib import contextmanager
from typing import Any, Iterator

NO_FAULTS = {"latency_ms": 0, "failure_rate": 0, "session_expiry_calls": 0, "deny_models": []}


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

"""Do Celery workers answer? A broadcast ping through the broker, for health (DESIGN §6).

A worker that died, hangs in its consumer or lost the broker stops answering, while Redis itself may be fine; the ping
tells the two apart. A minimal Celery app is made for the ping (importing `etl_tasks` would load the ETL and Odoo
client), and the answer is cached per process and asked again in the background every `CACHE_SECONDS`, so neither
`/health` nor a page waits for a ping (the ping waits its whole timeout for every worker's answer).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from typing import Any

from celery import Celery

from etl.settings import Settings

PING_TIMEOUT_SECONDS = 1.0
CACHE_SECONDS = 15.0
# The ping gives up instead of Celery's reconnect loop when the broker does not answer.
_BROKER_OPTIONS = {"max_retries": 0}

_cache: dict[str, tuple[float, dict[str, Any]]] = {}  # broker URL → (fresh until, report)
_asking: set[str] = set()  # broker URLs a background thread is pinging
_cache_lock = threading.Lock()


def _utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def broker_app(broker_url: str, timeout: float = PING_TIMEOUT_SECONDS, *, backend: str | None = None,
               name: str = "nkdash-health") -> Celery:
    """A minimal Celery app on `broker_url` (and result `backend`) that gives up after `timeout` instead of
    reconnecting: for processes that must not import `etl_tasks` (the dashboard) to ping workers or send a task by
    name. The caller closes it."""
    app = Celery(name, broker=broker_url, backend=backend, set_as_current=False)
    app.conf.update(broker_connection_retry=False, broker_connection_timeout=timeout,
                    broker_transport_options={**_BROKER_OPTIONS, "socket_timeout": timeout,
                                              "socket_connect_timeout": timeout},
                    redis_socket_timeout=timeout, redis_socket_connect_timeout=timeout)
    return app


def ping_workers(broker_url: str, timeout: float = PING_TIMEOUT_SECONDS) -> dict[str, Any]:
    """Ask every worker consuming through `broker_url` to answer within `timeout` (uncached).

    `{"ok": bool, "workers": [hostname, ...], "checked_at": iso}`, plus `error` (an exception type, never a URL)
    when the broker could not be asked.
    """
    app = broker_app(broker_url, timeout)
    try:
        replies = app.control.inspect(timeout=timeout).ping() or {}
    except Exception as exc:  # noqa: BLE001 - any broker failure means "no worker could be asked"
        return {"ok": False, "workers": [], "checked_at": _utc_now(), "error": type(exc).__name__}
    finally:
        app.close()
    workers = sorted(replies)
    return {"ok": bool(workers), "workers": workers, "checked_at": _utc_now()}


def worker_report(settings: Settings) -> dict[str, Any]:
    """`ping_workers` for the configured broker, cached in this process.

    A ping waits its whole timeout for answers, so a page never waits for it once the process has an answer: an
    answer older than `CACHE_SECONDS` is returned while one background thread asks again. Only a process's first
    ask waits (the serving process asks at start, see `warm_worker_report`)."""
    key = settings.redis_url
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            if cached[0] <= time.monotonic() and key not in _asking:
                _asking.add(key)
                threading.Thread(target=_ask, args=(key,), name="worker-ping", daemon=True).start()
            return cached[1]
    return _ask(key)


def warm_worker_report(settings: Settings) -> None:
    """Ask in the background now, so the first page that shows the workers does not wait for the ping."""
    threading.Thread(target=worker_report, args=(settings,), name="worker-ping", daemon=True).start()


def _ask(key: str) -> dict[str, Any]:
    try:
        report = ping_workers(key)
        with _cache_lock:
            _cache[key] = (time.monotonic() + CACHE_SECONDS, report)
        return report
    finally:
        with _cache_lock:
            _asking.discard(key)


def forget_worker_reports() -> None:
    """Drop the cached answers (tests; a process that just started or stopped workers)."""
    with _cache_lock:
        _cache.clear()

"""The Odoo JSON-RPC client NKDash uses everywhere: pooled per process, re-logging in on session expiry, retrying
transient failures with backoff, and paging `search_read` by id so the number of calls grows with pages, not records.

Field differences between Odoo versions are read from `fields_get`, never inferred from the version number.

Inside `etl.deadline.day_deadline` every HTTP request's socket timeout is capped by the time left, retries stop at the
deadline and the call raises `DeadlineExceeded` (a failed day, not OdooUnavailableError's "try later").
"""

from __future__ import annotations

import http.client
import logging
import os
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import odoorpc

from etl import deadline
from etl.deadline import DeadlineExceeded
from etl.settings import OdooSettings, get_settings

log = logging.getLogger(__name__)

Domain = list[Any]
Record = dict[str, Any]

SESSION_EXPIRED = "odoo.http.SessionExpiredException"
ACCESS_DENIED = "odoo.exceptions.AccessDenied"
ACCESS_ERROR = "odoo.exceptions.AccessError"
MISSING_ERROR = "odoo.exceptions.MissingError"
TRANSIENT_HTTP_STATUS = {429, 502, 503, 504}
TRANSIENT_NETWORK_ERRORS = (socket.timeout, TimeoutError, ConnectionError, http.client.HTTPException)


class OdooError(RuntimeError):
    """Odoo refused or failed a call; the message says which call and why (never the credentials)."""


class OdooAuthError(OdooError):
    """The login was refused: wrong database, user or API key. Not retried."""


class OdooAccessError(OdooError):
    """The user may not read a model or record (AccessError / MissingError). Not retried."""


class OdooUnavailableError(OdooError):
    """Odoo could not be reached or kept failing transiently after every retry."""


@dataclass
class CallStats:
    """RPC calls made by this client, for benchmarks and logs."""

    calls: int = 0
    retries: int = 0
    relogins: int = 0
    by_method: dict[str, int] = field(default_factory=dict)

    def count(self, model: str, method: str) -> None:
        self.calls += 1
        key = f"{model}.{method}"
        self.by_method[key] = self.by_method.get(key, 0) + 1


def _error_name(exc: odoorpc.error.RPCError) -> str:
    info = exc.info if isinstance(getattr(exc, "info", None), dict) else {}
    return str((info.get("data") or {}).get("name", ""))


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code in TRANSIENT_HTTP_STATUS
    if isinstance(exc, urllib.error.URLError):
        return True
    return isinstance(exc, TRANSIENT_NETWORK_ERRORS)


class _DeadlineOpener:
    """The URL opener odoorpc sends every request through, with each request's timeout capped by the deadline.

    odoorpc keeps one timeout per connection (`odoo.config['timeout']`, copied to its proxies) and passes it to
    `opener.open(request, timeout=...)`; capping it here applies per request and per thread (the deadline is a
    context variable), so no shared setting is changed and clients without a deadline behave as before.
    """

    def __init__(self, what: str) -> None:
        self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        self._what = what

    def open(self, request: urllib.request.Request, data: bytes | None = None,
             timeout: float | None = None) -> Any:
        left = deadline.remaining()
        if left is not None:
            if left <= 0:
                raise deadline.exceeded(f"no time left for a request to {self._what}")
            timeout = left if timeout is None else min(timeout, left)
        return self._opener.open(request, data, timeout)


class OdooClient:
    """One authenticated connection to one Odoo database."""

    def __init__(
        self,
        settings: OdooSettings,
        *,
        retries: int = 4,
        backoff_seconds: float = 0.5,
        timeout_seconds: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.retries = retries
        self.backoff_seconds = backoff_seconds
        self.timeout_seconds = timeout_seconds
        self.stats = CallStats()
        self._sleep = sleep
        self._odoo: odoorpc.ODOO | None = None
        self._fields: dict[str, dict[str, dict[str, Any]]] = {}
        self._lock = threading.RLock()

    # -- connection -------------------------------------------------------------------------------------------
    def _where(self) -> str:
        return f"{self.settings.url} db={self.settings.database} user={self.settings.username}"

    def _login(self) -> odoorpc.ODOO:
        odoo = odoorpc.ODOO(
            self.settings.host, protocol=self.settings.protocol, port=self.settings.port,
            timeout=self.timeout_seconds, opener=_DeadlineOpener(self.settings.url),
        )
        try:
            odoo.login(self.settings.database, self.settings.username, self.settings.api_key)
        except odoorpc.error.RPCError as exc:
            if _error_name(exc) in (ACCESS_DENIED, "") or "password" in str(exc).lower():
                raise OdooAuthError(
                    f"Odoo refused the login at {self._where()}: check ODOO_DB, ODOO_USERNAME and ODOO_API_KEY"
                ) from None
            raise OdooError(f"Odoo login failed at {self._where()}: {_error_name(exc) or 'error'}: {exc}") from None
        return odoo

    def connect(self) -> OdooClient:
        """Log in (with the same retries as calls); raises OdooAuthError, OdooUnavailableError or DeadlineExceeded."""
        with self._lock:
            if self._odoo is None:
                self._odoo = self._with_retries("login", self._login)
                log.info("odoo connected", extra={"odoo_url": self.settings.url, "version": self.server_version})
        return self

    @property
    def server_version(self) -> str:
        return str(self._odoo.version) if self._odoo is not None else "unknown"

    def _with_retries(self, what: str, action: Callable[[], Any]) -> Any:
        attempt = 0
        while True:
            try:
                return action()
            except (OdooAuthError, OdooAccessError, DeadlineExceeded):
                raise
            except Exception as exc:  # noqa: BLE001 - classified below, re-raised when not transient
                if not _is_transient(exc):
                    raise
                attempt += 1
                if attempt > self.retries:
                    raise OdooUnavailableError(
                        f"Odoo at {self.settings.url} failed {what} {attempt} times: {type(exc).__name__}: {exc}"
                    ) from None
                delay = self.backoff_seconds * 2 ** (attempt - 1)
                left = deadline.remaining()
                if left is not None and left <= delay:  # no time for another try: the day fails now
                    log.error("odoo call stopped by the day deadline",
                              extra={"call": what, "attempt": attempt, "error": str(exc)})
                    raise deadline.exceeded(
                        f"Odoo at {self.settings.url} {what} after {attempt} tries: {type(exc).__name__}: {exc}"
                    ) from None
                self.stats.retries += 1
                log.warning("odoo transient error, retrying",
                            extra={"call": what, "attempt": attempt, "delay_s": delay, "error": str(exc)})
                self._sleep(delay)

    # -- calls ------------------------------------------------------------------------------------------------
    def call(self, model: str, method: str, args: Sequence[Any] = (), kwargs: dict[str, Any] | None = None) -> Any:
        """`execute_kw` with retries, re-login on session expiry and Odoo errors mapped to OdooError types.

        Raises OdooAuthError, OdooAccessError, OdooUnavailableError, OdooError, or DeadlineExceeded inside a
        `day_deadline` that has run out.
        """
        self.connect()

        def once() -> Any:
            assert self._odoo is not None
            self.stats.count(model, method)
            return self._odoo.execute_kw(model, method, list(args), dict(kwargs or {}))

        for _ in range(2):
            try:
                return self._with_retries(f"{model}.{method}", once)
            except odoorpc.error.RPCError as exc:
                name = _error_name(exc)
                if name == SESSION_EXPIRED:
                    self._relogin()
                    continue
                if name in (ACCESS_ERROR, MISSING_ERROR, ACCESS_DENIED):
                    raise OdooAccessError(f"Odoo denied {model}.{method}: {exc}") from None
                raise OdooError(f"Odoo failed {model}.{method}: {name or 'error'}: {exc}") from None
        raise OdooError(f"Odoo session kept expiring during {model}.{method}")

    def _relogin(self) -> None:
        with self._lock:
            self.stats.relogins += 1
            log.info("odoo session expired, logging in again", extra={"odoo_url": self.settings.url})
            self._odoo = None
            self.connect()

    # -- metadata ---------------------------------------------------------------------------------------------
    def fields(self, model: str) -> dict[str, dict[str, Any]]:
        """`fields_get` of a model (type, relation, string), cached for the life of the client."""
        if model not in self._fields:
            self._fields[model] = self.call(model, "fields_get", [], {"attributes": ["type", "relation", "string"]})
        return self._fields[model]

    def has_field(self, model: str, name: str) -> bool:
        return name in self.fields(model)

    def first_field(self, model: str, candidates: Iterable[str]) -> str | None:
        """The first of `candidates` that the server's model has (e.g. `quantity` vs `qty_done`)."""
        available = self.fields(model)
        return next((name for name in candidates if name in available), None)

    def field_types(self, model: str, wanted: Iterable[str]) -> dict[str, str]:
        """The `wanted` fields this server's model has, in order, with their Odoo types."""
        present = self.fields(model)
        return {name: present[name]["type"] for name in wanted if name in present}

    def model_exists(self, model: str) -> bool:
        return bool(self.call("ir.model", "search", [[("model", "=", model)]], {"limit": 1}))

    # -- reading ----------------------------------------------------------------------------------------------
    def search_read_all(
        self,
        model: str,
        domain: Domain,
        fields: Sequence[str],
        *,
        context: dict[str, Any] | None = None,
        page_size: int | None = None,
    ) -> list[Record]:
        """Every record matching `domain`, read in pages keyed by id (stable while records change)."""
        size = page_size or self.settings.page_size
        records: list[Record] = []
        last_id = 0
        kwargs: dict[str, Any] = {"fields": list(fields), "order": "id asc", "limit": size}
        if context:
            kwargs["context"] = context
        while True:
            page = self.call(model, "search_read", [[*domain, ("id", ">", last_id)]], kwargs)
            records.extend(page)
            if len(page) < size:
                return records
            last_id = page[-1]["id"]


_pool: dict[tuple[int, str, str, str], OdooClient] = {}
_pool_lock = threading.Lock()


def get_odoo_connection(settings: OdooSettings | None = None) -> OdooClient:
    """The process's client for the configured Odoo (re-created after a fork, e.g. in a Celery worker child)."""
    odoo_settings = settings or get_settings().require_odoo()
    key = (os.getpid(), odoo_settings.url, odoo_settings.database, odoo_settings.username)
    with _pool_lock:
        client = _pool.get(key)
        if client is None:
            client = _pool[key] = OdooClient(odoo_settings)
    return client.connect()


def reset_pool() -> None:
    """Drop pooled clients (tests switch servers between cases)."""
    with _pool_lock:
        _pool.clear()

"""Fault injection and call statistics for object (model) calls.

Knobs (all changeable at runtime through ``POST /demo/faults``):

* ``latency_ms``: sleep before every object call;
* ``failure_rate``: fraction of object calls answered with HTTP 502/503
  (deterministic: a ``random.Random`` seeded with the data seed decides, in call order);
* ``session_expiry_calls``: a session (cookie, or uid for ``/jsonrpc``) expires after
  that many object calls and stays expired until the client logs in again;
* ``deny_models``: every call on these models raises ``odoo.exceptions.AccessError``;
* ``hang``: every object call is accepted (the connection stays open) and never answered
  until the knob is switched off (the call then runs normally) or the server stops (the
  connection is closed without an answer);
* ``bad_records``: odd POS records in read answers, see :mod:`.bad_records`.
"""
from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .bad_records import KINDS
from .errors import access_error, session_expired, value_error


class ServerStopping(Exception):
    """A hung call released because the server stops: close the connection without an answer."""


@dataclass
class Faults:
    """Mutable fault knobs plus per-(model, method) call counters; thread-safe."""

    seed: int = 42
    latency_ms: float = 0.0
    failure_rate: float = 0.0
    session_expiry_calls: int = 0
    deny_models: set[str] = field(default_factory=set)
    hang: bool = False
    bad_records: list[str] = field(default_factory=list)
    hanging: int = 0
    calls: Counter = field(default_factory=Counter)
    injected_failures: int = 0
    expired_sessions: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _rng: random.Random = field(init=False, repr=False)
    _session_calls: Counter = field(default_factory=Counter, repr=False)
    _resume: threading.Event = field(default_factory=threading.Event, repr=False)
    _stopping: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        if not self.hang:
            self._resume.set()

    def update(self, knobs: dict[str, Any]) -> dict[str, Any]:
        """Apply ``knobs`` (same names as the CLI options); return the new settings."""
        allowed = {"latency_ms", "failure_rate", "session_expiry_calls", "deny_models", "hang", "bad_records",
                   "reset_stats"}
        unknown = set(knobs) - allowed
        if unknown:
            raise value_error(f"unknown fault knob(s): {sorted(unknown)}")
        requested = knobs.get("bad_records") or []
        kinds = list(dict.fromkeys([requested] if isinstance(requested, str) else requested))
        if set(kinds) - set(KINDS):
            raise value_error(f"unknown bad_records kind(s): {sorted(set(kinds) - set(KINDS))}; known: {list(KINDS)}")
        with self._lock:
            if "latency_ms" in knobs:
                self.latency_ms = max(0.0, float(knobs["latency_ms"]))
            if "failure_rate" in knobs:
                rate = float(knobs["failure_rate"])
                if not 0.0 <= rate <= 1.0:
                    raise value_error("failure_rate must be between 0 and 1")
                self.failure_rate = rate
                self._rng = random.Random(self.seed)
            if "session_expiry_calls" in knobs:
                self.session_expiry_calls = max(0, int(knobs["session_expiry_calls"] or 0))
                self._session_calls.clear()
            if "deny_models" in knobs:
                self.deny_models = set(knobs["deny_models"] or [])
            if "bad_records" in knobs:
                self.bad_records = kinds
            if "hang" in knobs:
                self.hang = bool(knobs["hang"])
                if self.hang:
                    self._resume.clear()
                else:
                    self._resume.set()
            if knobs.get("reset_stats"):
                self.calls.clear()
                self.injected_failures = 0
                self.expired_sessions = 0
        return self.settings()

    def settings(self) -> dict[str, Any]:
        return {"latency_ms": self.latency_ms, "failure_rate": self.failure_rate,
                "session_expiry_calls": self.session_expiry_calls, "deny_models": sorted(self.deny_models),
                "hang": self.hang, "bad_records": list(self.bad_records)}

    def stats(self) -> dict[str, Any]:
        with self._lock:
            per_model: dict[str, dict[str, int]] = {}
            for (model, method), count in sorted(self.calls.items()):
                per_model.setdefault(model, {})[method] = count
            return {"calls": per_model, "total": sum(self.calls.values()),
                    "injected_failures": self.injected_failures,
                    "expired_sessions": self.expired_sessions, "hanging": self.hanging,
                    "settings": self.settings()}

    def release(self) -> None:
        """The server stops: hung calls return (and their connections close unanswered)."""
        self._stopping = True
        self._resume.set()

    def _wait_while_hung(self) -> None:
        if self._resume.is_set():
            return
        with self._lock:
            self.hanging += 1
        try:
            self._resume.wait()
        finally:
            with self._lock:
                self.hanging -= 1
        if self._stopping:
            raise ServerStopping()

    def login(self, session_key: str) -> None:
        """A fresh login: the session's call budget starts again."""
        with self._lock:
            self._session_calls.pop(session_key, None)

    def before_call(self, model: str, method: str, session_key: str, description: str) -> int | None:
        """Count the call and apply the knobs.

        Blocks while ``hang`` is on (raises :class:`ServerStopping` if the server stops meanwhile).
        Returns an HTTP status (502/503) when the call must fail as a transient
        gateway error, raises the Odoo error for expired sessions or denied
        models, else returns ``None``.
        """
        with self._lock:
            self.calls[(model, method)] += 1
        self._wait_while_hung()
        with self._lock:
            latency = self.latency_ms
            fail_status = None
            if self.failure_rate and self._rng.random() < self.failure_rate:
                fail_status = 502 if self._rng.random() < 0.5 else 503
                self.injected_failures += 1
            expired = False
            if fail_status is None and self.session_expiry_calls:
                used = self._session_calls[session_key]
                if used >= self.session_expiry_calls:
                    expired = True
                    self.expired_sessions += 1
                else:
                    self._session_calls[session_key] = used + 1
            denied = model in self.deny_models
        if latency:
            time.sleep(latency / 1000.0)
        if fail_status is not None:
            return fail_status
        if expired:
            raise session_expired()
        if denied:
            raise access_error(
                f"You are not allowed to access '{description}' ({model}) records.\n\n"
                "This operation is allowed for the following groups:\n\t- Administration/Settings\n\n"
                "Contact your administrator to request access if necessary.")
        return None

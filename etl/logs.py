"""Structured logging: one JSON object per line (or key=value text), configured once per process entry point.

No secret reaches the log at any level (DESIGN §2): the handler's `RedactSecrets` filter replaces every configured
secret value (ODOO_API_KEY, OPS_PASSWORD, the password in REDIS_URL) with `***` in the message, its arguments, the
extra fields and the exception text; and loggers known to print credentials at DEBUG are held at INFO.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime, timezone
from typing import Any, Iterable
from urllib.parse import quote, unquote, urlparse

MASK = "***"
_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}

#: Loggers held at INFO or above even with LOG_LEVEL=DEBUG:
#: - odoorpc logs every JSON-RPC payload at DEBUG; it hides only a `password` keyword, not the password that
#:   `execute_kw` sends as a positional argument (`[db, uid, password, model, method, ...]`);
#: - urllib3 logs request URLs at DEBUG, which may carry credentials (userinfo or query parameters).
#: kombu and celery mask the broker password in the URLs they print, so they keep LOG_LEVEL.
CHATTY_LOGGERS = ("odoorpc", "urllib3")


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {key: value for key, value in vars(record).items() if key not in _RESERVED}


def _exception_text(formatter: logging.Formatter, record: logging.LogRecord) -> str:
    """The (already redacted) `exc_text` when the filter set it, else the formatted exception."""
    if record.exc_text:
        return record.exc_text
    return formatter.formatException(record.exc_info) if record.exc_info else ""


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
            **_fields(record),
        }
        exc = _exception_text(self, record)
        if exc:
            payload["exc"] = exc
        return json.dumps(payload, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        extras = " ".join(f"{key}={value}" for key, value in _fields(record).items())
        line = f"{record.levelname:<7} {record.name}: {record.getMessage()} {extras}".rstrip()
        exc = _exception_text(self, record)
        return line + ("\n" + exc if exc else "")


def _configured_secrets() -> list[str]:
    """The secret values of the settings, or of the environment when settings cannot be loaded."""
    try:
        from etl.settings import get_settings  # lazy: logging is configured before (and without) valid settings

        settings = get_settings()
        values = [settings.odoo.api_key if settings.odoo else None, settings.ops_password,
                  urlparse(settings.redis_url).password]
    except Exception:  # noqa: BLE001 - no or invalid settings: fall back to the raw environment
        values = [os.environ.get(name) for name in ("ODOO_API_KEY", "ODOO_PASSWORD", "OPS_PASSWORD")]
        values.append(urlparse(os.environ.get("REDIS_URL", "")).password)
    return [value for value in values if value]


def _variants(secrets: Iterable[str]) -> list[str]:
    """Each secret as written, URL-(un)quoted, and escaped as repr()/JSON show it; longest first."""
    found: set[str] = set()
    for secret in secrets:
        found.update({secret, unquote(secret), quote(secret, safe=""), repr(secret)[1:-1], json.dumps(secret)[1:-1]})
    return sorted((value for value in found if value), key=len, reverse=True)


class RedactSecrets(logging.Filter):
    """Replace every configured secret with `***` in a record before it is formatted (never drops a record).

    Secrets are read lazily from the settings on each record (cheap: settings are cached), so a filter installed
    before the settings are loaded, or after they change in tests, still knows them.
    """

    def __init__(self, secrets: Iterable[str] | None = None) -> None:
        super().__init__()
        self._fixed = list(secrets) if secrets is not None else None

    def _secrets(self) -> list[str]:
        return _variants(self._fixed if self._fixed is not None else _configured_secrets())

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = self._secrets()
        if not secrets:
            return True

        def clean(text: str) -> str:
            for secret in secrets:
                text = text.replace(secret, MASK)
            return text

        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string: keep what it was given, redacted
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = clean(message), None
        for key, value in _fields(record).items():
            text = value if isinstance(value, str) else str(value)
            if clean(text) != text:
                setattr(record, key, clean(text))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = clean(record.exc_text)
        if record.stack_info:
            record.stack_info = clean(record.stack_info)
        return True


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    """Install one stderr handler on the root logger, with secret redaction (idempotent)."""
    root = logging.getLogger()
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RedactSecrets())
    root.handlers[:] = [handler]
    root.setLevel(level)
    floor = max(logging.INFO, root.level)  # a logger's own level overrides the root's: never go below the root
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(floor)

"""The one place NKDash reads its settings (DESIGN §2) from the environment and `.env`.

Every process (worker, beat, dashboard, scripts) calls `get_settings()`; a missing or malformed value raises
`SettingsError` whose message is one line naming the setting, and `exit_on_invalid_settings()` turns that into a
clean process exit. Secrets are kept out of `repr()` so a logged settings object never leaks them.
"""

from __future__ import annotations

import re

import os
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Callable, Mapping, TypeVar
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

T = TypeVar("T")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROTOCOLS = ("jsonrpc", "jsonrpc+ssl")
LOG_FORMATS = ("json", "text")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOCK_BACKENDS = ("redis", "file")
MIN_SECRET_KEY_CHARS = 32


class SettingsError(ValueError):
    """A setting is missing or malformed; the message is one line that names it."""


@dataclass(frozen=True)
class OdooSettings:
    host: str
    port: int
    protocol: str
    database: str
    username: str
    api_key: str = field(repr=False)
    page_size: int
    brand_field: str  # "auto", "none" or a field name on product.product

    @property
    def url(self) -> str:
        scheme = "https" if self.protocol == "jsonrpc+ssl" else "http"
        return f"{scheme}://{self.host}:{self.port}"


@dataclass(frozen=True)
class Settings:
    odoo: OdooSettings | None  # None when no Odoo is configured (dashboard-only processes)
    redis_url: str = field(repr=False)
    data_lake_root: str
    business_timezone: ZoneInfo
    etl_start_date: date | None
    late_change_window_days: int
    lock_ttl_seconds: int
    lock_backend: str  # redis (shared by every host) | file (one host, no broker: `make run` without Redis)
    day_deadline_seconds: int
    today_refresh_minutes: int  # 0: no today-so-far refresh
    max_line_amount: float
    span_records: int  # backfills read consecutive days in spans of about this many records (etl/extract/spans.py)
    worker_concurrency: int
    task_soft_time_limit: int
    task_time_limit: int
    visibility_timeout_seconds: int
    dash_cache_ttl_seconds: int
    dash_duckdb_memory_limit: str | None  # DuckDB memory of a dashboard process (None: the serving default, 128MB)
    ops_username: str | None
    ops_password: str | None = field(repr=False)
    secret_key: str | None = field(repr=False)  # NKDASH_SECRET_KEY: signs the dashboard's session cookies
    log_level: str
    log_format: str
    host: str
    port: int

    @property
    def ops_enabled(self) -> bool:
        return bool(self.ops_username and self.ops_password)

    def require_odoo(self) -> OdooSettings:
        """The Odoo settings, or a SettingsError naming the first missing one."""
        if self.odoo is None:
            raise SettingsError("ODOO_HOST (or ODOO_URL) is not set: NKDash needs an Odoo server to extract from")
        return self.odoo


def _read(env: Mapping[str, str], name: str, *aliases: str) -> str | None:
    for key in (name, *aliases):
        value = env.get(key)
        if value is not None and value.strip() != "":
            return value.strip()
    return None


def _parse(env: Mapping[str, str], name: str, default: T, convert: Callable[[str], T], expected: str) -> T:
    raw = _read(env, name)
    if raw is None:
        return default
    try:
        return convert(raw)
    except (ValueError, ZoneInfoNotFoundError) as exc:
        raise SettingsError(f"{name}={raw!r} is invalid: expected {expected}") from exc


_MEMORY_SIZE = re.compile(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)


def _memory_size(raw: str) -> str:
    """A DuckDB memory size (`640MB`, `1GiB`); it reaches SQL as text, so only this shape is accepted."""
    if not _MEMORY_SIZE.fullmatch(raw.strip()):
        raise ValueError("not a memory size")
    return raw.strip()


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("not positive")
    return value


def _positive_float(raw: str) -> float:
    value = float(raw)
    if not value > 0 or value == float("inf"):
        raise ValueError("not a positive finite number")
    return value


def _minutes_of_an_hour(raw: str) -> int:
    value = int(raw)
    if not 0 <= value <= 59:
        raise ValueError("not 0..59")
    return value


def _require_increasing(*limits: tuple[str, int]) -> None:
    """Each limit must exceed the one before: a day's deadline < soft < hard time limit < broker visibility timeout,
    so a hung day fails by its deadline, and a message is redelivered only after its task can no longer be running."""
    for (lower_name, lower), (name, value) in zip(limits, limits[1:]):
        if value <= lower:
            raise SettingsError(f"{name}={value} is invalid: it must exceed {lower_name}={lower}")


def _choice(options: tuple[str, ...], *, upper: bool = False) -> Callable[[str], str]:
    def convert(raw: str) -> str:
        value = raw.upper() if upper else raw.lower()
        if value not in options:
            raise ValueError(value)
        return value

    return convert


def _odoo_settings(env: Mapping[str, str]) -> OdooSettings | None:
    url = _read(env, "ODOO_URL")
    host = _read(env, "ODOO_HOST")
    if url is None and host is None:
        return None
    protocol = _parse(env, "ODOO_PROTOCOL", "jsonrpc+ssl", _choice(PROTOCOLS), "jsonrpc or jsonrpc+ssl")
    port = _parse(env, "ODOO_PORT", 443, _positive_int, "a port number")
    if url is not None:
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise SettingsError(f"ODOO_URL={url!r} is invalid: expected http(s)://host[:port]")
        host = parsed.hostname
        protocol = "jsonrpc+ssl" if parsed.scheme == "https" else "jsonrpc"
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
    required = {
        "ODOO_DB": _read(env, "ODOO_DB"),
        "ODOO_USERNAME": _read(env, "ODOO_USERNAME", "ODOO_USER"),
        "ODOO_API_KEY": _read(env, "ODOO_API_KEY", "ODOO_PASSWORD"),
    }
    for name, value in required.items():
        if value is None:
            raise SettingsError(f"{name} is not set: it is required when an Odoo server is configured")
    assert host is not None
    return OdooSettings(
        host=host,
        port=port,
        protocol=protocol,
        database=required["ODOO_DB"] or "",
        username=required["ODOO_USERNAME"] or "",
        api_key=required["ODOO_API_KEY"] or "",
        page_size=_parse(env, "ODOO_PAGE_SIZE", 2000, _positive_int, "a positive integer"),
        brand_field=_read(env, "ODOO_BRAND_FIELD") or "auto",
    )


def load_settings(env: Mapping[str, str]) -> Settings:
    """Build Settings from a mapping of environment variables (pure; used directly by tests)."""
    deadline = _parse(env, "ETL_DAY_DEADLINE_SECONDS", 600, _positive_int, "seconds")
    soft = _parse(env, "CELERY_TASK_SOFT_TIME_LIMIT", 660, _positive_int, "seconds")
    hard = _parse(env, "CELERY_TASK_TIME_LIMIT", 720, _positive_int, "seconds")
    visibility = _parse(env, "CELERY_VISIBILITY_TIMEOUT_SECONDS", 900, _positive_int, "seconds")
    _require_increasing(("ETL_DAY_DEADLINE_SECONDS", deadline), ("CELERY_TASK_SOFT_TIME_LIMIT", soft),
                        ("CELERY_TASK_TIME_LIMIT", hard), ("CELERY_VISIBILITY_TIMEOUT_SECONDS", visibility))
    ops_user, ops_password = _read(env, "OPS_USERNAME"), _read(env, "OPS_PASSWORD")
    if bool(ops_user) != bool(ops_password):
        missing = "OPS_PASSWORD" if ops_user else "OPS_USERNAME"
        raise SettingsError(f"{missing} is not set: OPS_USERNAME and OPS_PASSWORD go together")
    secret_key = _read(env, "NKDASH_SECRET_KEY")
    if secret_key is not None and len(secret_key) < MIN_SECRET_KEY_CHARS:  # the value is never shown: a secret
        raise SettingsError(f"NKDASH_SECRET_KEY is too short: use at least {MIN_SECRET_KEY_CHARS} random characters")
    lake_root = _read(env, "DATA_LAKE_ROOT") or str(PROJECT_ROOT / "data-lake")
    if "://" in lake_root:
        raise SettingsError(f"DATA_LAKE_ROOT={lake_root!r} is not supported yet: use a local or mounted directory")
    return Settings(
        odoo=_odoo_settings(env),
        redis_url=_read(env, "REDIS_URL") or "redis://localhost:6379/0",
        data_lake_root=lake_root,
        business_timezone=_parse(env, "BUSINESS_TIMEZONE", ZoneInfo("Asia/Jakarta"), ZoneInfo, "an IANA zone"),
        etl_start_date=_parse(env, "ETL_START_DATE", None, date.fromisoformat, "YYYY-MM-DD"),
        late_change_window_days=_parse(env, "ETL_LATE_CHANGE_WINDOW_DAYS", 7, _positive_int, "days"),
        lock_ttl_seconds=_parse(env, "ETL_LOCK_TTL_SECONDS", 60, _positive_int, "seconds"),
        lock_backend=_parse(env, "ETL_LOCK_BACKEND", "redis", _choice(LOCK_BACKENDS), "redis or file"),
        day_deadline_seconds=deadline,
        today_refresh_minutes=_parse(env, "ETL_TODAY_REFRESH_MINUTES", 5, _minutes_of_an_hour, "0 to 59 minutes"),
        max_line_amount=_parse(env, "ETL_MAX_LINE_AMOUNT", 1e12, _positive_float, "a positive number"),
        span_records=_parse(env, "ETL_SPAN_RECORDS", 30_000, _positive_int, "a positive integer"),
        worker_concurrency=_parse(env, "CELERY_WORKER_CONCURRENCY", 2, _positive_int, "a positive integer"),
        task_soft_time_limit=soft,
        task_time_limit=hard,
        visibility_timeout_seconds=visibility,
        dash_cache_ttl_seconds=_parse(env, "DASH_CACHE_TTL_SECONDS", 300, int, "seconds"),
        dash_duckdb_memory_limit=_parse(env, "DASH_DUCKDB_MEMORY_LIMIT", None, _memory_size, "a size such as 640MB"),
        ops_username=ops_user,
        ops_password=ops_password,
        secret_key=secret_key,
        log_level=_parse(env, "LOG_LEVEL", "INFO", _choice(LOG_LEVELS, upper=True), "DEBUG/INFO/WARNING/ERROR"),
        log_format=_parse(env, "LOG_FORMAT", "json", _choice(LOG_FORMATS), "json or text"),
        host=_read(env, "HOST") or "127.0.0.1",
        port=_parse(env, "PORT", 8050, _positive_int, "a port number"),
    )


def _environment() -> dict[str, str]:
    """`.env` (when present in the working directory or project root) overlaid by the real environment."""
    merged: dict[str, str] = {}
    for candidate in (PROJECT_ROOT / ".env", Path.cwd() / ".env"):
        if candidate.is_file():
            merged.update({k: v for k, v in dotenv_values(candidate).items() if v is not None})
    if os.environ.get("NKDASH_IGNORE_DOTENV") == "1":
        merged = {}
    merged.update(os.environ)
    return merged


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings(_environment())


def reset_settings_cache() -> None:
    """Forget the cached settings (tests change the environment between cases)."""
    get_settings.cache_clear()


def exit_on_invalid_settings() -> Settings:
    """Settings for a process entry point: print one clear line and exit 2 when a setting is wrong."""
    try:
        return get_settings()
    except SettingsError as exc:
        raise SystemExit(f"nkdash: configuration error: {exc}") from None

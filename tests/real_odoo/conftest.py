"""A real Odoo 17 to run NKDash against (see /work/shared/real-odoo/README.md: setup.sh, restore.sh, serve.sh).

The server is found, never started or stopped here: REAL_ODOO_URL (default http://127.0.0.1:8069), database
REAL_ODOO_DB (default nkdash_real17), admin/admin. When it does not answer, or refuses the login, every test that
uses it is skipped with the reason — its absence never fails a run. These tests are marked `real_odoo`, which the
default `make test` deselects; `make test-real-odoo` runs them.

Figures the tests record with `real_report` are printed in the terminal summary ("real Odoo figures"), with or
without `-s`, so they can be quoted.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Iterator

import pytest

from etl.settings import Settings, load_settings
from odoorpc_connector import OdooClient

REAL_ODOO_URL = "http://127.0.0.1:8069"
REAL_ODOO_DB = "nkdash_real17"
# The month the snapshot holds (business days in Asia/Jakarta), see the real-odoo README.
FIRST_DAY = date(2026, 10, 25)
DAYS = 30
REAL_DAYS = [FIRST_DAY + timedelta(days=n) for n in range(DAYS)]
PROBE_TIMEOUT = 5.0

_REPORT: list[str] = []


@dataclass(frozen=True)
class RealOdoo:
    url: str
    database: str
    version: str

    def env(self, lake: Path, **extra: str) -> dict[str, str]:
        """Settings variables pointing the ETL at this server and `lake` (file locks: no Redis needed)."""
        return {"ODOO_URL": self.url, "ODOO_DB": self.database, "ODOO_USERNAME": "admin", "ODOO_API_KEY": "admin",
                "DATA_LAKE_ROOT": str(lake), "ETL_LOCK_BACKEND": "file", "REDIS_URL": "redis://127.0.0.1:6379/13",
                **extra}

    def settings(self, lake: Path, **extra: str) -> Settings:
        return load_settings(self.env(lake, **extra))

    def client(self, lake: Path) -> OdooClient:
        return OdooClient(self.settings(lake).require_odoo(), backoff_seconds=0.2).connect()


def _post(url: str, payload: dict) -> dict:
    request = urllib.request.Request(url, json.dumps(payload).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=PROBE_TIMEOUT) as response:
        return json.loads(response.read())


def _probe(url: str, database: str) -> RealOdoo:
    """The server at `url` if it answers JSON-RPC and admin/admin logs into `database`; else pytest.skip."""
    how_to = "start it with /work/shared/real-odoo/serve.sh 8069 (see its README) or set REAL_ODOO_URL"
    try:
        info = _post(f"{url}/web/webclient/version_info", {"jsonrpc": "2.0", "method": "call", "params": {}, "id": 1})
        version = str(info["result"]["server_version"])
        login = _post(f"{url}/jsonrpc", {"jsonrpc": "2.0", "method": "call", "id": 2, "params": {
            "service": "common", "method": "login", "args": [database, "admin", "admin"]}})
    except (OSError, urllib.error.URLError, ValueError, KeyError, TypeError) as exc:
        pytest.skip(f"no real Odoo answers at {url} ({type(exc).__name__}: {exc}); {how_to}")
    if not login.get("result"):
        reason = (login.get("error") or {}).get("data", {}).get("message") or "login refused"
        reason = " ".join(str(reason).split())
        pytest.skip(f"real Odoo at {url} (version {version}) refuses admin/admin on database {database!r}: "
                    f"{reason}; restore it with /work/shared/real-odoo/restore.sh snapshot/nkdash_real17.dump")
    return RealOdoo(url.rstrip("/"), database, version)


@pytest.fixture(scope="session")
def real_odoo() -> RealOdoo:
    """The real Odoo of the session (skips every test using it when it is not there)."""
    url = os.environ.get("REAL_ODOO_URL", REAL_ODOO_URL).rstrip("/")
    database = os.environ.get("REAL_ODOO_DB", REAL_ODOO_DB)
    return _probe(url, database)


@pytest.fixture
def real_report() -> Iterator[list[str]]:
    """Lines appended here are printed (stdout) and repeated in the terminal summary."""
    lines: list[str] = []
    yield lines
    if lines:
        print("\n".join(lines))
        _REPORT.extend([*lines, ""])


def pytest_terminal_summary(terminalreporter) -> None:  # noqa: ANN001 - pytest hook
    if _REPORT:
        terminalreporter.section("real Odoo figures")
        for line in _REPORT:
            terminalreporter.write_line(line)

"""In-process demo_odoo servers (one per Odoo version) and logged-in odoorpc clients."""
from __future__ import annotations

from datetime import date
from typing import Iterator

import odoorpc
import pytest

from demo_odoo.server import DemoOdoo, serve

END_DATE = date(2025, 3, 31)
DAYS = 21


@pytest.fixture(scope="session", params=[16, 17, 18], ids=lambda v: f"odoo{v}")
def demo_server(request: pytest.FixtureRequest) -> Iterator[DemoOdoo]:
    app = serve(port=0, odoo_version=request.param, days=DAYS, seed=7, end_date=END_DATE)
    try:
        yield app
    finally:
        app.stop()


@pytest.fixture()
def odoo(demo_server: DemoOdoo) -> odoorpc.ODOO:
    demo_server.faults.update({"latency_ms": 0, "failure_rate": 0, "session_expiry_calls": 0, "deny_models": []})
    client = odoorpc.ODOO("127.0.0.1", port=demo_server.port, protocol="jsonrpc")
    client.login("nkdash_demo", "admin", "admin")
    return client

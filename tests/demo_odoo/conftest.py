"""In-process demo_odoo servers (one per Odoo version) and logged-in odoorpc clients.

``demo_server`` / ``odoo`` serve the shared, read-only data of the read tests; tests that change data
(writes, fault knobs that alter answers) use ``scratch_server`` / ``scratch``: a small server of their
own per test module, so the shared data stays as generated.
"""
from __future__ import annotations

from datetime import date
from typing import Iterator

import odoorpc
import pytest

from demo_odoo.server import DemoOdoo, serve
from tests.support.demo_control import NO_FAULTS

END_DATE = date(2025, 3, 31)
DAYS = 21


def login(server: DemoOdoo, timeout: float = 30) -> odoorpc.ODOO:
    client = odoorpc.ODOO("127.0.0.1", port=server.port, protocol="jsonrpc", timeout=timeout)
    client.login("nkdash_demo", "admin", "admin")
    return client


def serving(version: int, days: int, seed: int) -> Iterator[DemoOdoo]:
    app = serve(port=0, odoo_version=version, days=days, seed=seed, end_date=END_DATE)
    try:
        yield app
    finally:
        app.stop()


@pytest.fixture(scope="session", params=[16, 17, 18], ids=lambda v: f"odoo{v}")
def demo_server(request: pytest.FixtureRequest) -> Iterator[DemoOdoo]:
    yield from serving(request.param, DAYS, seed=7)


@pytest.fixture()
def odoo(demo_server: DemoOdoo) -> odoorpc.ODOO:
    demo_server.faults.update(NO_FAULTS)
    return login(demo_server)


@pytest.fixture(scope="module", params=[16, 17, 18], ids=lambda v: f"odoo{v}")
def scratch_server(request: pytest.FixtureRequest) -> Iterator[DemoOdoo]:
    yield from serving(request.param, 4, seed=11)


@pytest.fixture()
def scratch(scratch_server: DemoOdoo) -> odoorpc.ODOO:
    scratch_server.faults.update(NO_FAULTS)
    return login(scratch_server)

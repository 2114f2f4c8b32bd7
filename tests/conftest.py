"""Session-wide fixtures: a settings environment isolated from the developer's `.env`, demo Odoo servers and a
temporary lake. Every process a fixture starts is stopped when the fixture ends, even after a failure."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
from redis import StrictRedis

from etl.settings import Settings, load_settings, reset_settings_cache
from odoorpc_connector import reset_pool
from tests.support.demo_days import DEMO_DAYS
from tests.support.processes import PYTHON, ChildProcess, RedisServer, isolated_env, redis_server, running

os.environ["NKDASH_IGNORE_DOTENV"] = "1"
DEMO_SEED = 42


@dataclass(frozen=True)
class DemoOdoo:
    url: str
    version: int
    process: ChildProcess

    def env(self, lake: Path, **extra: str) -> dict[str, str]:
        """Settings variables pointing the ETL at this server and `lake`."""
        return {"ODOO_URL": self.url, "ODOO_DB": "nkdash_demo", "ODOO_USERNAME": "admin", "ODOO_API_KEY": "admin",
                "DATA_LAKE_ROOT": str(lake), "REDIS_URL": "redis://127.0.0.1:6379/13", **extra}

    def settings(self, lake: Path, **extra: str) -> Settings:
        return load_settings(self.env(lake, **extra))


def start_demo(version: int, *extra: str) -> Iterator[DemoOdoo]:
    args = [PYTHON, "-m", "demo_odoo", "--host", "127.0.0.1", "--port", "0", "--odoo-version", str(version),
            "--days", str(DEMO_DAYS), "--seed", str(DEMO_SEED), *extra]
    with running(args, isolated_env()) as child:
        match = child.wait_for(r"ready on (http://[\d.]+:\d+)", timeout=120)
        yield DemoOdoo(match.group(1), version, child)


@pytest.fixture(scope="session", params=[16, 17, 18], ids=lambda v: f"odoo{v}")
def demo_odoo(request: pytest.FixtureRequest) -> Iterator[DemoOdoo]:
    """A demo Odoo per version (16, 17, 18), shared by the tests of a session."""
    yield from start_demo(request.param)


@pytest.fixture(scope="session")
def demo_odoo17() -> Iterator[DemoOdoo]:
    yield from start_demo(17)


@pytest.fixture(scope="module")
def writable_demo17() -> Iterator[DemoOdoo]:
    """A demo Odoo 17 of the test module's own: its tests change records over RPC as a shop would."""
    yield from start_demo(17)


@pytest.fixture(scope="module")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """The test module's own redis-server on a free port (nothing saved), for tests that run Celery workers."""
    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def broker(redis: RedisServer) -> str:
    """The module's Redis, emptied for this test: its URL."""
    client = StrictRedis.from_url(redis.url())
    try:
        client.flushall()
    finally:
        client.close()
    return redis.url()


@pytest.fixture(autouse=True)
def _fresh_process_state() -> Iterator[None]:
    reset_settings_cache()
    reset_pool()
    yield
    reset_pool()

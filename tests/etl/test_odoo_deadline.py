"""The day deadline: a hung or unreachable Odoo fails the day with DeadlineExceeded by its deadline, instead of holding
it for timeout x retries; inside a generous deadline (or none) calls work as before."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

from etl import deadline
from etl.deadline import DeadlineExceeded, day_deadline
from etl.settings import OdooSettings
from odoorpc_connector import OdooClient, OdooUnavailableError
from tests.conftest import DemoOdoo
from tests.support.demo_control import faults
from tests.support.processes import free_port

WHAT = "pos_order_lines 2026-01-06"


def _settings(port: int) -> OdooSettings:
    return OdooSettings(host="127.0.0.1", port=port, protocol="jsonrpc", database="nkdash_demo", username="admin",
                        api_key="admin", page_size=100, brand_field="auto")


@pytest.fixture
def hung_port() -> Iterator[int]:
    """A TCP server that accepts every connection and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    listener.close()


def _fails_by_deadline(client: OdooClient, seconds: float = 2.0) -> DeadlineExceeded:
    started = time.monotonic()
    with day_deadline(seconds, WHAT), pytest.raises(DeadlineExceeded) as raised:
        client.call("res.partner", "search", [[]])
    elapsed = time.monotonic() - started
    assert elapsed < seconds + 1, f"failed after {elapsed:.1f} s, not by the {seconds} s deadline"
    assert WHAT in str(raised.value) and f"{seconds:g} s" in str(raised.value)
    return raised.value


def test_a_hung_odoo_fails_the_day_by_its_deadline(hung_port: int) -> None:
    error = _fails_by_deadline(OdooClient(_settings(hung_port)))  # normal timeout 120 s, 4 retries
    assert not isinstance(error, OdooUnavailableError)


def test_retries_and_backoff_stop_at_the_deadline() -> None:
    client = OdooClient(_settings(free_port()))  # connection refused: backoff 0.5 + 1 + 2 + 4 s without a deadline
    _fails_by_deadline(client)
    assert client.stats.retries < 4


def test_a_call_that_hangs_after_login_fails_by_the_deadline(demo_odoo17: DemoOdoo, tmp_path: Path) -> None:
    client = OdooClient(demo_odoo17.settings(tmp_path).require_odoo()).connect()
    with faults(demo_odoo17.url, hang=True):
        _fails_by_deadline(client)


def test_calls_inside_a_generous_deadline_or_none_work_as_before(demo_odoo17: DemoOdoo, tmp_path: Path) -> None:
    client = OdooClient(demo_odoo17.settings(tmp_path).require_odoo())
    with day_deadline(60, WHAT):
        partners = client.search_read_all("res.partner", [], ["name"])
        assert partners and 0 < (deadline.remaining() or 0) <= 60
    assert deadline.remaining() is None
    assert client.call("res.partner", "search_count", [[]]) == len(partners)
    assert client._odoo is not None and client._odoo.config["timeout"] == client.timeout_seconds


def test_deadlines_nest_to_the_earlier_and_stay_in_their_thread() -> None:
    seen: list[float | None] = []
    with day_deadline(5, "outer"):
        with day_deadline(50, "inner"):
            assert (deadline.remaining() or 99) <= 5
        thread = threading.Thread(target=lambda: seen.append(deadline.remaining()))
        thread.start()
        thread.join()
    assert seen == [None]
    with day_deadline(0.05, WHAT):
        time.sleep(0.1)
        with pytest.raises(DeadlineExceeded, match=WHAT):
            deadline.check()
        with pytest.raises(DeadlineExceeded):
            deadline.timeout_within(10)
    assert deadline.timeout_within(10) == 10

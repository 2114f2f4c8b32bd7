"""The ``hang`` fault knob: object calls are accepted and never answered until the knob is switched off or the
server stops (which must not hang itself), over real HTTP."""
from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from datetime import date

import pytest

from demo_odoo.server import DemoOdoo, serve
from tests.demo_odoo.conftest import login
from tests.support.demo_control import demo_stats, faults

CLIENT_TIMEOUT = 0.5


def wait_for_hanging(url: str, count: int, seconds: float = 5) -> None:
    deadline = time.monotonic() + seconds
    while demo_stats(url)["hanging"] != count:
        assert time.monotonic() < deadline, "the calls did not reach the hung state"
        time.sleep(0.02)


def test_hang_blocks_object_calls_until_switched_off(scratch_server: DemoOdoo) -> None:
    client = login(scratch_server, timeout=CLIENT_TIMEOUT)
    url = scratch_server.url
    with faults(url, hang=True):
        assert demo_stats(url)["settings"]["hang"] is True
        started = time.monotonic()
        with pytest.raises((socket.timeout, TimeoutError, urllib.error.URLError)):
            client.execute_kw("res.partner", "search_count", [[]])
        assert CLIENT_TIMEOUT <= time.monotonic() - started < CLIENT_TIMEOUT + 2
        wait_for_hanging(url, 1)
        assert demo_stats(url)["calls"]["res.partner"]["search_count"] >= 1  # accepted and counted
        late: list[int] = []
        patient = threading.Thread(target=lambda: late.append(
            login(scratch_server).execute_kw("res.partner", "search_count", [[]])))
        patient.start()
        wait_for_hanging(url, 2)
        assert not late
    patient.join(timeout=5)  # switched off: the blocked call runs and answers
    assert late and late[0] > 0
    wait_for_hanging(url, 0)
    assert login(scratch_server, timeout=CLIENT_TIMEOUT).execute_kw("res.partner", "search_count", [[]]) == late[0]


def test_hang_spares_non_object_routes(scratch_server: DemoOdoo) -> None:
    url = scratch_server.url
    with faults(url, hang=True):
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": {
            "db": "nkdash_demo", "login": "admin", "password": "admin"}}).encode()
        request = urllib.request.Request(f"{url}/web/session/authenticate", data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=CLIENT_TIMEOUT) as response:
            assert json.loads(response.read())["result"]["uid"] == 2
        with urllib.request.urlopen(f"{url}/web/health", timeout=CLIENT_TIMEOUT) as response:
            assert json.loads(response.read()) == {"status": "pass"}
    assert demo_stats(url)["settings"]["hang"] is False  # faults() switched every knob off again


def test_stop_does_not_wait_for_hung_calls() -> None:
    app = serve(port=0, odoo_version=17, days=1, seed=3, end_date=date(2025, 3, 31))
    client = login(app)
    outcome: list[BaseException | int] = []

    def call() -> None:
        try:
            outcome.append(client.execute_kw("res.partner", "search_count", [[]]))
        except BaseException as exc:  # noqa: BLE001 - inspected below
            outcome.append(exc)

    app.faults.update({"hang": True})
    caller = threading.Thread(target=call)
    caller.start()
    wait_for_hanging(app.url, 1)
    started = time.monotonic()
    app.stop()
    assert time.monotonic() - started < 3
    caller.join(timeout=5)
    assert not caller.is_alive() and isinstance(outcome[0], BaseException)  # dropped without an answer

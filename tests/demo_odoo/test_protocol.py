"""Wire protocol: version info, login, error envelopes, sessions and fault knobs, with the real odoorpc client."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.error

import odoorpc
import pytest
import requests

from demo_odoo.server import DEMO_API_KEY, DemoOdoo


def rpc(server: DemoOdoo, path: str, params: dict, session: requests.Session | None = None) -> requests.Response:
    http = session or requests
    return http.post(f"{server.url}{path}", json={"jsonrpc": "2.0", "method": "call", "params": params, "id": 7},
                     timeout=10)


def test_version_info(demo_server: DemoOdoo) -> None:
    v = demo_server.config.odoo_version
    result = rpc(demo_server, "/web/webclient/version_info", {}).json()["result"]
    assert result["server_version"] == f"{v}.0"
    assert result["server_version_info"] == [v, 0, 0, "final", 0, ""]
    assert result["protocol_version"] == 1
    assert rpc(demo_server, "/jsonrpc", {"service": "db", "method": "list", "args": []}).json()["result"] == ["nkdash_demo"]


def test_login_with_api_key_and_context(demo_server: DemoOdoo) -> None:
    client = odoorpc.ODOO("127.0.0.1", port=demo_server.port, protocol="jsonrpc")
    client.login("nkdash_demo", "admin", DEMO_API_KEY)
    assert client.env.uid == 2
    assert client.env.context["tz"] == "Asia/Jakarta"
    assert "pos.order" in client.env and "no.such.model" not in client.env


def test_bad_login_raises(demo_server: DemoOdoo) -> None:
    client = odoorpc.ODOO("127.0.0.1", port=demo_server.port, protocol="jsonrpc")
    with pytest.raises(odoorpc.error.RPCError):
        client.login("nkdash_demo", "admin", "wrong")
    body = rpc(demo_server, "/web/session/authenticate", {"db": "nkdash_demo", "login": "admin", "password": "x"}).json()
    assert body["error"]["code"] == 200 and body["error"]["message"] == "Odoo Server Error"
    assert body["error"]["data"]["name"] == "odoo.exceptions.AccessDenied"
    assert set(body["error"]["data"]) == {"name", "debug", "message", "arguments", "context"}


def test_object_call_checks_password_every_time(demo_server: DemoOdoo) -> None:
    body = rpc(demo_server, "/jsonrpc", {"service": "object", "method": "execute_kw",
                                         "args": ["nkdash_demo", 2, "nope", "res.partner", "search", [[]]]}).json()
    assert body["error"]["data"]["name"] == "odoo.exceptions.AccessDenied"


@pytest.mark.parametrize("model, method, args, kwargs, name", [
    ("no.such.model", "search", [[]], {}, "odoo.exceptions.UserError"),
    ("res.partner", "no_such_method", [[]], {}, "builtins.AttributeError"),
    ("res.partner", "search_read", [[]], {"fields": ["no_such_field"]}, "builtins.ValueError"),
    ("res.partner", "search", [[("no_such_field", "=", 1)]], {}, "builtins.ValueError"),
    ("res.partner", "search", [[]], {"order": "no_such_field desc"}, "builtins.ValueError"),
    ("res.partner", "_private", [[]], {}, "odoo.exceptions.AccessError"),
])
def test_odoo_errors(odoo: odoorpc.ODOO, model: str, method: str, args: list, kwargs: dict, name: str) -> None:
    with pytest.raises(odoorpc.error.RPCError) as err:
        odoo.execute_kw(model, method, args, kwargs)
    assert err.value.info["data"]["name"] == name
    assert err.value.info["code"] == 200


def test_name_get_only_in_16(odoo: odoorpc.ODOO, demo_server: DemoOdoo) -> None:
    if demo_server.config.odoo_version == 16:
        assert odoo.execute_kw("res.partner", "name_get", [[1]]) == [[1, "PT Toko Nusantara Jaya"]]
    else:
        with pytest.raises(odoorpc.error.RPCError):
            odoo.execute_kw("res.partner", "name_get", [[1]])
    assert odoo.execute_kw("res.partner", "read", [[1]], {"fields": ["display_name"]})[0]["display_name"]


def test_deny_model_and_stats(odoo: odoorpc.ODOO, demo_server: DemoOdoo) -> None:
    demo_server.faults.update({"deny_models": ["hr.employee"], "reset_stats": True})
    with pytest.raises(odoorpc.error.RPCError) as err:
        odoo.execute_kw("hr.employee", "search_read", [[]], {"fields": ["name"]})
    assert err.value.info["data"]["name"] == "odoo.exceptions.AccessError"
    odoo.execute_kw("res.users", "search", [[]])
    odoo.execute_kw("res.users", "search", [[]])
    stats = requests.get(f"{demo_server.url}/demo/stats", timeout=10).json()
    assert stats["calls"]["res.users"]["search"] == 2
    assert stats["calls"]["hr.employee"]["search_read"] == 1


def test_session_expiry_jsonrpc(odoo: odoorpc.ODOO, demo_server: DemoOdoo) -> None:
    requests.post(f"{demo_server.url}/demo/faults", json={"session_expiry_calls": 2}, timeout=10).raise_for_status()
    odoo.execute_kw("res.partner", "search_count", [[]])
    odoo.execute_kw("res.partner", "search_count", [[]])
    with pytest.raises(odoorpc.error.RPCError) as err:
        odoo.execute_kw("res.partner", "search_count", [[]])
    assert err.value.info["code"] == 100 and err.value.info["message"] == "Odoo Session Expired"
    assert err.value.info["data"]["name"] == "odoo.http.SessionExpiredException"
    odoo.login("nkdash_demo", "admin", "admin")  # a new login renews the session
    assert odoo.execute_kw("res.partner", "search_count", [[]]) > 0


def test_cookie_session_call_kw(demo_server: DemoOdoo) -> None:
    demo_server.faults.update({"session_expiry_calls": 1, "deny_models": [], "failure_rate": 0})
    http = requests.Session()
    no_session = rpc(demo_server, "/web/dataset/call_kw/res.partner/search_count",
                     {"model": "res.partner", "method": "search_count", "args": [[]], "kwargs": {}}, http).json()
    assert no_session["error"]["code"] == 100
    auth = rpc(demo_server, "/web/session/authenticate", {"db": "nkdash_demo", "login": "admin", "password": "admin"}, http)
    assert auth.json()["result"]["uid"] == 2 and "session_id" in http.cookies
    call = {"model": "res.partner", "method": "search_count", "args": [[]], "kwargs": {}}
    assert rpc(demo_server, "/web/dataset/call_kw", call, http).json()["result"] > 0
    assert rpc(demo_server, "/web/dataset/call_kw", call, http).json()["error"]["code"] == 100
    assert rpc(demo_server, "/web/dataset/call_kw", call, http).json()["error"]["code"] == 100
    rpc(demo_server, "/web/session/authenticate", {"db": "nkdash_demo", "login": "admin", "password": "admin"}, http)
    assert rpc(demo_server, "/web/dataset/call_kw", call, http).json()["result"] > 0
    rpc(demo_server, "/web/session/destroy", {}, http)
    demo_server.faults.update({"session_expiry_calls": 0})
    assert rpc(demo_server, "/web/dataset/call_kw", call, http).json()["error"]["code"] == 100


def test_unknown_route_is_404(demo_server: DemoOdoo) -> None:
    response = rpc(demo_server, "/web/nothing/here", {})
    assert response.status_code == 404 and response.json()["error"]["code"] == 404


def test_failure_rate_gives_transient_http_errors(odoo: odoorpc.ODOO, demo_server: DemoOdoo) -> None:
    demo_server.faults.update({"failure_rate": 0.5})
    statuses = []
    for _ in range(20):
        try:
            odoo.execute_kw("res.partner", "search_count", [[]])
            statuses.append(200)
        except urllib.error.HTTPError as exc:
            statuses.append(exc.code)
    assert set(statuses) - {200} <= {502, 503} and 200 in statuses and len(set(statuses)) > 1
    demo_server.faults.update({"failure_rate": 0})


def test_cli_subprocess_port_zero_and_sigterm() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "demo_odoo", "--port", "0", "--days", "3", "--odoo-version", "16",
                             "--end-date", "2025-03-31"], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("demo_odoo ready on http://127.0.0.1:")
        url = line.split()[3]
        body = requests.post(f"{url}/jsonrpc", json={"jsonrpc": "2.0", "method": "call", "id": 1, "params": {
            "service": "common", "method": "version", "args": []}}, timeout=10).json()
        assert body["result"]["server_serie"] == "16.0"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def test_faults_endpoint_rejects_unknown_knob(demo_server: DemoOdoo) -> None:
    response = requests.post(f"{demo_server.url}/demo/faults", data=json.dumps({"bogus": 1}), timeout=10)
    assert response.status_code == 400

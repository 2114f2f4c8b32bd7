"""The operational page's access rules through Dash's own endpoint, in-process (Flask test client): read-only and
every action refused while OPS_USERNAME/OPS_PASSWORD are unset; refused without a login; the login callback signs
the session in, and five wrong passwords lock it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from etl.settings import reset_settings_cache
from services.i18n import t
from services.operator_auth import MAX_FAILURES, operator_guard
from tests.support.dash_actions import ENDPOINT, action_output, action_payload, alert_text

REDIS_DOWN = "redis://127.0.0.1:1/0"  # an action that got past the checks could not queue anything either
DAY = date(2024, 1, 10)


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[FlaskClient]:
    env = {"DATA_LAKE_ROOT": str(tmp_path), "REDIS_URL": REDIS_DOWN, **getattr(request, "param", {})}
    for name in ("OPS_USERNAME", "OPS_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reset_settings_cache()
    operator_guard.cache_clear()
    import app

    client = app.server.test_client()
    client.set_cookie("nkdash_lang", "en")
    yield client
    operator_guard.cache_clear()


OPS = {"OPS_USERNAME": "ops", "OPS_PASSWORD": "in-process-pw"}
with_ops = pytest.mark.parametrize("client", [OPS], indirect=True)


def _post(client: FlaskClient, payload: dict[str, Any]) -> dict[str, Any]:
    answer = client.post(ENDPOINT, json=payload)
    assert answer.status_code == 200, answer.data[:500]
    return answer.get_json()["response"]


def _action(client: FlaskClient, button: str, first: date = DAY, last: date = DAY) -> str:
    output = action_output(client.get("/_dash-dependencies").get_json())
    return alert_text(_post(client, action_payload(output, button, "pos_order_lines", first, last)))


def _log_in(client: FlaskClient, password: str) -> str:
    payload = {
        "output": "operational-operator.children",
        "outputs": {"id": "operational-operator", "property": "children"},
        "inputs": [{"id": "operational-login", "property": "n_clicks", "value": 1},
                   {"id": "operational-password", "property": "n_submit", "value": None}],
        "changedPropIds": ["operational-login.n_clicks"],
        "state": [{"id": "operational-username", "property": "value", "value": "ops"},
                  {"id": "operational-password", "property": "value", "value": password}],
    }
    return str(_post(client, payload)["operational-operator"]["children"])


def test_without_credentials_the_page_is_read_only_and_actions_are_disabled(client: FlaskClient) -> None:
    from pages import operational

    with client.application.test_request_context("/operational"):
        assert "operational-actions-disabled" in str(operational.layout())
    for button in ("operational-async", "operational-sync"):
        assert t("ops-disabled", "en") in _action(client, button)
    assert t("ops-disabled", "en") in _log_in(client, "")


@with_ops
def test_an_action_without_the_login_is_refused(client: FlaskClient) -> None:
    for button in ("operational-async", "operational-sync"):
        assert t("ops-login-required", "en") in _action(client, button)


@with_ops
def test_the_login_signs_the_session_in_and_out(client: FlaskClient) -> None:
    assert "operational-signed-in" in _log_in(client, OPS["OPS_PASSWORD"])
    too_long = _action(client, "operational-async", date(2024, 1, 1), date(2024, 2, 9))
    assert "at most 31 days" in too_long  # past the login check, refused for its 40 days
    assert "Nothing was queued" in _action(client, "operational-async")  # the broker is down: said, not hidden
    logout = {"output": next(cb["output"] for cb in client.get("/_dash-dependencies").get_json()
                             if cb["inputs"][0]["id"] == "operational-logout"),
              "outputs": {"id": "operational-operator", "property": "children"},
              "inputs": [{"id": "operational-logout", "property": "n_clicks", "value": 1}],
              "changedPropIds": ["operational-logout.n_clicks"], "state": []}
    assert "operational-login" in str(_post(client, logout)["operational-operator"]["children"])
    assert t("ops-login-required", "en") in _action(client, "operational-async")


@with_ops
def test_five_wrong_passwords_lock_the_login(client: FlaskClient) -> None:
    answers = [_log_in(client, "wrong") for _ in range(MAX_FAILURES)]
    assert "Wrong user name or password." in answers[0] and "Too many failed logins" in answers[-1]
    locked = _log_in(client, OPS["OPS_PASSWORD"])
    assert "Too many failed logins" in locked and "operational-signed-in" not in locked
    assert t("ops-login-required", "en") in _action(client, "operational-async")

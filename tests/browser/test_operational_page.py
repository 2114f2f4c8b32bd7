"""The operational page against real processes: `python app.py` with the operator login configured, a private
redis-server, a demo Odoo and (for the async refresh) a real `celery -A etl_tasks worker`.

Without the login every action is refused by the server — from the page and from hand-made POSTs to Dash's callback
endpoint — and nothing is queued or run. Signed in, an async refresh of three days runs through the worker and the
page follows every day to done; a sync refresh runs one day in the dashboard process. On a phone (390 px) the
navigation folds into the burger, the page never scrolls sideways and the login and refresh forms are within reach.
"""

from __future__ import annotations

import calendar
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from redis import StrictRedis
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from etl.dates import business_yesterday
from etl.day_manifest import DayManifest, read_manifest
from etl.settings import load_settings
from services.i18n import format_day, format_moment, t
from services.operator_auth import SESSION_KEY
from services.refresh_actions import RANGE_QUEUE
from tests.browser.conftest import assert_burger_toggles_navigation, assert_fits_and_screenshot, emulate
from tests.conftest import DemoOdoo, start_demo
from tests.reliability.harness import Worker, worker_env
from tests.support.dash_actions import ENDPOINT, action_output, action_payload, alert_text
from tests.support.processes import PYTHON, ChildProcess, free_port, redis_server, running

pytestmark = [pytest.mark.browser, pytest.mark.celery]

DATASET = "pos_order_lines"
LANGUAGE = {"nkdash_lang": "en"}  # the page in English (the dashboard's default is Bahasa Indonesia)
LOGIN_REQUIRED = "Operator login required: nothing was done."
OPS_USER, OPS_PASSWORD = "ops", "browser-test-operator-pw"
SECRET_KEY = "operational-page-test-secret-key-0123456789"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"  # screenshots (git-ignored)
DAY_TIMEOUT = 240  # the longest wait for queued days (a slow shared machine); never asserted as a duration


@dataclass(frozen=True)
class Stack:
    url: str
    lake: Path
    redis_url: str
    env: dict[str, str]
    app: ChildProcess

    def yesterday(self) -> date:
        return business_yesterday(load_settings(self.env).business_timezone)


def _wait_until_serving(url: str, app: ChildProcess, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.popen.poll() is not None:
            raise RuntimeError("app.py exited:\n" + "\n".join(app.output[-40:]))
        try:
            urllib.request.urlopen(f"{url}/health", timeout=5)
            return
        except urllib.error.HTTPError:
            return  # 503 is an answer
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer")


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoOdoo]:
    yield from start_demo(17, "--orders-per-day", "6")


@pytest.fixture(scope="module")
def stack(demo: DemoOdoo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The dashboard on a free port with the operator login set, its own Redis and an empty lake."""
    lake = tmp_path_factory.mktemp("operational-lake")
    with redis_server(tmp_path_factory.mktemp("operational-redis")) as redis:
        env = worker_env(demo.env(lake), redis.url(), OPS_USERNAME=OPS_USER, OPS_PASSWORD=OPS_PASSWORD,
                         NKDASH_SECRET_KEY=SECRET_KEY)
        port = free_port()
        app_env = {**env, "HOST": "127.0.0.1", "PORT": str(port), "LOG_LEVEL": "WARNING"}
        with running([PYTHON, "app.py"], app_env) as app:
            url = f"http://127.0.0.1:{port}"
            _wait_until_serving(url, app)
            yield Stack(url, lake, redis.url(), env, app)


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


# -- the page in the browser ------------------------------------------------------------------------------------
def _open(driver: webdriver.Chrome, stack: Stack, ready_id: str) -> None:
    driver.get(f"{stack.url}/operational")
    WebDriverWait(driver, 30).until(expected_conditions.visibility_of_element_located((By.ID, ready_id)))


def _signed_out(driver: webdriver.Chrome, stack: Stack) -> None:
    """The page as a visitor sees it: no session cookie, no refresh followed from before."""
    driver.get(f"{stack.url}/health")
    driver.delete_all_cookies()
    driver.execute_script("window.sessionStorage.clear(); window.localStorage.clear()")
    for name, value in LANGUAGE.items():
        driver.add_cookie({"name": name, "value": value, "path": "/"})
    _open(driver, stack, "operational-login")
    WebDriverWait(driver, 30).until(
        expected_conditions.visibility_of_element_located((By.ID, "operational-freshness-table")))


def _log_in(driver: webdriver.Chrome, password: str) -> None:
    driver.find_element(By.ID, "operational-username").send_keys(OPS_USER)
    driver.find_element(By.ID, "operational-password").send_keys(password)
    driver.find_element(By.ID, "operational-login").click()


def _signed_in(driver: webdriver.Chrome, stack: Stack) -> None:
    _signed_out(driver, stack)
    _log_in(driver, OPS_PASSWORD)
    WebDriverWait(driver, 30).until(expected_conditions.visibility_of_element_located((By.ID, "operational-signed-in")))


def _show_month(driver: webdriver.Chrome, day: date) -> None:
    for _ in range(24):
        header = driver.find_element(By.CSS_SELECTOR, "[role=dialog] .mantine-DatePickerInput-calendarHeaderLevel")
        shown = datetime.strptime(header.text, "%B %Y").date()
        if (shown.year, shown.month) == (day.year, day.month):
            return
        direction = "previous" if (day.year, day.month) < (shown.year, shown.month) else "next"
        driver.find_element(By.CSS_SELECTOR, f'[role=dialog] button[data-direction="{direction}"]').click()
    raise AssertionError(f"the calendar never showed {day:%B %Y}")


def _pick_days(driver: webdriver.Chrome, first: date, last: date) -> None:
    """Choose first..last in the range picker, as an operator does: open it, click the first day, then the last."""
    driver.find_element(By.ID, "operational-days").click()
    for day in (first, last):
        WebDriverWait(driver, 10).until(expected_conditions.visibility_of_element_located(
            (By.CSS_SELECTOR, "[role=dialog] .mantine-DatePickerInput-calendarHeaderLevel")))
        _show_month(driver, day)
        label = f"{day.day} {calendar.month_name[day.month]} {day.year}"
        driver.find_element(By.CSS_SELECTOR, f'[role=dialog] button[aria-label="{label}"]:not([data-outside])').click()
    shown = driver.find_element(By.ID, "operational-days").text
    assert shown == f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}", shown


def _wait_until_finished(driver: webdriver.Chrome, total: int) -> dict[str, str]:
    """Wait until the progress summary counts every day done or failed; its data attributes."""
    def finished(d: webdriver.Chrome) -> dict[str, str] | None:
        found = d.find_elements(By.ID, "operational-progress-summary")
        if not found:
            return None
        values = {key: found[0].get_attribute(f"data-{key}") or "" for key in ("done", "failed", "total")}
        return values if int(values["done"]) + int(values["failed"]) == total else None

    # the summary is re-rendered while the run goes on: an element read as it is replaced is read again
    return WebDriverWait(driver, DAY_TIMEOUT, ignored_exceptions=(StaleElementReferenceException,)).until(finished)


def _assert_days_done(driver: webdriver.Chrome, stack: Stack, days: list[date]) -> None:
    """Every day's row says done, with the rows its published manifest holds (read from the lake here)."""
    table = driver.find_element(By.ID, "operational-progress-table")
    for day in days:
        manifest = read_manifest(stack.lake, DATASET, day)
        assert isinstance(manifest, DayManifest), f"{day} was not published"
        assert driver.find_element(By.ID, f"operational-progress-{day.isoformat()}-state").get_attribute(
            "data-state") == "done"
        row = table.find_element(By.XPATH, f".//tr[td[1][normalize-space()='{format_day(day, 'en')}']]")
        cells = [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
        assert cells[2] == format_moment(datetime.fromisoformat(manifest.built_at), "en")
        assert int(cells[3].replace(".", "")) == sum(manifest.rows.values())


# -- Dash's callback endpoint, by hand --------------------------------------------------------------------------
def _action_output(stack: Stack) -> str:
    with urllib.request.urlopen(f"{stack.url}/_dash-dependencies", timeout=10) as response:
        return action_output(json.loads(response.read()))


def _action_payload(output: str, button: str, first: date, last: date) -> dict[str, Any]:
    return action_payload(output, button, DATASET, first, last)


def _post(stack: Stack, payload: dict[str, Any], cookie: str | None = None) -> dict[str, Any]:
    cookies = {**LANGUAGE, **({"nkdash_session": cookie} if cookie else {})}
    headers = {"Content-Type": "application/json", "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    request = urllib.request.Request(f"{stack.url}{ENDPOINT}", data=json.dumps(payload).encode(),
                                     headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        return json.loads(response.read())["response"]


def _session_cookie(key: str) -> str:
    """A session cookie claiming the operator, signed with `key` (the right one, or a guess)."""
    signer = Flask("cookie-maker")
    signer.secret_key = key
    serializer = SecureCookieSessionInterface().get_signing_serializer(signer)
    assert serializer is not None
    return serializer.dumps({SESSION_KEY: {"user": OPS_USER, "since": time.time()}})


def _queued(stack: Stack) -> int:
    client = StrictRedis.from_url(stack.redis_url)
    try:
        return int(client.llen(RANGE_QUEUE)) + len(client.keys("celery-task-meta-*"))
    finally:
        client.close()


def _runs(stack: Stack) -> int:
    return len(list((stack.lake / "metadata" / "runs").glob("*.json")))


def _refusals(stack: Stack) -> int:
    return sum("operator action refused" in line for line in list(stack.app.output))


def test_without_login_every_action_is_refused_by_the_server(driver: webdriver.Chrome, stack: Stack,
                                                             artifacts: Path) -> None:
    _signed_out(driver, stack)
    assert driver.find_elements(By.ID, "operational-async") == []  # the page offers no action
    _log_in(driver, "not-the-password")
    WebDriverWait(driver, 30).until(expected_conditions.text_to_be_present_in_element(
        (By.ID, "operational-login-message"), "Wrong user name or password."))
    driver.save_screenshot(str(artifacts / "operational_signed_out.png"))

    yesterday = stack.yesterday()
    queued, runs, refusals = _queued(stack), _runs(stack), _refusals(stack)
    output = _action_output(stack)
    forged = _session_cookie("a-guessed-key-that-is-not-the-servers-one")
    for button in ("operational-async", "operational-sync"):
        for cookie in (None, forged):
            response = _post(stack, _action_payload(output, button, yesterday, yesterday), cookie)
            assert LOGIN_REQUIRED in alert_text(response), response
            assert "operational-job" not in response  # no job to follow: nothing started
    # The same request past the check (a cookie signed with the server's key) reaches the action itself: here it is
    # refused for its 40 days, which proves the payload above is what the page sends, and still starts nothing.
    too_long = _action_payload(output, "operational-async", yesterday - timedelta(days=39), yesterday)
    assert LOGIN_REQUIRED in alert_text(_post(stack, too_long))
    assert "at most 31 days" in alert_text(_post(stack, too_long, _session_cookie(SECRET_KEY)))

    assert (_queued(stack), _runs(stack)) == (queued, runs)  # nothing queued, nothing run here
    assert _refusals(stack) - refusals == 5, stack.app.output[-20:]  # the server's log says so too


def test_signed_in_an_async_refresh_of_three_days_runs_on_a_real_worker(driver: webdriver.Chrome, stack: Stack,
                                                                        artifacts: Path) -> None:
    worker = Worker(stack.env, concurrency=2, name="nkdash-operational")
    try:
        worker.start()
        _signed_in(driver, stack)
        last = stack.yesterday()
        days = [last - timedelta(days=n) for n in (2, 1, 0)]
        _pick_days(driver, days[0], days[-1])
        driver.find_element(By.ID, "operational-async").click()
        started = WebDriverWait(driver, 30).until(
            expected_conditions.visibility_of_element_located((By.ID, "operational-action-started")))
        assert "Queued POS sales" in started.text and "(3 days)" in started.text
        counts = _wait_until_finished(driver, total=3)
        driver.save_screenshot(str(artifacts / "operational_async_refresh.png"))
        assert counts == {"done": "3", "failed": "0", "total": "3"}, worker.log_tail()
        _assert_days_done(driver, stack, days)
        summary = driver.find_element(By.ID, "operational-progress-summary").text
        assert "3 of 3 days done, 0 failed (finished)" in summary
    finally:
        worker.stop()
    driver.refresh()  # the login and the followed refresh outlive a page load; the health table sees the new days
    _open(driver, stack, "operational-signed-in")
    assert _wait_until_finished(driver, total=3) == counts
    badge = f"operational-freshness-{DATASET}-level"
    WebDriverWait(driver, 30).until(lambda d: d.find_element(By.ID, badge).get_attribute("data-level") == "fresh")
    assert driver.find_element(By.ID, badge).text.lower() == "fresh"
    driver.save_screenshot(str(artifacts / "operational_health_after_refresh.png"))
    driver.find_element(By.ID, "operational-logout").click()
    WebDriverWait(driver, 30).until(expected_conditions.visibility_of_element_located((By.ID, "operational-login")))
    cookie = driver.get_cookie("nkdash_session")
    response = _post(stack, _action_payload(_action_output(stack), "operational-async", last, last),
                     cookie["value"] if cookie else None)
    assert LOGIN_REQUIRED in alert_text(response)  # signed out: the browser's own cookie no longer acts


def test_signed_in_a_sync_refresh_runs_one_day_in_the_dashboard(driver: webdriver.Chrome, stack: Stack,
                                                                artifacts: Path) -> None:
    _signed_in(driver, stack)
    day = stack.yesterday() - timedelta(days=4)
    _pick_days(driver, day, day + timedelta(days=1))
    driver.find_element(By.ID, "operational-sync").click()  # two days: refused, nothing runs
    WebDriverWait(driver, 30).until(expected_conditions.text_to_be_present_in_element(
        (By.ID, "operational-action-error"), "Sync refresh runs exactly one day"))
    _pick_days(driver, day, day)
    driver.find_element(By.ID, "operational-sync").click()
    WebDriverWait(driver, 30).until(expected_conditions.text_to_be_present_in_element(
        (By.ID, "operational-action-started"), f"Running POS sales for {format_day(day, 'en')} here"))
    counts = _wait_until_finished(driver, total=1)
    driver.save_screenshot(str(artifacts / "operational_sync_refresh.png"))
    assert counts == {"done": "1", "failed": "0", "total": "1"}, "\n".join(stack.app.output[-30:])
    _assert_days_done(driver, stack, [day])

    driver.add_cookie({"name": "nkdash_lang", "value": "id", "path": "/"})  # the same page in Bahasa Indonesia
    driver.refresh()
    _open(driver, stack, "operational-signed-in")
    assert _wait_until_finished(driver, total=1) == counts
    WebDriverWait(driver, 30).until(
        expected_conditions.visibility_of_element_located((By.ID, "operational-freshness-table")))
    driver.save_screenshot(str(artifacts / "operational_sync_refresh_id.png"))
    summary = driver.find_element(By.ID, "operational-progress-summary").text
    assert summary == "Muat ulang sync Penjualan kasir (POS): 1 dari 1 hari selesai, 0 gagal (selesai)"
    assert driver.find_element(By.ID, f"operational-progress-{day.isoformat()}-state").text.lower() == "selesai"
    assert format_day(day, "id") in driver.find_element(By.ID, "operational-progress-table").text
    level = driver.find_element(By.ID, f"operational-freshness-{DATASET}-level")
    assert level.text.lower() == t(f"freshness-{level.get_attribute('data-level')}", "id")
    health = driver.find_element(By.ID, "operational-health").text
    assert not {"rows", "quarantined", "fresh", "stale", "failing", "none"} & set(health.lower().split())
    assert "Celery workers answering" not in health and " baris" in health  # the last run: "… 1.234 baris, 0,4 dtk"


def _within_width(driver: webdriver.Chrome, element_id: str) -> bool:
    """Whether the element, scrolled to, is shown whole within the window's width."""
    element = driver.find_element(By.ID, element_id)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    left, right = driver.execute_script("const r = arguments[0].getBoundingClientRect(); return [r.left, r.right];",
                                        element)
    return element.is_displayed() and left >= 0 and right <= driver.execute_script("return window.innerWidth")


def test_on_a_phone_the_menu_is_a_burger_and_the_forms_are_within_reach(driver: webdriver.Chrome, stack: Stack,
                                                                        artifacts: Path) -> None:
    emulate(driver, 390)
    try:
        _signed_out(driver, stack)
        assert driver.find_element(By.ID, "theme-toggle").is_displayed()
        assert driver.find_element(By.ID, "language-switch").is_displayed()
        assert_burger_toggles_navigation(driver)
        for field in ("operational-username", "operational-password", "operational-login"):
            assert _within_width(driver, field), field
        assert_fits_and_screenshot(driver, artifacts / "operational-390-signed-out.png", 390)
        emulate(driver, 390)
        _log_in(driver, OPS_PASSWORD)
        WebDriverWait(driver, 30).until(
            expected_conditions.visibility_of_element_located((By.ID, "operational-signed-in")))
        for field in ("operational-dataset", "operational-days", "operational-async", "operational-sync",
                      "operational-logout"):
            assert _within_width(driver, field), field
        assert_fits_and_screenshot(driver, artifacts / "operational-390-signed-in.png", 390)
        driver.find_element(By.ID, "operational-logout").click()
        WebDriverWait(driver, 30).until(expected_conditions.visibility_of_element_located((By.ID, "operational-login")))
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

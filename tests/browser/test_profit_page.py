"""The Profit page in a real browser at desktop (1440 px) and phone (390 px) widths, in English and Bahasa Indonesia,
light and dark, served by `python app.py` over the profit test lake: KPIs and tables equal the service's, the cost
coverage note and the partial day are shown, nothing overflows sideways, no console errors; full-page screenshots in
tests/artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from services import profit_metrics
from services.duckdb_connector import Lake
from services.filters import Selection
from services.formatting import format_rupiah, parse_rupiah
from tests.browser.conftest import _wait_until_serving, assert_fits_and_screenshot, emulate
from tests.services.profit_lake import PARTIAL, profit_lake, profit_lake_root
from tests.support.processes import PYTHON, free_port, isolated_env, running

__all__ = ["profit_lake", "profit_lake_root"]
pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PERIOD = Selection("custom", date(2024, 2, 1), PARTIAL)  # holds the unpublished day and the partial one
QUERY = f"?from={PERIOD.start.isoformat()}&to={PERIOD.end.isoformat()}"
VIEWS = [(1440, "en", "light"), (1440, "id", "dark"), (390, "id", "light"), (390, "en", "dark")]
WAIT = 60
GRAPHS = ("profit-trend", "profit-sources")


@pytest.fixture(scope="module")
def profit_dashboard(profit_lake_root: Path) -> Iterator[str]:
    port = free_port()
    env = isolated_env(DATA_LAKE_ROOT=str(profit_lake_root), HOST="127.0.0.1", PORT=str(port), LOG_LEVEL="WARNING",
                       REDIS_URL="redis://127.0.0.1:6379/13")
    with running([PYTHON, "app.py"], env) as app:
        url = f"http://127.0.0.1:{port}"
        _wait_until_serving(url, app.popen, timeout=90)
        yield url


@pytest.fixture(scope="module")
def page(profit_lake: Lake) -> profit_metrics.ProfitPage:
    return profit_metrics.profit_page(profit_lake, PERIOD)


@pytest.fixture
def browser(driver: webdriver.Chrome, profit_dashboard: str) -> Iterator[webdriver.Chrome]:
    driver.get(f"{profit_dashboard}/health")
    driver.delete_all_cookies()
    driver.get_log("browser")
    yield driver
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def _open(driver: webdriver.Chrome, url: str, width: int, lang: str, theme: str = "light") -> None:
    driver.get(f"{url}/health")
    driver.add_cookie({"name": "nkdash_lang", "value": lang, "path": "/"})
    driver.execute_script("window.localStorage.setItem('app-language', JSON.stringify(arguments[0]));"
                          "window.localStorage.setItem('mantine-color-scheme-value', arguments[1]);", lang, theme)
    emulate(driver, width)
    driver.get(f"{url}/profit{QUERY}")
    WebDriverWait(driver, WAIT).until(lambda d: d.find_elements(By.ID, "profit-kpi-gross_profit-value")
                                      and d.find_elements(By.ID, "profit-uncosted-table"))
    WebDriverWait(driver, WAIT).until(lambda d: all(
        d.find_elements(By.CSS_SELECTOR, f"#{graph} .main-svg .barlayer .point, #{graph} .main-svg .pielayer .slice")
        for graph in GRAPHS))
    WebDriverWait(driver, WAIT).until(lambda d: not d.find_elements(By.CSS_SELECTOR, '[data-dash-is-loading="true"]'))


def _rows(driver: webdriver.Chrome, table_id: str) -> list[list[str]]:
    rows = driver.find_elements(By.CSS_SELECTOR, f"#{table_id} tbody tr")
    return [[cell.get_attribute("textContent") for cell in row.find_elements(By.TAG_NAME, "td")] for row in rows]


@pytest.mark.parametrize(("width", "lang", "theme"), VIEWS, ids=[f"{w}-{l}-{t}" for w, l, t in VIEWS])
def test_profit_page_shows_the_services_figures(browser: webdriver.Chrome, profit_dashboard: str,
                                                page: profit_metrics.ProfitPage, width: int, lang: str,
                                                theme: str) -> None:
    _open(browser, profit_dashboard, width, lang, theme)
    html = browser.find_element(By.TAG_NAME, "html")
    assert (html.get_attribute("lang"), html.get_attribute("data-mantine-color-scheme")) == (lang, theme)
    for name, kpi in page.kpis.items():
        element = browser.find_element(By.ID, f"profit-kpi-{name}-value")
        assert float(element.get_attribute("data-value")) == pytest.approx(kpi.value), name
        if name not in ("margin_pct", "cost_coverage_pct"):
            assert parse_rupiah(element.text) == round(kpi.value), name
    change = browser.find_element(By.ID, "profit-kpi-gross_profit-change").text
    assert change.startswith(("▲", "▼")) and "%" in change  # January is published
    assert browser.find_elements(By.ID, "profit-kpi-gross_profit-partial")  # the last day is so far
    note = browser.find_element(By.ID, "profit-cost-note").text
    assert format_rupiah(page.kpis["uncosted_revenue"].value, lang) in note
    coverage = browser.find_element(By.ID, "profit-coverage").text
    assert ("28 of 29 days" if lang == "en" else "28 dari 29 hari") in coverage
    products = _rows(browser, "profit-products-table")
    assert [row[0] for row in products] == page.products["product"].head(25).to_list()
    assert [parse_rupiah(row[2]) for row in products] == [
        round(value) for value in page.products["gross_profit"].head(25).to_list()]
    uncosted = _rows(browser, "profit-uncosted-table")
    assert [row[0] for row in uncosted] == page.uncosted["product"].head(25).to_list()
    assert [parse_rupiah(row[2]) for row in uncosted] == [
        round(value) for value in page.uncosted["revenue_excl_tax"].head(25).to_list()]
    channels = _rows(browser, "profit-channels-table")
    assert [parse_rupiah(row[2]) for row in channels] == [round(v) for v in page.channels["gross_profit"].to_list()]
    categories = _rows(browser, "profit-categories-table")
    assert [parse_rupiah(row[2]) for row in categories] == [
        round(value) for value in page.categories["gross_profit"].head(len(categories)).to_list()]
    brands = _rows(browser, "profit-brands-table")
    assert len(categories) == min(page.categories.height, 12) and len(brands) == min(page.brands.height, 12)
    assert [row[0] for row in brands] == [label or ("(no brand)" if lang == "en" else "(tanpa merek)")
                                          for label in page.brands["label"].head(len(brands)).to_list()]
    assert_fits_and_screenshot(browser, ARTIFACTS / f"profit-{width}-{lang}-{theme}.png", width)
    assert [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"] == []


def test_a_store_filter_leaves_invoices_out_and_says_so(browser: webdriver.Chrome, profit_dashboard: str,
                                                        profit_lake: Lake) -> None:
    _open(browser, profit_dashboard.rstrip("/"), 1440, "en")
    browser.get(f"{profit_dashboard}/profit{QUERY}&store=1")
    WebDriverWait(browser, WAIT).until(lambda d: d.find_elements(By.ID, "profit-store-note"))
    expected = profit_metrics.totals(profit_lake, Selection("custom", PERIOD.start, PERIOD.end, store_ids=(1,)))
    WebDriverWait(browser, WAIT).until(lambda d: d.find_elements(By.ID, "profit-kpi-gross_profit-value"))
    shown = browser.find_element(By.ID, "profit-kpi-gross_profit-value").get_attribute("data-value")
    assert float(shown) == pytest.approx(expected["gross_profit"])
    channels = _rows(browser, "profit-channels-table")
    assert [row[0] for row in channels] == ["POS"]
    assert [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"] == []

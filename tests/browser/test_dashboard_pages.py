"""The Overview and Sales pages in a real browser: at 1440 px and 390 px, in English and Bahasa Indonesia, light and
dark, opened from a URL carrying filters. The KPI numbers equal the services' figures for that selection, the page
never scrolls sideways, the filters stay in the URL (and travel with the navigation), a click drills down, the
language and theme switches are remembered, and the browser logs no error. Screenshots go to tests/artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from services.duckdb_connector import Lake
from services.formatting import parse_rupiah
from services.sales_metrics import KPI_NAMES, SALES_KPI_NAMES, Kpi, SalesFilters, kpi_comparison
from tests.browser.conftest import assert_burger_toggles_navigation, assert_fits_and_screenshot, emulate

pytestmark = pytest.mark.browser
RUPIAH_KPIS = ("revenue", "net_sales", "aov", "refunds")
QUERY = "from=2024-02-01&to=2024-02-20&store=1,2&category=100"
FILTERS = SalesFilters(date(2024, 2, 1), date(2024, 2, 20), store_ids=(1, 2), category_ids=(100,))
PAGES = {"home": ("", KPI_NAMES), "sales": ("sales", SALES_KPI_NAMES)}
VIEWS = [  # (width, language, theme): every width, language and theme at least twice over the two pages
    (1440, "en", "light"), (1440, "id", "dark"), (390, "id", "light"), (390, "en", "dark"),
]
WAIT = 60  # seconds a page may take on a busy shared machine (never asserted as a duration)


@pytest.fixture(scope="module")
def expected(small_lake_root: Path) -> dict[str, Kpi]:
    lake = Lake(small_lake_root, cache_ttl_seconds=0)
    try:
        return kpi_comparison(lake, FILTERS)
    finally:
        lake.close()


@pytest.fixture
def browser(driver: webdriver.Chrome, dashboard_url: str) -> Iterator[webdriver.Chrome]:
    """The shared browser with no remembered language, theme or filter, and its log drained; back to the
    desktop size afterwards."""
    driver.get(f"{dashboard_url}/health")
    driver.delete_all_cookies()
    driver.execute_script("window.localStorage.clear();")
    driver.get_log("browser")
    yield driver
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def _prepare(driver: webdriver.Chrome, url: str, width: int, lang: str, theme: str) -> None:
    """Remember `lang` and `theme` as the switches would, and emulate a `width` px screen."""
    driver.get(f"{url}/health")
    driver.add_cookie({"name": "nkdash_lang", "value": lang, "path": "/"})
    driver.execute_script("window.localStorage.setItem('app-language', JSON.stringify(arguments[0]));"
                          "window.localStorage.setItem('mantine-color-scheme-value', arguments[1]);", lang, theme)
    emulate(driver, width)


def _settled(driver: webdriver.Chrome, ready_id: str) -> None:
    """The page's KPIs are shown and no callback is still running."""
    WebDriverWait(driver, WAIT).until(lambda d: d.find_elements(By.ID, ready_id))
    WebDriverWait(driver, WAIT).until(
        lambda d: not d.find_elements(By.CSS_SELECTOR, '[data-dash-is-loading="true"]')
        and d.execute_script("return document.readyState") == "complete")


def _whole(text: str) -> int:
    return int(text.replace(".", "").replace(",", ""))


def _assert_kpis(driver: webdriver.Chrome, prefix: str, names: tuple[str, ...], expected: dict[str, Kpi]) -> None:
    for name in names:
        element = driver.find_element(By.ID, f"{prefix}-kpi-{name}-value")
        assert float(element.get_attribute("data-value")) == pytest.approx(expected[name].value), name
        if name in RUPIAH_KPIS:
            assert parse_rupiah(element.text) == round(expected[name].value), name
        elif name in ("orders", "units"):
            assert _whole(element.text) == round(expected[name].value), name
    change = driver.find_element(By.ID, f"{prefix}-kpi-revenue-change").text
    assert change.startswith(("▲", "▼")) and "%" in change  # the previous period (January) is loaded
    assert driver.find_element(By.ID, f"{prefix}-kpi-revenue-change-last_year").text == "—"  # 2023 is not


def _query(driver: webdriver.Chrome) -> dict[str, list[str]]:
    return parse_qs(urlsplit(driver.current_url).query)


def _assert_no_console_errors(driver: webdriver.Chrome) -> None:
    severe = [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert severe == []


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(("width", "lang", "theme"), VIEWS, ids=[f"{w}-{l}-{t}" for w, l, t in VIEWS])
def test_page_from_a_filtered_url(browser: webdriver.Chrome, dashboard_url: str, screenshots: Path,
                                  expected: dict[str, Kpi], page: str, width: int, lang: str, theme: str) -> None:
    path, names = PAGES[page]
    _prepare(browser, dashboard_url, width, lang, theme)
    browser.get(f"{dashboard_url}/{path}?{QUERY}")
    _settled(browser, f"{page}-kpi-revenue-value")
    html = browser.find_element(By.TAG_NAME, "html")
    assert (html.get_attribute("lang"), html.get_attribute("data-mantine-color-scheme")) == (lang, theme)
    _assert_kpis(browser, page, names, expected)
    assert _query(browser) == {"from": ["2024-02-01"], "to": ["2024-02-20"], "store": ["1,2"], "category": ["100"]}
    assert browser.find_element(By.ID, "theme-toggle").is_displayed()
    assert browser.find_element(By.ID, "language-switch").is_displayed()
    if width < 768:  # the navigation hides behind the burger
        assert_burger_toggles_navigation(browser)
    assert_fits_and_screenshot(browser, screenshots / f"{page}-{width}-{lang}-{theme}.png", width)
    _assert_no_console_errors(browser)


def test_invalid_url_values_fall_back_to_defaults(browser: webdriver.Chrome, dashboard_url: str) -> None:
    browser.get(f"{dashboard_url}/sales?from=2024-13-45&to=yesterday&store=1);DROP&brand=x&channel=fax&period=soon")
    _settled(browser, "sales-kpi-revenue-value")
    assert _query(browser) == {}  # the canonical (default) selection leaves the URL clean
    assert browser.find_element(By.ID, "sales-preset").get_attribute("value") in ("Last 30 days", "30 hari terakhir")
    _assert_no_console_errors(browser)


def test_a_click_drills_down_and_the_filters_travel_with_the_navigation(browser: webdriver.Chrome,
                                                                       dashboard_url: str,
                                                                       small_lake_root: Path) -> None:
    browser.get(f"{dashboard_url}/sales?from=2024-02-01&to=2024-02-20")
    _settled(browser, "sales-kpi-revenue-value")
    WebDriverWait(browser, WAIT).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#sales-store-comparison .bars .point path"))
    top_bar = browser.find_elements(By.CSS_SELECTOR, "#sales-store-comparison .bars .point path")[-1]  # largest
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", top_bar)
    ActionChains(browser).move_to_element(top_bar).pause(0.3).click().perform()  # plotly's drag layer takes clicks
    WebDriverWait(browser, WAIT).until(lambda d: "store" in _query(d))
    [store] = _query(browser)["store"]
    assert store.isdigit() and _query(browser)["from"] == ["2024-02-01"]
    _settled(browser, "sales-kpi-revenue-value")
    lake = Lake(small_lake_root, cache_ttl_seconds=0)
    try:
        drilled = kpi_comparison(lake, SalesFilters(date(2024, 2, 1), date(2024, 2, 20), store_ids=(int(store),)))
    finally:
        lake.close()
    # the cards are re-rendered after the drill-down: a card read as it is replaced is read again
    WebDriverWait(browser, WAIT, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: float(d.find_element(By.ID, "sales-kpi-revenue-value")
                        .get_attribute("data-value")) == pytest.approx(drilled["revenue"].value))
    overview = browser.find_element(By.CSS_SELECTOR, 'a[href^="/?"]')
    assert f"store={store}" in overview.get_attribute("href")
    overview.click()
    _settled(browser, "home-kpi-revenue-value")
    assert _query(browser)["store"] == [store] and urlsplit(browser.current_url).path == "/"
    assert float(browser.find_element(By.ID, "home-kpi-revenue-value").get_attribute("data-value")) == \
        pytest.approx(drilled["revenue"].value)
    browser.refresh()  # a reload keeps the view
    _settled(browser, "home-kpi-revenue-value")
    assert _query(browser)["store"] == [store]
    _assert_no_console_errors(browser)


def test_the_language_switch_is_remembered_and_sets_the_page_language(browser: webdriver.Chrome,
                                                                      dashboard_url: str) -> None:
    browser.get(f"{dashboard_url}/sales?{QUERY}")
    _settled(browser, "sales-kpi-revenue-value")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "id"  # the default
    assert browser.find_element(By.ID, "sales-kpi-revenue-value").text.count(".") >= 2  # Rp 1.234.567
    browser.find_element(By.XPATH, "//*[@id='language-switch']//label[normalize-space()='EN']").click()
    WebDriverWait(browser, WAIT).until(lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
                                       and d.find_elements(By.XPATH, "//h2[normalize-space()='Sales']"))
    _settled(browser, "sales-kpi-revenue-value")
    assert browser.find_element(By.ID, "sales-kpi-revenue-value").text.count(",") >= 2  # Rp 1,234,567
    assert _query(browser)["store"] == ["1,2"]  # the reload kept the filters
    browser.get(f"{dashboard_url}/")
    _settled(browser, "home-kpi-revenue-value")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert browser.find_elements(By.XPATH, "//h2[normalize-space()='Overview']")
    _assert_no_console_errors(browser)


def test_the_theme_toggle_is_remembered(browser: webdriver.Chrome, dashboard_url: str, screenshots: Path) -> None:
    browser.get(f"{dashboard_url}/sales?{QUERY}")
    _settled(browser, "sales-kpi-revenue-value")
    browser.find_element(By.ID, "theme-toggle").click()
    WebDriverWait(browser, 10).until(
        lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("data-mantine-color-scheme") == "dark")
    browser.refresh()
    _settled(browser, "sales-kpi-revenue-value")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("data-mantine-color-scheme") == "dark"
    _assert_no_console_errors(browser)

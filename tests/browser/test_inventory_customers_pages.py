"""The Inventory and Customers pages in a real browser, served by `python app.py` over the stock test lake: at desktop
(1440 px) in English and the light theme over the period, and at phone width (390 px) in Indonesian and the dark
theme with a category filter in the URL. The numbers shown equal the services', nothing overflows the page sideways,
no console errors; full-page screenshots in tests/artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from services import customer_metrics, inventory_metrics
from services.duckdb_connector import Lake
from services.filters import Selection
from tests.services.stock_lake import END, stock_lake, stock_lake_root
from tests.browser.conftest import _wait_until_serving
from tests.support.processes import PYTHON, free_port, isolated_env, running

__all__ = ["stock_lake", "stock_lake_root"]
pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PERIOD = Selection("custom", date(2024, 2, 1), END)
QUERY = f"?from={PERIOD.start.isoformat()}&to={PERIOD.end.isoformat()}"
WIDTHS = {"desktop": 1440, "phone": 390}
FOOD = 100  # a root category of the small lake: its subcategories' products
# (device, language, theme, category filter or None)
VIEWS = [("desktop", "en", "light", None), ("phone", "id", "dark", FOOD)]


def _view(category: int | None) -> tuple[str, Selection]:
    """The URL query and the selection of a view: the period, with the category when given."""
    if category is None:
        return QUERY, PERIOD
    return f"{QUERY}&category={category}", Selection("custom", PERIOD.start, PERIOD.end, category_ids=(category,))
INVENTORY_KPIS = {"stock_value": "on_hand_value", "stock_units": "on_hand_units", "skus_in_stock": "skus_in_stock",
                  "low_stock": "low_stock_skus", "dead_stock": "dead_stock_skus",
                  "dead_stock_value": "dead_stock_value", "stock_variance": "variance_skus"}


@pytest.fixture(scope="module")
def stock_dashboard(stock_lake_root: Path) -> Iterator[str]:
    """`python app.py` serving the stock lake on a free port (English pages)."""
    port = free_port()
    env = isolated_env(DATA_LAKE_ROOT=str(stock_lake_root), HOST="127.0.0.1", PORT=str(port), LOG_LEVEL="WARNING",
                       REDIS_URL="redis://127.0.0.1:6379/13")
    with running([PYTHON, "app.py"], env) as app:
        url = f"http://127.0.0.1:{port}"
        _wait_until_serving(url, app.popen, timeout=90)
        yield url


@pytest.fixture
def browser(driver: webdriver.Chrome, stock_dashboard: str) -> Iterator[webdriver.Chrome]:
    """The shared browser with an empty console log; its window size, language and theme put back afterwards."""
    size = driver.get_window_size()
    driver.get(f"{stock_dashboard}/health")
    driver.get_log("browser")
    yield driver
    driver.set_window_size(size["width"], size["height"])
    driver.get(f"{stock_dashboard}/health")
    driver.delete_cookie("nkdash_lang")
    driver.execute_script("window.localStorage.clear();")


def _open(driver: webdriver.Chrome, url: str, width: int, ready: str, lang: str = "en", theme: str = "light") -> None:
    """Open `url` at `width` px in `lang` and `theme`, remembered as the switches remember them."""
    driver.set_window_size(width, 1200)
    driver.add_cookie({"name": "nkdash_lang", "value": lang, "path": "/"})
    driver.execute_script("window.localStorage.setItem('app-language', JSON.stringify(arguments[0]));"
                          "window.localStorage.setItem('mantine-color-scheme-value', arguments[1]);", lang, theme)
    driver.get(url)
    WebDriverWait(driver, 60).until(expected_conditions.visibility_of_element_located((By.ID, ready)))


def _wait_for_graphs(driver: webdriver.Chrome, graph_ids: list[str]) -> None:
    """Every graph drawn (a plot or its "no data" message)."""
    def drawn(d: webdriver.Chrome) -> bool:
        return all(d.find_elements(By.CSS_SELECTOR, f"#{graph} .main-svg .cartesianlayer, #{graph} .main-svg .pielayer")
                   for graph in graph_ids)
    WebDriverWait(driver, 60).until(drawn)


def _kpi(driver: webdriver.Chrome, prefix: str, key: str) -> str:
    return driver.find_element(By.ID, f"{prefix}-kpi-{key}-value").get_attribute("data-value")


def _assert_fits_and_screenshot(driver: webdriver.Chrome, name: str, width: int) -> None:
    overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} is {overflow}px wider than the window"
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(height + 120, 8000))
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def _assert_no_console_errors(driver: webdriver.Chrome) -> None:
    assert [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"] == []


def _rows(driver: webdriver.Chrome, table_id: str) -> list[list[str]]:
    rows = driver.find_elements(By.CSS_SELECTOR, f"#{table_id} tbody tr")
    return [[cell.get_attribute("textContent") for cell in row.find_elements(By.TAG_NAME, "td")] for row in rows]


@pytest.mark.parametrize(("device", "lang", "theme", "category"), VIEWS, ids=[view[0] for view in VIEWS])
def test_inventory_page_shows_the_services_figures(browser: webdriver.Chrome, stock_dashboard: str, stock_lake: Lake,
                                                    device: str, lang: str, theme: str, category: int | None) -> None:
    query, selection = _view(category)
    _open(browser, f"{stock_dashboard}/inventory{query}", WIDTHS[device], "inventory-kpi-stock_value-value", lang,
          theme)
    _wait_for_graphs(browser, ["inventory-by-location", "inventory-by-category", "inventory-by-brand",
                               "inventory-abc", "inventory-movements"])
    page = inventory_metrics.inventory_page(stock_lake, selection)
    assert page.summary is not None
    for key, field in INVENTORY_KPIS.items():
        assert float(_kpi(browser, "inventory", key)) == pytest.approx(getattr(page.summary, field)), key
    assert float(_kpi(browser, "inventory", "sell_through")) == pytest.approx(page.sell_through.pct)
    source = browser.find_element(By.ID, "inventory-snapshot-source").text
    assert "29 Feb 2024" in source and ("quants that day" in source) == (lang == "en")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
    low = _rows(browser, "inventory-low-stock-table")
    assert [row[0] for row in low] == page.low_stock["product"].to_list()  # fewer than a page shows
    dead = _rows(browser, "inventory-dead-stock-table")
    assert [row[0] for row in dead] == page.dead_stock["product"].to_list()
    variance = _rows(browser, "inventory-variance-table")
    assert [row[0] for row in variance] == page.variance["product"].to_list()
    bars = browser.find_elements(By.CSS_SELECTOR, "#inventory-abc .bars .point")
    assert len(bars) == page.abc.height  # one bar per SKU in a small catalogue
    _assert_fits_and_screenshot(browser, f"inventory-{device}", WIDTHS[device])
    _assert_no_console_errors(browser)


@pytest.mark.parametrize(("device", "lang", "theme", "category"), VIEWS, ids=[view[0] for view in VIEWS])
def test_customers_page_shows_the_services_figures(browser: webdriver.Chrome, stock_dashboard: str, stock_lake: Lake,
                                                   device: str, lang: str, theme: str, category: int | None) -> None:
    query, selection = _view(category)
    _open(browser, f"{stock_dashboard}/customers{query}", WIDTHS[device], "customers-kpi-unique_customers-value",
          lang, theme)
    _wait_for_graphs(browser, ["customers-trend", "customers-new-returning", "customers-frequency",
                               "customers-top-chart"])
    page = customer_metrics.customers_page(stock_lake, selection)
    for key in ("identified_share", "identified_revenue", "unique_customers", "revenue_per_customer",
                "new_customers", "returning_customers", "repeat_rate", "purchase_frequency"):
        assert float(_kpi(browser, "customers", key)) == pytest.approx(getattr(page.summary, key)), key
    shown = browser.find_element(By.ID, "customers-kpi-unique_customers-value").text
    assert shown == str(page.summary.unique_customers)
    top = _rows(browser, "customers-top-table")
    assert [row[0] for row in top] == page.top["customer"].to_list()
    assert [row[1] for row in top] == [ref or "—" for ref in page.top["ref"].to_list()]
    _assert_fits_and_screenshot(browser, f"customers-{device}", WIDTHS[device])
    _assert_no_console_errors(browser)

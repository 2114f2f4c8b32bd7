"""The dashboard in a real browser: KPI numbers on the pages equal the services' DuckDB figures, no console errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from services.duckdb_connector import Lake
from services.formatting import parse_rupiah
from services.sales_metrics import KPI_NAMES, default_period, kpi_comparison

pytestmark = pytest.mark.browser
RUPIAH_KPIS = ("revenue", "net_sales", "aov", "refunds")


def _open(driver: webdriver.Chrome, url: str, ready_id: str) -> None:
    driver.get(url)
    WebDriverWait(driver, 30).until(expected_conditions.visibility_of_element_located((By.ID, ready_id)))


def _wait_for_charts(driver: webdriver.Chrome) -> None:
    WebDriverWait(driver, 30).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "#sales-payment-mix .pielayer .slice")) > 0
    )


def _assert_no_severe_console_errors(driver: webdriver.Chrome) -> None:
    severe = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert severe == []


def _assert_kpis_match(driver: webdriver.Chrome, prefix: str, lake_root: Path, days: int) -> None:
    lake = Lake(lake_root, cache_ttl_seconds=0)
    try:
        expected = kpi_comparison(lake, default_period(lake, today=date.today(), days=days))
    finally:
        lake.close()
    for name in KPI_NAMES:
        element = driver.find_element(By.ID, f"{prefix}-kpi-{name}-value")
        shown = parse_rupiah(element.text) if name in RUPIAH_KPIS else int(element.text.replace(".", ""))
        assert shown == round(expected[name].value), name
        assert float(element.get_attribute("data-value")) == pytest.approx(expected[name].value), name


def test_sales_page_shows_the_services_kpis(driver: webdriver.Chrome, dashboard_url: str, small_lake_root: Path,
                                            screenshots: Path) -> None:
    _open(driver, f"{dashboard_url}/sales", "sales-kpi-revenue-value")
    _wait_for_charts(driver)
    _assert_kpis_match(driver, "sales", small_lake_root, days=30)
    assert driver.find_element(By.ID, "sales-kpi-revenue-change").text != ""
    driver.save_screenshot(str(screenshots / "sales.png"))
    _assert_no_severe_console_errors(driver)


def test_home_page_shows_kpis_and_freshness(driver: webdriver.Chrome, dashboard_url: str, small_lake_root: Path,
                                            screenshots: Path) -> None:
    _open(driver, dashboard_url, "home-kpi-revenue-value")
    _assert_kpis_match(driver, "home", small_lake_root, days=30)
    level = driver.find_element(By.ID, "home-freshness-pos_order_lines-level").text.lower()
    assert level in ("fresh", "warning", "critical")
    driver.save_screenshot(str(screenshots / "home.png"))
    _assert_no_severe_console_errors(driver)


def test_dark_mode_toggle_restyles_the_sales_page(driver: webdriver.Chrome, dashboard_url: str,
                                                  screenshots: Path) -> None:
    _open(driver, f"{dashboard_url}/sales", "sales-kpi-revenue-value")
    driver.find_element(By.ID, "theme-toggle").click()
    WebDriverWait(driver, 10).until(
        lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("data-mantine-color-scheme") == "dark"
    )
    driver.refresh()  # the choice persists across page loads
    _open(driver, f"{dashboard_url}/sales", "sales-kpi-revenue-value")
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("data-mantine-color-scheme") == "dark"
    _wait_for_charts(driver)
    driver.save_screenshot(str(screenshots / "sales-dark.png"))
    driver.find_element(By.ID, "theme-toggle").click()  # leave the shared browser in light mode
    _assert_no_severe_console_errors(driver)

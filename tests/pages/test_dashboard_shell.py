"""The shell and the shared factories through Dash's own endpoints: the page language from the cookie the language
switch sets, and the CSV/Excel export of a chart's data for the selection in the filter bar's state (and of the
Overview's alerts and data health tables)."""

from __future__ import annotations

import base64
import io
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from flask.testing import FlaskClient

from benchmarks.lake_generator import SMALL_LAKE
from etl.settings import reset_settings_cache
from services import sales_metrics
from services.duckdb_connector import Lake
from services.health import health_report
from services.sales_metrics import SalesFilters
from tests.services.conftest import settings_for, small_lake_root

__all__ = ["small_lake_root"]
STATE = {"from": "2024-02-01", "to": "2024-02-20", "store": "1,2"}


@pytest.fixture
def client(small_lake_root: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FlaskClient]:
    monkeypatch.setenv("NKDASH_IGNORE_DOTENV", "1")
    monkeypatch.setenv("DATA_LAKE_ROOT", str(small_lake_root))
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/13")
    reset_settings_cache()
    import app

    yield app.server.test_client()
    reset_settings_cache()


@pytest.mark.parametrize(("cookie", "lang", "overview"), [(None, "id", "Ringkasan"), ("en", "en", "Overview"),
                                                          ("xx", "id", "Ringkasan")])
def test_the_language_cookie_renders_the_page(client: FlaskClient, cookie: str | None, lang: str,
                                              overview: str) -> None:
    if cookie:
        client.set_cookie("nkdash_lang", cookie)
    index = client.get("/sales?store=1").get_data(as_text=True)
    assert f'<html lang="{lang}">' in index
    layout = client.get("/_dash-layout").get_data(as_text=True)
    assert overview in layout and '"locale": "%s"' % lang in layout.replace('":"', '": "')


def _download(client: FlaskClient, chart: str, fmt: str, page: str = "sales",
              state: tuple[str, str, object] | None = None) -> dict:
    """Click `chart`'s CSV or Excel item; `state`: (id, property, value) of its export's state, else the page's
    filters."""
    clicks = {"csv": 1 if fmt == "csv" else 0, "xlsx": 1 if fmt == "xlsx" else 0}
    state_id, state_property, value = state or (f"{page}-filters", "data", STATE)
    payload = {
        "output": f"{chart}-download.data",
        "outputs": {"id": f"{chart}-download", "property": "data"},
        "inputs": [{"id": f"{chart}-{name}", "property": "n_clicks", "value": value} for name, value in clicks.items()],
        "changedPropIds": [f"{chart}-{fmt}.n_clicks"],
        "state": [{"id": state_id, "property": state_property, "value": value}],
    }
    response = client.post("/_dash-update-component", json=payload)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["response"][f"{chart}-download"]["data"]


def test_a_chart_exports_its_data_as_csv_and_excel(client: FlaskClient, small_lake_root: Path) -> None:
    lake = Lake(small_lake_root, cache_ttl_seconds=0)
    try:
        filters = SalesFilters(date(2024, 2, 1), date(2024, 2, 20), store_ids=(1, 2))
        expected = sales_metrics.top_products(sales_metrics.product_sales(lake, filters), limit=1000)
    finally:
        lake.close()
    sent = _download(client, "sales-top-products", "csv")
    assert sent["filename"] == "sales-top-products.csv"
    content = base64.b64decode(sent["content"])
    assert content.startswith(b"\xef\xbb\xbf")  # spreadsheet apps read the names right
    frame = pl.read_csv(io.BytesIO(content[3:]))
    assert frame["key"].to_list() == expected["key"].to_list()
    assert frame["revenue"].to_list() == pytest.approx(expected["revenue"].to_list())  # exact, not rounded
    workbook = _download(client, "sales-top-products", "xlsx")
    assert workbook["filename"] == "sales-top-products.xlsx"
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(workbook["content"]))) as archive:
        assert "xl/worksheets/sheet1.xml" in archive.namelist()


def test_the_overview_alerts_export_as_a_table(client: FlaskClient) -> None:
    sent = _download(client, "home-alerts", "csv", page="home")
    frame = pl.read_csv(io.BytesIO(base64.b64decode(sent["content"])[3:]))
    assert sent["filename"] == "home-alerts.csv" and frame.columns[0] == "alert"
    assert set(frame["alert"]) <= {"out_of_stock_a_item", "negative_margin", "data"}


def test_the_overview_health_table_exports_every_dataset(client: FlaskClient, small_lake_root: Path) -> None:
    sent = _download(client, "home-health", "csv", page="home")
    frame = pl.read_csv(io.BytesIO(base64.b64decode(sent["content"])[3:]))
    report, _status = health_report(settings_for(small_lake_root))
    assert sent["filename"] == "home-health.csv"
    assert frame["dataset"].to_list() == list(report["datasets"])
    pos = frame.filter(pl.col("dataset") == "pos_order_lines").row(0, named=True)
    entry = report["datasets"]["pos_order_lines"]
    assert (pos["status"], pos["freshness"], pos["last_processed_date"]) == (
        entry["status"], entry["level"], SMALL_LAKE.end.isoformat())
    assert pos["missing_days_count"] == len(entry["missing_days"]) > 10  # every day, not the table's ten
    workbook = _download(client, "home-health", "xlsx", page="home")
    assert workbook["filename"] == "home-health.xlsx"


def test_the_operational_tables_export_every_dataset_and_every_day_of_the_followed_refresh(
        client: FlaskClient, small_lake_root: Path) -> None:
    sent = _download(client, "operational-datasets", "csv", state=("operational-health-interval", "n_intervals", 3))
    frame = pl.read_csv(io.BytesIO(base64.b64decode(sent["content"])[3:]))
    report, _status = health_report(settings_for(small_lake_root))
    assert sent["filename"] == "operational-datasets.csv" and frame["dataset"].to_list() == list(report["datasets"])
    days = [SMALL_LAKE.start.isoformat(), SMALL_LAKE.end.isoformat()]
    job = {"kind": "async", "dataset": "pos_order_lines", "days": days, "queued_at": "2020-01-01T00:00:00+00:00",
           "task_id": "t-1"}
    sent = _download(client, "operational-job-days", "csv", state=("operational-job", "data", job))
    frame = pl.read_csv(io.BytesIO(base64.b64decode(sent["content"])[3:]))
    assert sent["filename"] == "operational-job-days.csv"
    assert frame["day"].to_list() == days and frame["state"].to_list() == ["done", "done"]
    assert (frame["rows"] > 0).all() and frame["dataset"].unique().to_list() == ["pos_order_lines"]


def test_a_future_period_says_so_instead_of_zeros(client: FlaskClient) -> None:
    from pages import home

    coverage, cards, _trend = home.update_sales({"from": "2099-01-01", "to": "2099-01-07"}, "light")
    assert "This period has not happened yet" in str(coverage) or "Periode ini belum terjadi" in str(coverage)
    text = str(cards)
    assert "Rp 0" not in text and "home-kpi-revenue-change" not in text and "'—'" in text

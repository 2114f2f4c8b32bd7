"""Customers: identified share of revenue, unique, new and returning customers, repeat rate, purchase frequency and
the top customers, over the sales lines of both channels with every filter of the bar."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dash
import dash_mantine_components as dmc
import polars as pl
from dash import Input, Output, callback

from pages.components import (THEME_TOGGLE_ID, FilterBar, chart_card, coverage_note, current_language, data_table,
                              kpi_box, kpi_card, kpi_grid, page_header, page_title, page_today, table_card)
from services import customer_charts, customer_metrics, sales_metrics
from services.customer_metrics import CustomersPage
from services.duckdb_connector import get_lake
from services.filters import Selection
from services.formatting import NO_VALUE, format_number, format_rupiah
from services.i18n import add_messages, format_day, t

dash.register_page(__name__, path="/customers", name="Customers", title=page_title("page-customers"),
                   order=3)

PREFIX = "customers"
FILTERS = FilterBar(PREFIX)
add_messages({
    "customers-subtitle": {
        "en": "Sales lines of both channels (POS and invoices); a line without a customer is a walk-in sale",
        "id": "Baris penjualan kedua kanal (kasir dan faktur); baris tanpa pelanggan adalah penjualan umum"},
    "customers-store-note": {
        "en": "A store is selected: invoices (no store) are left out.",
        "id": "Toko dipilih: faktur (tanpa toko) tidak ikut."},
    "customers-new-note": {
        "en": "New = first purchase ever in the data (any channel, store or product) falls in this period.",
        "id": "Baru = pembelian pertama di data (kanal, toko atau produk apa pun) terjadi dalam periode ini."},
    "customers-trend": {"en": "Revenue by day: known customers and walk-in",
                        "id": "Pendapatan harian: pelanggan dikenal dan umum"},
    "customers-new-returning": {"en": "New and returning customers", "id": "Pelanggan baru dan kembali"},
    "customers-new-returning-note": {"en": "Customers with an order in the period",
                                     "id": "Pelanggan dengan pesanan dalam periode"},
    "customers-frequency": {"en": "Orders per customer", "id": "Pesanan per pelanggan"},
    "customers-frequency-note": {"en": "How many customers ordered once, twice, …",
                                 "id": "Berapa pelanggan memesan sekali, dua kali, …"},
    "customers-top-chart": {"en": "Top {count} customers", "id": "{count} pelanggan teratas"},
    "customers-top-chart-note": {"en": "By revenue in the period", "id": "Menurut pendapatan dalam periode"},
    "customers-top": {"en": "Top {count} customers", "id": "{count} pelanggan teratas"},
    "customers-top-note": {"en": "By revenue; name and reference from Odoo's contacts",
                           "id": "Menurut pendapatan; nama dan referensi dari kontak Odoo"},
    "kpi-identified_share": {"en": "Identified share of revenue", "id": "Porsi pendapatan dikenal"},
    "kpi-identified_revenue": {"en": "Revenue from known customers", "id": "Pendapatan dari pelanggan dikenal"},
    "kpi-revenue_per_customer": {"en": "Revenue per customer", "id": "Pendapatan per pelanggan"},
    "kpi-unique_customers": {"en": "Customers", "id": "Pelanggan"},
    "kpi-new_customers": {"en": "New customers", "id": "Pelanggan baru"},
    "kpi-returning_customers": {"en": "Returning customers", "id": "Pelanggan kembali"},
    "kpi-repeat_rate": {"en": "Repeat rate", "id": "Tingkat pembelian ulang"},
    "kpi-purchase_frequency": {"en": "Orders per customer", "id": "Pesanan per pelanggan"},
    "customers-col-customer": {"en": "Customer", "id": "Pelanggan"},
    "customers-col-ref": {"en": "Reference", "id": "Referensi"},
    "customers-col-revenue": {"en": "Revenue", "id": "Pendapatan"},
    "customers-col-orders": {"en": "Orders", "id": "Pesanan"},
    "customers-col-first": {"en": "First purchase", "id": "Pembelian pertama"},
    "customers-col-last": {"en": "Last purchase", "id": "Pembelian terakhir"},
    "customers-col-new": {"en": "New", "id": "Baru"},
    "customers-yes": {"en": "yes", "id": "ya"},
})
CHARTS = ("trend", "new-returning", "frequency", "top-chart")
KPI_KINDS = {"identified_share": "percent", "identified_revenue": "money", "unique_customers": "number",
             "revenue_per_customer": "money", "new_customers": "number", "returning_customers": "number",
             "repeat_rate": "percent", "purchase_frequency": "decimal"}  # card key (a CustomerSummary figure) → kind


def layout(**query: str) -> dmc.Stack:
    lang = current_language()

    def card(chart: str, note: str | None = None, height: int = 320) -> dmc.Card:
        return chart_card(f"{PREFIX}-{chart}", t(f"{PREFIX}-{chart}", lang), note and t(note, lang), height,
                          lang=lang, export=True)

    return dmc.Stack(
        [
            page_header(t("page-customers", lang), t("customers-subtitle", lang)),
            FILTERS.layout(query, lang),
            dmc.Box(id=f"{PREFIX}-coverage"),
            kpi_box(f"{PREFIX}-kpis", count=len(KPI_KINDS)),
            dmc.Text(t("customers-new-note", lang), size="xs", c="dimmed"),
            card("trend"),
            dmc.SimpleGrid([
                card("new-returning", "customers-new-returning-note"),
                card("frequency", "customers-frequency-note"),
            ], cols={"base": 1, "lg": 2}, spacing="sm"),
            chart_card(f"{PREFIX}-top-chart", t("customers-top-chart", lang, count=customer_charts.TOP_CHART),
                       t("customers-top-chart-note", lang), 380, lang=lang, export=True),
            table_card(f"{PREFIX}-top", t("customers-top", lang, count=customer_metrics.TOP_CUSTOMERS),
                       t("customers-top-note", lang), lang=lang),
        ],
        gap="sm",
    )


def _page(selection: Selection) -> CustomersPage:
    return customer_metrics.customers_page(get_lake(), selection)


def _kpis(page: CustomersPage, empty: bool, lang: str) -> dmc.SimpleGrid:
    """The customer cards ("—" when nothing of the period is loaded)."""
    return kpi_grid([kpi_card(PREFIX, key, None if empty else getattr(page.summary, key), kind=kind, lang=lang)
                     for key, kind in KPI_KINDS.items()])


@callback(
    Output(f"{PREFIX}-coverage", "children"), Output(f"{PREFIX}-kpis", "children"),
    *(Output(f"{PREFIX}-{chart}", "figure") for chart in CHARTS), Output(f"{PREFIX}-top", "children"),
    FILTERS.input, Input(THEME_TOGGLE_ID, "computedColorScheme"),
)
def update_page(state: dict | None, scheme: str | None) -> tuple:
    """Every card, chart and table of the page from one computation of the selection's customers (the page's
    queries run once, not once per output)."""
    selection, lang, scheme = FILTERS.selection(state), current_language(), scheme or "light"
    lake = get_lake()
    coverage = sales_metrics.sales_coverage(lake, sales_metrics.sales_filters(selection), page_today())
    notes: list[Any] = coverage_note(coverage, lang)
    if selection.store_ids and selection.channel is None:
        notes.append(dmc.Alert(t("customers-store-note", lang), color="gray", variant="light", p="xs"))
    page = _page(selection)
    return (notes, _kpis(page, coverage.state in ("future", "empty"), lang),
            customer_charts.identified_trend(page.daily, scheme, lang),
            customer_charts.new_vs_returning(page.summary, scheme, lang),
            customer_charts.order_frequency(page.frequency, scheme, lang),
            customer_charts.top_customers(page.top, scheme, lang),
            _top_table(page.top, lang))


def _top_table(top: pl.DataFrame, lang: str) -> Any:
    if top.is_empty():
        return dmc.Text(t("no-data", lang), size="sm", c="dimmed")
    day = lambda value: NO_VALUE if value is None else format_day(value, lang)  # noqa: E731
    columns = {
        "customer": (t("customers-col-customer", lang), str),
        "ref": (t("customers-col-ref", lang), lambda value: value or NO_VALUE),
        "revenue": (t("customers-col-revenue", lang), lambda value: format_rupiah(value, lang)),
        "orders": (t("customers-col-orders", lang), lambda value: format_number(value, lang=lang)),
        "first_purchase": (t("customers-col-first", lang), day),
        "last_purchase": (t("customers-col-last", lang), day),
        "is_new": (t("customers-col-new", lang), lambda value: t("customers-yes", lang) if value else ""),
    }
    return data_table(top, columns, f"{PREFIX}-top-table", numeric=("revenue", "orders"))


def _frame(name: str) -> Callable[[Selection], pl.DataFrame]:
    def frame(selection: Selection) -> pl.DataFrame:
        page = _page(selection)
        if name in ("top", "top-chart"):
            return customer_metrics.customers(get_lake(), selection)  # every customer, not only the top ones
        return {"trend": page.daily, "frequency": page.frequency,
                "new-returning": pl.DataFrame([page.summary.as_row()])}[name]
    return frame


for _name in (*CHARTS, "top"):
    FILTERS.export(f"{PREFIX}-{_name}", _frame(_name))

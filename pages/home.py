"""Overview: headline KPIs vs the previous period and last year, the daily revenue, alerts, and each dataset's health."""

from __future__ import annotations

import dash
import dash_mantine_components as dmc
import polars as pl
from dash import Input, Output, callback

from etl.settings import get_settings
from pages.components import (THEME_TOGGLE_ID, FilterBar, card_header, chart_card, coverage_note, current_language,
                              dataset_title, health_table, iso_day, kpi_box, page_header, page_today, sales_kpi_grid)
from services import alerts, sales_charts, sales_metrics
from services.duckdb_connector import get_lake
from services.filters import Selection
from services.formatting import NO_VALUE, format_number, format_percent, format_rupiah
from services.health import health_report, health_rows
from services.i18n import add_messages, format_day, t

dash.register_page(__name__, path="/", name="Overview", title="NKDash", order=0)

PREFIX = "home"
FILTERS = FilterBar(PREFIX)
add_messages({
    "home-subtitle": {"en": "Headline KPIs for the chosen days, against the period before and the same days last year",
                      "id": "KPI utama untuk hari yang dipilih, dibanding periode sebelumnya dan hari yang sama tahun lalu"},
    "home-trend": {"en": "Daily revenue", "id": "Pendapatan harian"},
    "home-alerts": {"en": "Alerts", "id": "Peringatan"},
    "home-health": {"en": "Data health", "id": "Kesehatan data"},
    "home-no-alerts": {"en": "Nothing needs attention.", "id": "Tidak ada yang perlu diperhatikan."},
    "home-out-of-stock": {"en": "A items out of stock ({count})", "id": "Barang kelas A habis ({count})"},
    "home-out-of-stock-note": {"en": "Top sellers (class A by revenue, last 90 days) with nothing on hand on {day}",
                               "id": "Barang terlaris (kelas A menurut pendapatan, 90 hari terakhir) tanpa stok pada {day}"},
    "home-negative-margin": {"en": "Sold at a loss ({count})", "id": "Terjual rugi ({count})"},
    "home-negative-margin-note": {"en": "Gross profit below zero in this period",
                                  "id": "Laba kotor di bawah nol pada periode ini"},
    "home-data": {"en": "Data late or failing ({count})", "id": "Data terlambat atau gagal ({count})"},
    "home-data-line": {"en": "{title}: {status}, last day {day}{failed}{missing}",
                       "id": "{title}: {status}, hari terakhir {day}{failed}{missing}"},
    "home-failed": {"en": ", failed {days}", "id": ", gagal {days}"},
    "home-missing": {"en": ", {count} days missing", "id": ", {count} hari hilang"},
    "home-status-stale": {"en": "late", "id": "terlambat"},
    "home-status-failing": {"en": "failing", "id": "gagal"},
    "home-status-unreadable": {"en": "unreadable files", "id": "berkas tak terbaca"},
})


def layout(**query: str) -> dmc.Stack:
    lang = current_language()
    report, _status = health_report(get_settings(), lake=get_lake())
    return dmc.Stack(
        [
            page_header(t("page-home", lang), t("home-subtitle", lang)),
            FILTERS.layout(query, lang),
            dmc.Box(id=f"{PREFIX}-coverage"),
            kpi_box(f"{PREFIX}-kpis", count=6),
            dmc.SimpleGrid([
                chart_card(f"{PREFIX}-revenue-trend", t("home-trend", lang), lang=lang, export=True),
                dmc.Card([card_header(f"{PREFIX}-alerts", t("home-alerts", lang), lang),
                          dmc.Box(id=f"{PREFIX}-alerts")],
                         withBorder=True, radius="md", p="sm", mih=200),
            ], cols={"base": 1, "lg": 2}, spacing="sm"),
            dmc.Card([card_header(f"{PREFIX}-health", t("home-health", lang), lang),
                      health_table(PREFIX, report, lang)], withBorder=True, radius="md", p="sm"),
        ],
        gap="sm",
    )


def _trend(selection: Selection) -> pl.DataFrame:
    return sales_metrics.loaded_trend(get_lake(), sales_metrics.sales_filters(selection))


@callback(
    Output(f"{PREFIX}-coverage", "children"), Output(f"{PREFIX}-kpis", "children"),
    Output(f"{PREFIX}-revenue-trend", "figure"),
    FILTERS.input, Input(THEME_TOGGLE_ID, "computedColorScheme"),
)
def update_sales(state: dict | None, scheme: str | None) -> tuple:
    """The headline KPIs and the revenue trend, both sums of one daily sales cube."""
    lang, lake = current_language(), get_lake()
    filters = sales_metrics.sales_filters(FILTERS.selection(state))
    coverage = sales_metrics.sales_coverage(lake, filters, page_today())
    cube = sales_metrics.sales_cube(lake, filters, sales_metrics.TREND_GRAIN)
    kpis = sales_metrics.kpi_comparison(lake, filters, cube)
    trend = sales_metrics.loaded_trend(lake, filters, cube)
    return (coverage_note(coverage, lang), sales_kpi_grid(PREFIX, kpis, sales_metrics.KPI_NAMES, coverage, lang),
            sales_charts.revenue_trend(trend, scheme or "light", lang))


FILTERS.export(f"{PREFIX}-revenue-trend", _trend)
FILTERS.export(f"{PREFIX}-alerts", lambda selection: alerts.alert_rows(
    get_lake(), selection, health_report(get_settings(), lake=get_lake())[0]))
FILTERS.export(f"{PREFIX}-health", lambda _selection: health_rows(health_report(get_settings(), lake=get_lake())[0]))


def _alert(title: str, color: str, lines: list[str], note: str | None, element_id: str, lang: str) -> dmc.Alert:
    shown = [dmc.Text(line, size="xs") for line in lines[:alerts.SHOWN]]
    if len(lines) > alerts.SHOWN:
        shown.append(dmc.Text(t("more-count", lang, count=len(lines) - alerts.SHOWN), size="xs", c="dimmed"))
    if note:
        shown.insert(0, dmc.Text(note, size="xs", c="dimmed"))
    return dmc.Alert(dmc.Stack(shown, gap=2), title=title, color=color, variant="light", id=element_id, p="xs")


def _product(row: dict) -> str:
    return f"[{row['default_code']}] {row['product']}" if row.get("default_code") else row["product"]


@callback(Output(f"{PREFIX}-alerts", "children"), FILTERS.input)
def update_alerts(state: dict | None) -> list:
    lang, lake = current_language(), get_lake()
    selection = FILTERS.selection(state)
    found = []
    stock = alerts.out_of_stock_a_items(lake, selection)
    if stock.height:
        day = lake.loaded_days("fact_stock_on_hand_snapshot")[-1]
        found.append(_alert(
            t("home-out-of-stock", lang, count=stock.height), "red",
            [f"{_product(row)} · {format_rupiah(row['revenue'], lang)}" for row in stock.iter_rows(named=True)],
            t("home-out-of-stock-note", lang, day=format_day(day, lang)), f"{PREFIX}-alert-out-of-stock", lang))
    if alerts.profit_loaded(lake, selection):
        losses = alerts.negative_margins(lake, selection)
        if losses.height:
            found.append(_alert(
                t("home-negative-margin", lang, count=losses.height), "orange",
                [f"{_product(row)} · {format_rupiah(row['gross_profit'], lang)} ({format_percent(row['margin_pct'], lang=lang)})"
                 for row in losses.iter_rows(named=True)],
                t("home-negative-margin-note", lang), f"{PREFIX}-alert-negative-margin", lang))
    report, _status = health_report(get_settings(), lake=lake)
    late = alerts.data_alerts(report)
    if late:
        lines = [t("home-data-line", lang, title=dataset_title(item.dataset, item.title, lang),
                   status=t(f"home-status-{item.status}", lang),
                   day=iso_day(item.last_processed, lang) if item.last_processed else NO_VALUE,
                   failed=t("home-failed", lang, days=", ".join(iso_day(day, lang) for day in item.failed_days[-3:]))
                   if item.failed_days else "",
                   missing=t("home-missing", lang, count=format_number(item.missing_days, lang=lang))
                   if item.missing_days else "")
                 for item in late]
        found.append(_alert(t("home-data", lang, count=len(late)), "yellow", lines, None, f"{PREFIX}-alert-data", lang))
    return found or [dmc.Text(t("home-no-alerts", lang), size="sm", c="dimmed", id=f"{PREFIX}-no-alerts")]

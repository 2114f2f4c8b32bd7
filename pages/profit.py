"""Profit: gross profit and margin by day, channel, category, brand and product, each beside its cost coverage (the
share of revenue excl. tax whose cost is known); where costs came from, and the lines without one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dash
import dash_mantine_components as dmc
import plotly.graph_objects as go
import polars as pl
from dash import Input, Output, callback

from pages.components import (THEME_TOGGLE_ID, FilterBar, chart_card, coverage_note, current_language, limited_table,
                              kpi_box, kpi_card, kpi_grid, page_header, page_title, page_today, table_card)
from services import profit_charts, profit_metrics
from services.duckdb_connector import get_lake
from services.filters import Selection
from services.formatting import NO_VALUE, format_number, format_percent, format_rupiah
from services.i18n import add_messages, t

dash.register_page(__name__, path="/profit", name="Profit", title=page_title("page-profit"), order=4)

PREFIX = "profit"
FILTERS = FilterBar(PREFIX, facts=(profit_metrics.DAY_FACT,))
SHOWN_ROWS = {"categories": 12, "brands": 12}  # rows a table shows (25 when not listed); the export has every row
KPI_KINDS = {"margin_pct": "percent", "cost_coverage_pct": "percent"}  # the others are money
TABLES = ("channels", "categories", "brands", "products", "uncosted")
add_messages({
    "profit-subtitle": {
        "en": "Revenue excluding tax minus the cost of the goods sold, at each product's cost on the day of the sale",
        "id": "Pendapatan tanpa pajak dikurangi harga pokok barang terjual, menurut harga pokok pada hari penjualan"},
    "kpi-revenue_excl_tax": {"en": "Revenue excl. tax", "id": "Pendapatan tanpa pajak"},
    "kpi-cogs": {"en": "Cost of goods sold", "id": "Harga pokok penjualan"},
    "kpi-gross_profit": {"en": "Gross profit", "id": "Laba kotor"},
    "kpi-margin_pct": {"en": "Gross margin", "id": "Margin kotor"},
    "kpi-cost_coverage_pct": {"en": "Cost coverage", "id": "Cakupan harga pokok"},
    "kpi-uncosted_revenue": {"en": "Revenue without cost", "id": "Pendapatan tanpa harga pokok"},
    "profit-cost-note": {
        "en": "Gross profit, cost and margin count only the lines with a known cost: {coverage} of revenue excl. tax. "
              "{uncosted} of revenue has no cost (listed below).",
        "id": "Laba kotor, harga pokok dan margin hanya menghitung baris yang harga pokoknya diketahui: {coverage} "
              "dari pendapatan tanpa pajak. {uncosted} pendapatan tanpa harga pokok (daftar di bawah)."},
    "profit-store-note": {
        "en": "A store is selected: invoice lines (which have no store) are left out",
        "id": "Toko dipilih: baris faktur (tanpa toko) tidak ikut"},
    "profit-trend": {"en": "Gross profit by day", "id": "Laba kotor per hari"},
    "profit-trend-note": {"en": "Bars: gross profit; lines: margin and cost coverage (right axis)",
                          "id": "Batang: laba kotor; garis: margin dan cakupan harga pokok (sumbu kanan)"},
    "profit-sources": {"en": "Where costs come from", "id": "Asal harga pokok"},
    "profit-sources-note": {
        "en": "Revenue excl. tax by cost: latest earlier purchase, else standard price, else none",
        "id": "Pendapatan tanpa pajak menurut harga pokok: pembelian terakhir sebelumnya, lalu harga standar, atau "
              "tidak ada"},
    "profit-channels": {"en": "By channel", "id": "Per kanal"},
    "profit-categories": {"en": "By category", "id": "Per kategori"},
    "profit-brands": {"en": "By brand", "id": "Per merek"},
    "profit-products": {"en": "By product", "id": "Per produk"},
    "profit-products-note": {"en": "Largest gross profit first", "id": "Laba kotor terbesar lebih dulu"},
    "profit-uncosted": {"en": "Lines without cost", "id": "Baris tanpa harga pokok"},
    "profit-uncosted-note": {
        "en": "No earlier purchase and no standard price: left out of profit and margin. Per product here; the "
              "export lists every line.",
        "id": "Tanpa pembelian sebelumnya dan tanpa harga standar: tidak dihitung dalam laba dan margin. Di sini per "
              "produk; ekspor memuat setiap baris."},
    "profit-none": {"en": "None", "id": "Tidak ada"},
    "profit-more-rows": {"en": "First {shown} of {count}: export for all.",
                         "id": "{shown} pertama dari {count}: ekspor untuk semuanya."},
    "profit-col-name": {"en": "Name", "id": "Nama"},
    "profit-col-product": {"en": "Product", "id": "Produk"},
    "profit-col-code": {"en": "Code", "id": "Kode"},
    "profit-col-revenue": {"en": "Revenue excl. tax", "id": "Pendapatan tanpa pajak"},
    "profit-col-gross-profit": {"en": "Gross profit", "id": "Laba kotor"},
    "profit-col-margin": {"en": "Margin", "id": "Margin"},
    "profit-col-coverage": {"en": "Cost coverage", "id": "Cakupan harga pokok"},
    "profit-col-lines": {"en": "Lines", "id": "Baris"},
})


def layout(**query: str) -> dmc.Stack:
    lang = current_language()

    def table(name: str, note: str | None = None) -> dmc.Card:
        return table_card(f"{PREFIX}-{name}", t(f"{PREFIX}-{name}", lang), note and t(note, lang), lang=lang)

    return dmc.Stack(
        [
            page_header(t("page-profit", lang), t("profit-subtitle", lang)),
            FILTERS.layout(query, lang),
            dmc.Box(id=f"{PREFIX}-coverage"),
            kpi_box(f"{PREFIX}-kpis", count=len(profit_metrics.KPI_NAMES)),
            chart_card(f"{PREFIX}-trend", t("profit-trend", lang), t("profit-trend-note", lang), 340, lang=lang,
                       export=True),
            dmc.SimpleGrid([
                chart_card(f"{PREFIX}-sources", t("profit-sources", lang), t("profit-sources-note", lang), 280,
                           lang=lang, export=True),
                table("channels"),
                table("categories"),
                table("brands"),
            ], cols={"base": 1, "lg": 2}, spacing="sm"),
            table("products", "profit-products-note"),
            table("uncosted", "profit-uncosted-note"),
        ],
        gap="sm",
    )


def _cost_note(totals: dict[str, float | None], lang: str) -> list[dmc.Alert]:
    """Says what the profit figures leave out, when some revenue has no cost."""
    coverage = totals["cost_coverage_pct"]
    if coverage is None or not totals["uncosted_revenue"]:
        return []
    text = t("profit-cost-note", lang, coverage=format_percent(coverage, lang=lang),
             uncosted=format_rupiah(totals["uncosted_revenue"], lang))
    return [dmc.Alert(text, color="orange", variant="light", p="xs", id=f"{PREFIX}-cost-note")]


@callback(Output(f"{PREFIX}-coverage", "children"), Output(f"{PREFIX}-kpis", "children"), FILTERS.input)
def update_kpis(state: dict | None) -> tuple:
    selection, lake, lang = FILTERS.selection(state), get_lake(), current_language()
    coverage = profit_metrics.profit_coverage(lake, selection, page_today())
    kpis = profit_metrics.kpi_comparison(lake, selection)
    notes = coverage_note(coverage, lang)
    if selection.store_ids and selection.channel != "pos":
        notes.append(dmc.Alert(t("profit-store-note", lang), color="gray", variant="light", p="xs",
                               id=f"{PREFIX}-store-note"))
    empty = coverage.state in ("future", "empty")
    if not empty:
        notes += _cost_note({name: kpi.value for name, kpi in kpis.items()}, lang)
    cards = [kpi_card(PREFIX, name, None if empty else kpi.value, kind=KPI_KINDS.get(name, "money"), lang=lang,
                      changes=() if empty else (kpi.vs_previous, kpi.vs_last_year), partial=bool(coverage.partial))
             for name, kpi in kpis.items()]
    return notes, kpi_grid(cards)


@callback(
    Output(f"{PREFIX}-trend", "figure"), Output(f"{PREFIX}-sources", "figure"),
    FILTERS.input, Input(THEME_TOGGLE_ID, "computedColorScheme"),
)
def update_charts(state: dict | None, scheme: str | None) -> tuple[go.Figure, go.Figure]:
    selection, lake, lang, scheme = FILTERS.selection(state), get_lake(), current_language(), scheme or "light"
    return (profit_charts.profit_trend(profit_metrics.daily_profit(lake, selection), scheme, lang),
            profit_charts.cost_source_split(profit_metrics.cost_sources(lake, selection), scheme, lang))


def _columns(lang: str, names: tuple[str, ...]) -> dict[str, tuple[str, Callable[[Any], str]]]:
    money = lambda value: format_rupiah(value, lang)  # noqa: E731
    percent = lambda value: NO_VALUE if value is None else format_percent(value, lang=lang)  # noqa: E731
    every = {
        "label": (t("profit-col-name", lang), str),
        "product": (t("profit-col-product", lang), str),
        "default_code": (t("profit-col-code", lang), lambda value: value or NO_VALUE),
        "revenue_excl_tax": (t("profit-col-revenue", lang), money),
        "gross_profit": (t("profit-col-gross-profit", lang), money),
        "margin_pct": (t("profit-col-margin", lang), percent),
        "cost_coverage_pct": (t("profit-col-coverage", lang), percent),
        "lines": (t("profit-col-lines", lang), lambda value: format_number(value, lang=lang)),
    }
    return {name: every[name] for name in names}


PROFIT_COLUMNS = ("label", "revenue_excl_tax", "gross_profit", "margin_pct", "cost_coverage_pct")
TABLE_COLUMNS = {"channels": PROFIT_COLUMNS, "categories": PROFIT_COLUMNS, "brands": PROFIT_COLUMNS,
                 "products": ("product", *PROFIT_COLUMNS[1:]),
                 "uncosted": ("product", "default_code", "revenue_excl_tax", "lines")}
TEXT_COLUMNS = {"label", "product", "default_code"}


def _frames(selection: Selection) -> dict[str, pl.DataFrame]:
    lake = get_lake()
    products = profit_metrics.product_profit(lake, selection)
    return {"channels": profit_metrics.channel_profit(lake, selection), "products": products,
            "categories": profit_metrics.category_profit(products), "brands": profit_metrics.brand_profit(products),
            "uncosted": profit_metrics.uncosted_products(lake, selection)}


def _named(name: str, frame: pl.DataFrame, lang: str) -> pl.DataFrame:
    """Rows labelled for display: channel names in `lang`, a null key as "(no brand)" / "(unknown)"."""
    if name == "channels":
        return frame.with_columns(label=pl.col("channel").map_elements(lambda key: t(f"channel-{key}", lang),
                                                                       return_dtype=pl.String))
    if name in ("categories", "brands"):
        return frame.with_columns(pl.col("label").fill_null(t("no-brand" if name == "brands" else "unknown", lang)))
    return frame


def shown_rows(name: str) -> int:
    return SHOWN_ROWS.get(name, 25)


def _table(name: str, frame: pl.DataFrame, lang: str) -> Any:
    if frame.is_empty():
        return dmc.Text(t("profit-none", lang), size="sm", c="dimmed", id=f"{PREFIX}-{name}-empty")
    columns, shown = _columns(lang, TABLE_COLUMNS[name]), shown_rows(name)
    return limited_table(_named(name, frame, lang), columns, f"{PREFIX}-{name}-table",
                         numeric=[column for column in columns if column not in TEXT_COLUMNS], shown=shown,
                         more_note=t("profit-more-rows", lang, shown=shown, count=frame.height))


@callback(*(Output(f"{PREFIX}-{name}", "children") for name in TABLES), FILTERS.input)
def update_tables(state: dict | None) -> tuple:
    frames, lang = _frames(FILTERS.selection(state)), current_language()
    return tuple(_table(name, frames[name], lang) for name in TABLES)


def _export(name: str) -> Callable[[Selection], pl.DataFrame]:
    return lambda selection: _frames(selection)[name]


FILTERS.export(f"{PREFIX}-trend", lambda selection: profit_metrics.daily_profit(get_lake(), selection))
FILTERS.export(f"{PREFIX}-sources", lambda selection: profit_metrics.cost_sources(get_lake(), selection))
for _name in TABLES:
    if _name != "uncosted":
        FILTERS.export(f"{PREFIX}-{_name}", _export(_name))
# the table sums the lines without cost per product; its export is the lines themselves
FILTERS.export(f"{PREFIX}-uncosted", lambda selection: profit_metrics.uncosted_lines(get_lake(), selection))

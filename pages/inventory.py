"""Inventory: stock on hand (quantity, value) by location, category and brand from the period's latest stock snapshot,
sell-through, low and dead stock, ABC classes with their Pareto chart, movements by type, and stock variance; a note
when the period's stock moves are only partly loaded."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dash
import dash_mantine_components as dmc
import plotly.graph_objects as go
import polars as pl
from dash import Input, Output, callback

from pages.components import (THEME_TOGGLE_ID, FilterBar, chart_card, coverage_note, current_language, kpi_box,
                              kpi_card, kpi_grid, limited_table, page_header, page_title, page_today, table_card)
from services import inventory_charts, inventory_metrics
from services.duckdb_connector import get_lake
from services.filters import Selection
from services.formatting import NO_VALUE, format_number, format_percent, format_rupiah
from services.i18n import add_messages, format_day, t
from services.inventory_charts import format_quantity
from services.inventory_metrics import InventoryPage
from services.periods import Coverage
from services.sales_charts import message_figure
from services.sales_metrics import CHANNEL_FACTS

dash.register_page(__name__, path="/inventory", name="Inventory", title=page_title("page-inventory"),
                   order=2)

PREFIX = "inventory"
FILTERS = FilterBar(PREFIX, fields=("category", "brand"),
                    facts=(inventory_metrics.SNAPSHOT_FACT, inventory_metrics.MOVES_FACT, *CHANNEL_FACTS.values()))
SHOWN_ROWS = 25  # per list; the export has every row
add_messages({
    "inventory-subtitle": {
        "en": "Stock from the period's latest snapshot; sales of both channels (POS and invoices); quantities in each "
              "product's unit",
        "id": "Stok dari snapshot terakhir dalam periode; penjualan kedua kanal (kasir dan faktur); jumlah dalam "
              "satuan tiap produk"},
    "inventory-filters-note": {
        "en": "Store and channel filters do not apply here: Odoo's data links no stock location to a POS store, and "
              "stock serves every channel.",
        "id": "Filter toko dan kanal tidak berlaku di sini: data Odoo tidak menghubungkan lokasi stok dengan toko "
              "kasir, dan stok melayani semua kanal."},
    "inventory-snapshot-quant": {"en": "Stock as of the end of {day}, read from Odoo's quants that day.",
                                 "id": "Stok pada akhir {day}, dibaca dari kuantitas Odoo hari itu."},
    "inventory-snapshot-reconstructed": {
        "en": "Stock as of the end of {day}, reconstructed: today's quants with the moves since taken back out.",
        "id": "Stok pada akhir {day}, direkonstruksi: kuantitas hari ini dikurangi pergerakan sesudahnya."},
    "inventory-snapshot-empty": {"en": "Stock snapshot of {day}: no stock on hand.",
                                 "id": "Snapshot stok {day}: tidak ada stok."},
    "inventory-no-snapshot": {
        "en": "No stock snapshot in this period: stock figures need one (sales and moves are still shown).",
        "id": "Tidak ada snapshot stok dalam periode ini: angka stok memerlukannya (penjualan dan pergerakan tetap "
              "ditampilkan)."},
    "inventory-unvalued": {"en": "{count} stock positions have no cost: their value is left out.",
                           "id": "{count} posisi stok tanpa harga pokok: nilainya tidak dihitung."},
    "inventory-short-sales": {
        "en": "Sales are loaded for {loaded} of the {days} days before the snapshot: {what} may be overstated.",
        "id": "Penjualan tersedia untuk {loaded} dari {days} hari sebelum snapshot: {what} mungkin terlalu tinggi."},
    "inventory-what-cover": {"en": "days of cover", "id": "hari persediaan"},
    "inventory-what-dead": {"en": "dead stock", "id": "stok mati"},
    "inventory-moves-since": {
        "en": "On hand from moves counts the moves loaded since {day}; it matches the quants only when every day "
              "since the first stock move is loaded.",
        "id": "Stok dari pergerakan menghitung pergerakan sejak {day}; cocok dengan kuantitas hanya bila setiap hari "
              "sejak pergerakan stok pertama tersedia."},
    "inventory-moves-coverage": {"en": "Stock moves, which movements and sell-through count: {note}",
                                 "id": "Pergerakan stok, dasar grafik pergerakan dan sell-through: {note}"},
    "inventory-by-location": {"en": "Stock value and units by location", "id": "Nilai dan unit stok per lokasi"},
    "inventory-by-location-note": {
        "en": "Internal locations (the data links no location to a POS store)",
        "id": "Lokasi internal (data tidak menghubungkan lokasi dengan toko kasir)"},
    "inventory-by-category": {"en": "Stock value and units by category", "id": "Nilai dan unit stok per kategori"},
    "inventory-by-brand": {"en": "Stock value and units by brand", "id": "Nilai dan unit stok per merek"},
    "inventory-largest": {"en": "Largest {count}, at cost", "id": "{count} terbesar, harga pokok"},
    "inventory-abc": {"en": "ABC analysis (Pareto)", "id": "Analisis ABC (Pareto)"},
    "inventory-abc-note": {
        "en": "SKUs sold in the period by revenue: A = top 20 % of SKUs, B = next 30 %, C = the rest",
        "id": "SKU terjual dalam periode menurut pendapatan: A = 20 % SKU teratas, B = 30 % berikutnya, C = sisanya"},
    "inventory-abc-summary": {"en": "ABC classes", "id": "Kelas ABC"},
    "inventory-movements": {"en": "Stock movements by type", "id": "Pergerakan stok per jenis"},
    "inventory-movements-note": {"en": "Quantity moved per day (per week for long periods)",
                                 "id": "Jumlah dipindahkan per hari (per minggu untuk periode panjang)"},
    "inventory-low-stock": {"en": "Low stock", "id": "Stok menipis"},
    "inventory-low-stock-note": {"en": "Days of cover below 7: on hand ÷ average daily units sold over 28 days",
                                 "id": "Persediaan di bawah 7 hari: stok ÷ rata-rata unit terjual harian 28 hari"},
    "inventory-dead-stock": {"en": "Dead stock", "id": "Stok mati"},
    "inventory-dead-stock-note": {"en": "In stock, no sale in the last 90 days",
                                  "id": "Ada stok, tidak terjual 90 hari"},
    "inventory-variance": {"en": "Stock variance", "id": "Selisih stok"},
    "inventory-variance-note": {"en": "Per storable product: on hand from moves − on hand from quants",
                                "id": "Per produk stok: stok dari pergerakan − stok dari kuantitas"},
    "inventory-more-rows": {"en": "First {shown} of {count}: export for all.",
                            "id": "{shown} pertama dari {count}: ekspor untuk semuanya."},
    "inventory-needs-snapshot": {"en": "Needs a stock snapshot in the period.",
                                 "id": "Memerlukan snapshot stok dalam periode."},
    "inventory-none": {"en": "None", "id": "Tidak ada"},
    "kpi-stock_value": {"en": "Stock value", "id": "Nilai stok"},
    "kpi-stock_units": {"en": "Units on hand", "id": "Unit di stok"},
    "kpi-sell_through": {"en": "Sell-through", "id": "Sell-through"},
    "kpi-low_stock": {"en": "Low-stock SKUs", "id": "SKU stok menipis"},
    "kpi-dead_stock": {"en": "Dead-stock SKUs", "id": "SKU stok mati"},
    "kpi-stock_variance": {"en": "SKUs with variance", "id": "SKU dengan selisih"},
    "kpi-skus_in_stock": {"en": "SKUs in stock", "id": "SKU tersedia"},
    "kpi-dead_stock_value": {"en": "Dead-stock value", "id": "Nilai stok mati"},
    "inventory-col-product": {"en": "Product", "id": "Produk"},
    "inventory-col-code": {"en": "Code", "id": "Kode"},
    "inventory-col-on-hand": {"en": "On hand", "id": "Stok"},
    "inventory-col-value": {"en": "Value", "id": "Nilai"},
    "inventory-col-daily-units": {"en": "Sold/day (28 d)", "id": "Terjual/hari (28 h)"},
    "inventory-col-cover": {"en": "Days of cover", "id": "Hari persediaan"},
    "inventory-col-last-sale": {"en": "Last sale", "id": "Penjualan terakhir"},
    "inventory-col-from-moves": {"en": "From moves", "id": "Dari pergerakan"},
    "inventory-col-from-quants": {"en": "From quants", "id": "Dari kuantitas"},
    "inventory-col-variance": {"en": "Variance", "id": "Selisih"},
    "inventory-col-class": {"en": "Class", "id": "Kelas"},
    "inventory-col-skus": {"en": "SKUs", "id": "SKU"},
    "inventory-col-revenue-share": {"en": "Share of revenue", "id": "Pangsa pendapatan"},
    "inventory-col-revenue": {"en": "Revenue", "id": "Pendapatan"},
    "inventory-never": {"en": "never", "id": "belum pernah"},
})

STOCK_KPIS = {"stock_value": "on_hand_value", "stock_units": "on_hand_units", "skus_in_stock": "skus_in_stock",
              "low_stock": "low_stock_skus", "dead_stock": "dead_stock_skus", "dead_stock_value": "dead_stock_value",
              "stock_variance": "variance_skus"}  # card key → StockSummary field
KPI_ORDER = ("stock_value", "stock_units", "skus_in_stock", "sell_through", "low_stock", "dead_stock",
             "dead_stock_value", "stock_variance")
KPI_KINDS = {"stock_value": "money", "dead_stock_value": "money", "sell_through": "percent"}
CHARTS = ("by-location", "by-category", "by-brand", "abc", "movements")
TABLES = ("low-stock", "dead-stock", "variance", "abc-summary")


def layout(**query: str) -> dmc.Stack:
    lang = current_language()

    def card(chart: str, note: str | None = None, height: int = 340) -> dmc.Card:
        return chart_card(f"{PREFIX}-{chart}", t(f"{PREFIX}-{chart}", lang), note, height, lang=lang, export=True)

    def table(name: str) -> dmc.Card:
        note_key = f"{PREFIX}-{name}-note"
        return table_card(f"{PREFIX}-{name}", t(f"{PREFIX}-{name}", lang), None if name == "abc-summary"
                          else t(note_key, lang), lang=lang)

    largest = t("inventory-largest", lang, count=inventory_charts.TOP_GROUPS)
    return dmc.Stack(
        [
            page_header(t("page-inventory", lang), t("inventory-subtitle", lang)),
            FILTERS.layout(query, lang),
            dmc.Text(t("inventory-filters-note", lang), size="xs", c="dimmed", id=f"{PREFIX}-filters-note"),
            dmc.Box(id=f"{PREFIX}-coverage"),
            dmc.Box(id=f"{PREFIX}-snapshot"),
            kpi_box(f"{PREFIX}-kpis", count=len(KPI_ORDER)),
            dmc.SimpleGrid([
                card("by-location", t("inventory-by-location-note", lang)),
                card("by-category", largest),
                card("by-brand", largest),
                card("abc", t("inventory-abc-note", lang)),
            ], cols={"base": 1, "lg": 2}, spacing="sm"),
            card("movements", t("inventory-movements-note", lang), 360),
            dmc.SimpleGrid([table(name) for name in TABLES], cols={"base": 1, "lg": 2}, spacing="sm"),
        ],
        gap="sm",
    )


def _page(selection: Selection) -> InventoryPage:
    return inventory_metrics.inventory_page(get_lake(), selection)


def _coverage_notes(coverage: Coverage, lang: str) -> list[dmc.Alert]:
    """`coverage_note` for the period's stock moves, saying which figures it is about."""
    notes = coverage_note(coverage, lang)
    for note in notes:
        note.children = t("inventory-moves-coverage", lang, note=note.children)
    return notes


def _snapshot_notes(page: InventoryPage, lang: str) -> list[dmc.Alert]:
    """Which snapshot the stock figures describe, and what they may lack."""
    if page.snapshot_day is None or page.summary is None or page.coverage is None:
        return [dmc.Alert(t("inventory-no-snapshot", lang), color="yellow", variant="light", p="xs",
                          id=f"{PREFIX}-snapshot-source")]
    day = format_day(page.snapshot_day, lang)
    key = f"inventory-snapshot-{page.sources[0]}" if len(page.sources) == 1 else "inventory-snapshot-empty"
    lines = [dmc.Alert(t(key, lang, day=day), color="blue" if page.sources == ["quant"] else "grape",
                       variant="light", p="xs", id=f"{PREFIX}-snapshot-source")]
    notes = []
    if page.summary.unvalued_positions:
        notes.append(t("inventory-unvalued", lang, count=format_number(page.summary.unvalued_positions, lang=lang)))
    for loaded, days, what in ((page.coverage.cover_days_loaded, inventory_metrics.COVER_WINDOW_DAYS, "cover"),
                               (page.coverage.dead_stock_days_loaded, inventory_metrics.DEAD_STOCK_DAYS, "dead")):
        if loaded < days:
            notes.append(t("inventory-short-sales", lang, loaded=loaded, days=days,
                           what=t(f"inventory-what-{what}", lang)))
    if page.coverage.first_move_day is not None:
        notes.append(t("inventory-moves-since", lang, day=format_day(page.coverage.first_move_day, lang)))
    if notes:
        lines.append(dmc.Alert(" · ".join(notes), color="gray", variant="light", p="xs", id=f"{PREFIX}-caveats"))
    return lines


def _kpis(page: InventoryPage, lang: str) -> dmc.SimpleGrid:
    """The stock cards ("—" without a snapshot) and sell-through."""
    summary = page.summary
    values: dict[str, float | None] = {key: None if summary is None else getattr(summary, field)
                                       for key, field in STOCK_KPIS.items()}
    values["sell_through"] = page.sell_through.pct
    return kpi_grid([kpi_card(PREFIX, key, values[key], kind=KPI_KINDS.get(key, "number"), lang=lang)
                     for key in KPI_ORDER])


def _moves_coverage(selection: Selection) -> Coverage:
    return inventory_metrics.moves_coverage(get_lake(), selection, page_today())


def _stock_figure(frame: pl.DataFrame | None, key: str, scheme: str, lang: str,
                  missing_label: str = "unknown") -> go.Figure:
    if frame is None:
        return message_figure(scheme, lang, t("inventory-needs-snapshot", lang))
    return inventory_charts.stock_value_bars(frame, key, scheme, lang, missing_label)


def _charts(page: InventoryPage, moves: Coverage, scheme: str, lang: str) -> tuple[go.Figure, ...]:
    """The figures of CHARTS, in order."""
    return (
        _stock_figure(page.by_location, "location_id", scheme, lang),
        _stock_figure(page.by_category, "category_id", scheme, lang),
        _stock_figure(page.by_brand, "brand_id", scheme, lang, "no-brand"),
        inventory_charts.pareto(page.abc, scheme, lang),
        inventory_charts.movement_chart(page.movements, moves, scheme, lang),
    )


def _columns(lang: str, names: tuple[str, ...]) -> dict[str, tuple[str, Callable[[Any], str]]]:
    """Table columns by frame column: heading and formatter."""
    quantity = lambda value: NO_VALUE if value is None else format_quantity(value, lang)  # noqa: E731
    every = {
        "product": (t("inventory-col-product", lang), str),
        "default_code": (t("inventory-col-code", lang), lambda value: value or NO_VALUE),
        "on_hand": (t("inventory-col-on-hand", lang), quantity),
        "value": (t("inventory-col-value", lang), lambda value: format_rupiah(value, lang)),
        "avg_daily_units": (t("inventory-col-daily-units", lang),
                            lambda value: NO_VALUE if value is None else format_number(value, 2, lang)),
        "cover_days": (t("inventory-col-cover", lang),
                       lambda value: NO_VALUE if value is None else format_number(value, 1, lang)),
        "last_sale": (t("inventory-col-last-sale", lang), lambda value: t("inventory-never", lang) if value is None
                      else format_day(value, lang)),
        "moves_qty": (t("inventory-col-from-moves", lang), quantity),
        "quant_qty": (t("inventory-col-from-quants", lang), quantity),
        "variance": (t("inventory-col-variance", lang), quantity),
        "abc": (t("inventory-col-class", lang), str),
        "skus": (t("inventory-col-skus", lang), lambda value: format_number(value, lang=lang)),
        "revenue": (t("inventory-col-revenue", lang), lambda value: format_rupiah(value, lang)),
        "revenue_share": (t("inventory-col-revenue-share", lang), lambda value: format_percent(value, lang=lang)),
    }
    return {name: every[name] for name in names}


TABLE_COLUMNS = {
    "low-stock": ("product", "default_code", "on_hand", "avg_daily_units", "cover_days"),
    "dead-stock": ("product", "default_code", "on_hand", "value", "last_sale"),
    "variance": ("product", "default_code", "moves_qty", "quant_qty", "variance"),
    "abc-summary": ("abc", "skus", "revenue", "revenue_share"),
}
TEXT_COLUMNS = {"product", "default_code", "abc"}


def _frames(page: InventoryPage) -> dict[str, pl.DataFrame | None]:
    return {"low-stock": page.low_stock, "dead-stock": page.dead_stock, "variance": page.variance,
            "abc-summary": page.abc_summary}


def _table(name: str, frame: pl.DataFrame | None, lang: str) -> Any:
    if frame is None:
        return dmc.Text(t("inventory-needs-snapshot", lang), size="sm", c="dimmed")
    if frame.is_empty():
        return dmc.Text(t("inventory-none", lang), size="sm", c="dimmed", id=f"{PREFIX}-{name}-empty")
    columns = _columns(lang, TABLE_COLUMNS[name])
    return limited_table(frame, columns, f"{PREFIX}-{name}-table",
                         numeric=[column for column in columns if column not in TEXT_COLUMNS], shown=SHOWN_ROWS,
                         more_note=t("inventory-more-rows", lang, shown=SHOWN_ROWS, count=frame.height))


@callback(
    Output(f"{PREFIX}-coverage", "children"), Output(f"{PREFIX}-snapshot", "children"),
    Output(f"{PREFIX}-kpis", "children"),
    *(Output(f"{PREFIX}-{chart}", "figure") for chart in CHARTS),
    *(Output(f"{PREFIX}-{name}", "children") for name in TABLES),
    FILTERS.input, Input(THEME_TOGGLE_ID, "computedColorScheme"),
)
def update_page(state: dict | None, scheme: str | None) -> tuple:
    """Notes, cards, charts and tables of the selection: its queries run once for all of them."""
    selection, lang = FILTERS.selection(state), current_language()
    page, moves = _page(selection), _moves_coverage(selection)
    frames = _frames(page)
    return (_coverage_notes(moves, lang), _snapshot_notes(page, lang), _kpis(page, lang),
            *_charts(page, moves, scheme or "light", lang), *(_table(name, frames[name], lang) for name in TABLES))


def _export(name: str) -> Callable[[Selection], pl.DataFrame]:
    def frame(selection: Selection) -> pl.DataFrame:
        page = _page(selection)
        frames: dict[str, pl.DataFrame | None] = {
            **_frames(page), "by-location": page.by_location, "by-category": page.by_category,
            "by-brand": page.by_brand, "abc": page.abc, "movements": page.movements}
        found = frames[name]
        return found if found is not None else pl.DataFrame()
    return frame


for _name in (*CHARTS, *TABLES):
    FILTERS.export(f"{PREFIX}-{_name}", _export(_name))

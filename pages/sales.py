"""Sales: KPIs vs the previous period and last year, channel split, daily trend, discounts, refunds, baskets, hours,
stores, top lists, payment mix and cashiers; clicking a day, store, category or brand filters by it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dash
import dash_mantine_components as dmc
import plotly.graph_objects as go
import polars as pl
from dash import Input, Output, callback, ctx, no_update
from dash.exceptions import PreventUpdate

from etl.settings import get_settings
from pages.components import (THEME_TOGGLE_ID, FilterBar, chart_card, coverage_note, current_language, data_table,
                              kpi_box, page_header, page_title, page_today, sales_kpi_grid, table_card)
from services import sales_charts, sales_metrics
from services.duckdb_connector import get_lake
from services.filters import Selection
from services.formatting import NO_VALUE, format_number, format_rupiah
from services.i18n import add_messages, t
from services.sales_metrics import SalesFilters

dash.register_page(__name__, path="/sales", name="Sales", title=page_title("page-sales"), order=1)

PREFIX = "sales"
FILTERS = FilterBar(PREFIX)
BASKET_LARGEST = 10
add_messages({
    "sales-subtitle": {"en": "POS and invoice sales lines; amounts in Rupiah, tax included unless stated",
                       "id": "Baris penjualan kasir dan faktur; jumlah dalam Rupiah, termasuk pajak kecuali disebut"},
    "sales-trend": {"en": "Daily revenue by channel", "id": "Pendapatan harian per kanal"},
    "sales-channels": {"en": "Channel split", "id": "Pembagian kanal"},
    "sales-channels-note": {"en": "Revenue by channel: POS and invoices", "id": "Pendapatan per kanal: kasir dan faktur"},
    "sales-heatmap": {"en": "Revenue by hour and weekday", "id": "Pendapatan per jam dan hari"},
    "sales-heatmap-note": {"en": "Business time ({tz}), POS orders", "id": "Waktu usaha ({tz}), pesanan kasir"},
    "sales-stores": {"en": "Stores", "id": "Toko"},
    "sales-stores-note": {"en": "Revenue per store (POS)", "id": "Pendapatan per toko (kasir)"},
    "sales-top-products": {"en": "Top products", "id": "Produk teratas"},
    "sales-top-categories": {"en": "Top categories", "id": "Kategori teratas"},
    "sales-top-brands": {"en": "Top brands", "id": "Merek teratas"},
    "sales-by-revenue": {"en": "By revenue", "id": "Menurut pendapatan"},
    "sales-payments": {"en": "Payment mix", "id": "Metode pembayaran"},
    "sales-payments-note": {"en": "POS payments net of change", "id": "Pembayaran kasir setelah kembalian"},
    "sales-payments-scaled": {
        "en": "Payments of the orders holding the selected products, scaled by those products' share of each order",
        "id": "Pembayaran pesanan yang memuat produk terpilih, sebanding dengan bagian produk itu di tiap pesanan"},
    "sales-discount": {"en": "Discount depth by day", "id": "Kedalaman diskon per hari"},
    "sales-discount-note": {"en": "Discount given ÷ list price of the items sold",
                            "id": "Diskon yang diberikan ÷ harga jual barang terjual"},
    "sales-refunds": {"en": "Refunds by day", "id": "Retur per hari"},
    "sales-refunds-note": {"en": "Money given back (size)", "id": "Uang yang dikembalikan (besarnya)"},
    "sales-baskets": {"en": "Basket size", "id": "Ukuran keranjang"},
    "sales-baskets-note": {"en": "Orders by units bought", "id": "Pesanan menurut jumlah unit"},
    "sales-cashiers": {"en": "Cashiers", "id": "Kasir"},
    "sales-cashiers-note": {"en": "POS orders per cashier (employee)", "id": "Pesanan kasir per karyawan"},
    "sales-no-time": {"en": "Invoices have no time of day: choose POS or all channels",
                      "id": "Faktur tidak punya jam: pilih kasir atau semua kanal"},
    "sales-no-store": {"en": "Invoices have no store: choose POS or all channels",
                       "id": "Faktur tidak punya toko: pilih kasir atau semua kanal"},
    "sales-no-payments": {"en": "Invoices have no POS payments", "id": "Faktur tidak punya pembayaran kasir"},
    "sales-no-cashier": {"en": "Invoices have no cashier", "id": "Faktur tidak punya kasir"},
    "sales-store-cuts-invoices": {"en": "A store is selected: invoices (no store) are left out",
                                  "id": "Toko dipilih: faktur (tanpa toko) tidak ikut"},
    "col-cashier": {"en": "Cashier", "id": "Kasir"},
    "col-revenue": {"en": "Revenue", "id": "Pendapatan"},
    "col-orders": {"en": "Orders", "id": "Pesanan"},
    "col-aov": {"en": "Avg order", "id": "Rata-rata"},
    "col-basket": {"en": "Items/order", "id": "Barang/pesanan"},
    "col-refunds": {"en": "Refunds", "id": "Retur"},
    "col-discount": {"en": "Discount", "id": "Diskon"},
    "no-cashier": {"en": "(no cashier)", "id": "(tanpa kasir)"},
})


def layout(**query: str) -> dmc.Stack:
    lang = current_language()
    grid = {"base": 1, "lg": 2}

    def card(chart: str, title: str, note: str | None = None, height: int = 320, hint: str | None = None):
        return chart_card(f"{PREFIX}-{chart}", t(title, lang), note and t(note, lang), height, lang=lang,
                          export=True, hint=hint and t(hint, lang))

    return dmc.Stack(
        [
            page_header(t("page-sales", lang), t("sales-subtitle", lang)),
            FILTERS.layout(query, lang),
            dmc.Box(id=f"{PREFIX}-coverage"),
            kpi_box(f"{PREFIX}-kpis", count=8),
            card("revenue-trend", "sales-trend", hint="click-day-to-filter"),
            dmc.SimpleGrid(
                [
                    card("channel-split", "sales-channels", "sales-channels-note"),
                    card("payment-mix", "sales-payments", "sales-payments-note"),
                    chart_card(f"{PREFIX}-hour-heatmap", t("sales-heatmap", lang),
                               t("sales-heatmap-note", lang, tz=get_settings().business_timezone.key), lang=lang,
                               export=True),
                    card("store-comparison", "sales-stores", "sales-stores-note", hint="click-to-filter"),
                    card("top-products", "sales-top-products", "sales-by-revenue", 380),
                    card("top-categories", "sales-top-categories", "sales-by-revenue", 380, hint="click-to-filter"),
                    card("top-brands", "sales-top-brands", "sales-by-revenue", 380, hint="click-to-filter"),
                    card("basket-sizes", "sales-baskets", "sales-baskets-note", 380),
                    card("discount-depth", "sales-discount", "sales-discount-note"),
                    card("refunds", "sales-refunds", "sales-refunds-note"),
                ],
                cols=grid, spacing="sm",
            ),
            table_card(f"{PREFIX}-cashiers", t("sales-cashiers", lang), t("sales-cashiers-note", lang), lang=lang),
        ],
        gap="sm",
    )


def _context(state: dict | None) -> tuple[Any, SalesFilters, str]:
    return get_lake(), sales_metrics.sales_filters(FILTERS.selection(state)), current_language()


def _trend(selection: Selection) -> pl.DataFrame:
    return sales_metrics.loaded_trend(get_lake(), sales_metrics.sales_filters(selection))


def _cube(selection: Selection) -> pl.DataFrame:
    return sales_metrics.sales_cube(get_lake(), sales_metrics.sales_filters(selection))


def _only_pos(filters: SalesFilters, message: str, lang: str, scheme: str,
              draw: Callable[[], go.Figure]) -> tuple[go.Figure, str]:
    """A POS-only chart: drawn with its note empty, or, for the invoice channel, a figure and note that say why not."""
    if filters.channel == "invoice":
        return sales_charts.message_figure(scheme, lang, t(message, lang)), t(message, lang)
    return draw(), ""


@callback(
    Output(f"{PREFIX}-coverage", "children"), Output(f"{PREFIX}-kpis", "children"),
    Output(f"{PREFIX}-revenue-trend", "figure"), Output(f"{PREFIX}-discount-depth", "figure"),
    Output(f"{PREFIX}-refunds", "figure"),
    Output(f"{PREFIX}-channel-split", "figure"), Output(f"{PREFIX}-hour-heatmap", "figure"),
    Output(f"{PREFIX}-hour-heatmap-note", "children"), Output(f"{PREFIX}-store-comparison", "figure"),
    Output(f"{PREFIX}-store-comparison-note", "children"),
    FILTERS.input, Input(THEME_TOGGLE_ID, "computedColorScheme"),
)
def update_period(state: dict | None, scheme: str | None) -> tuple:
    """The KPI cards, the daily charts and the breakdowns: all sums of one sales cube, read once for them all."""
    lake, filters, lang = _context(state)
    scheme = scheme or "light"
    coverage = sales_metrics.sales_coverage(lake, filters, page_today())
    notes = coverage_note(coverage, lang)
    if filters.store_ids and filters.channel is None and sales_metrics.sales_days(lake, "invoice"):
        notes.append(dmc.Alert(t("sales-store-cuts-invoices", lang), color="gray", variant="light", p="xs"))
    cube = sales_metrics.sales_cube(lake, filters)
    kpis = sales_kpi_grid(PREFIX, sales_metrics.kpi_comparison(lake, filters, cube), sales_metrics.SALES_KPI_NAMES,
                          coverage, lang)
    trend = sales_metrics.loaded_trend(lake, filters, cube)
    heatmap = _only_pos(filters, "sales-no-time", lang, scheme,
                        lambda: sales_charts.hour_weekday_heatmap(sales_metrics.hour_weekday_heatmap(cube), scheme,
                                                                  lang))
    stores = _only_pos(filters, "sales-no-store", lang, scheme,
                       lambda: sales_charts.ranked_bars(sales_metrics.store_comparison(cube), scheme, lang,
                                                        label="store", key="store_id"))
    return (notes, kpis, sales_charts.revenue_trend(trend, scheme, lang),
            sales_charts.daily_measure(trend, "discount_depth", scheme, lang, kind="percent", color="#f59f00"),
            sales_charts.daily_measure(trend, "refunds", scheme, lang, color="#fa5252", magnitude=True),
            sales_charts.channel_split(sales_metrics.channel_split(cube), scheme, lang), *heatmap, *stores)


def _products(selection: Selection) -> pl.DataFrame:
    return sales_metrics.product_sales(get_lake(), sales_metrics.sales_filters(selection))


@callback(
    Output(f"{PREFIX}-top-products", "figure"), Output(f"{PREFIX}-top-categories", "figure"),
    Output(f"{PREFIX}-top-brands", "figure"),
    FILTERS.input, Input(THEME_TOGGLE_ID, "computedColorScheme"),
)
def update_top_lists(state: dict | None, scheme: str | None) -> tuple[go.Figure, ...]:
    products, lang, scheme = _products(FILTERS.selection(state)), current_language(), scheme or "light"
    return (sales_charts.ranked_bars(sales_metrics.top_products(products), scheme, lang),
            sales_charts.ranked_bars(sales_metrics.top_categories(products), scheme, lang),
            sales_charts.ranked_bars(sales_metrics.top_brands(products), scheme, lang, missing_label="no-brand"))


def _payments(selection: Selection) -> pl.DataFrame:
    return sales_metrics.payment_mix(get_lake(), sales_metrics.sales_filters(selection))


def _baskets(selection: Selection) -> pl.DataFrame:
    return sales_metrics.basket_sizes(get_lake(), sales_metrics.sales_filters(selection), BASKET_LARGEST)


def _cashiers(selection: Selection) -> pl.DataFrame:
    return sales_metrics.cashier_performance(get_lake(), sales_metrics.sales_filters(selection))


def _cashier_table(frame: pl.DataFrame, lang: str) -> Any:
    money = lambda value: format_rupiah(value, lang)  # noqa: E731
    columns = {
        "cashier": (t("col-cashier", lang), lambda value: value or t("no-cashier", lang)),
        "revenue": (t("col-revenue", lang), money),
        "orders": (t("col-orders", lang), lambda value: format_number(value, lang=lang)),
        "aov": (t("col-aov", lang), money),
        "basket_size": (t("col-basket", lang),
                        lambda value: NO_VALUE if value is None else format_number(value, 1, lang)),
        "refunds": (t("col-refunds", lang), money),
        "discount": (t("col-discount", lang), money),
    }
    named = frame.with_columns(cashier=pl.coalesce(pl.col("cashier"), pl.format("#{}", pl.col("cashier_id"))))
    return data_table(named, columns, f"{PREFIX}-cashiers-table", numeric=list(columns)[1:])


@callback(
    Output(f"{PREFIX}-basket-sizes", "figure"), Output(f"{PREFIX}-cashiers", "children"),
    Output(f"{PREFIX}-cashiers-note", "children"), Output(f"{PREFIX}-payment-mix", "figure"),
    Output(f"{PREFIX}-payment-mix-note", "children"),
    FILTERS.input, Input(THEME_TOGGLE_ID, "computedColorScheme"),
)
def update_orders(state: dict | None, scheme: str | None) -> tuple:
    """Basket sizes, cashiers and the payment mix: the selection's orders, read once for the three."""
    lake, filters, lang = _context(state)
    scheme = scheme or "light"
    breakdowns = sales_metrics.order_breakdowns(lake, filters, BASKET_LARGEST)
    baskets = sales_charts.basket_histogram(breakdowns.baskets, scheme, lang, BASKET_LARGEST)
    payments, note = _only_pos(filters, "sales-no-payments", lang, scheme,
                               lambda: sales_charts.payment_mix(breakdowns.payments, scheme, lang))
    note = note or (t("sales-payments-scaled", lang) if filters.cuts_orders else "")
    if filters.channel == "invoice":
        return (baskets, dmc.Text(t("sales-no-cashier", lang), size="sm", c="dimmed"), t("sales-no-cashier", lang),
                payments, note)
    table = (_cashier_table(breakdowns.cashiers, lang) if breakdowns.cashiers.height
             else dmc.Text(t("no-data", lang), size="sm", c="dimmed"))
    return baskets, table, "", payments, note


for _chart, _frame in {
    "revenue-trend": _trend, "discount-depth": _trend, "refunds": _trend,
    "channel-split": lambda selection: sales_metrics.channel_split(_cube(selection)),
    "hour-heatmap": lambda selection: sales_metrics.hour_weekday_heatmap(_cube(selection)),
    "store-comparison": lambda selection: sales_metrics.store_comparison(_cube(selection)),
    "top-products": lambda selection: sales_metrics.top_products(_products(selection), limit=1000),
    "top-categories": lambda selection: sales_metrics.top_categories(_products(selection), limit=1000),
    "top-brands": lambda selection: sales_metrics.top_brands(_products(selection), limit=1000),
    "payment-mix": _payments, "basket-sizes": _baskets, "cashiers": _cashiers,
}.items():
    FILTERS.export(f"{PREFIX}-{_chart}", _frame)


def _clicked(click: dict | None) -> Any:
    points = (click or {}).get("points") or []
    return points[0].get("y") if points else None


@callback(
    FILTERS.drill("range"), FILTERS.drill("store"), FILTERS.drill("category"), FILTERS.drill("brand"),
    Input(f"{PREFIX}-revenue-trend", "clickData"), Input(f"{PREFIX}-store-comparison", "clickData"),
    Input(f"{PREFIX}-top-categories", "clickData"), Input(f"{PREFIX}-top-brands", "clickData"),
    prevent_initial_call=True,
)
def drill_down(day: dict | None, store: dict | None, category: dict | None, brand: dict | None) -> tuple:
    """A click on a day, store, category or brand narrows the filters to it (which updates the URL)."""
    trigger = ctx.triggered_id
    if trigger == f"{PREFIX}-revenue-trend":
        points = (day or {}).get("points") or []
        if not points:
            raise PreventUpdate
        clicked = str(points[0]["x"])[:10]
        return [clicked, clicked], no_update, no_update, no_update
    clicked = _clicked({f"{PREFIX}-store-comparison": store, f"{PREFIX}-top-categories": category,
                        f"{PREFIX}-top-brands": brand}.get(trigger))
    if clicked is None or not str(clicked).isdigit():
        raise PreventUpdate  # e.g. the "(no brand)" bar
    value = [str(clicked)]
    return (no_update, value if trigger.endswith("store-comparison") else no_update,
            value if trigger.endswith("categories") else no_update, value if trigger.endswith("brands") else no_update)

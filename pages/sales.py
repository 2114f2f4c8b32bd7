"""Sales page: KPIs vs the previous period, daily trend, hour × weekday heatmap, top lists, stores, payment mix."""

from __future__ import annotations

from datetime import date

import dash
import dash_mantine_components as dmc
from dash import Input, Output, callback
from dash.exceptions import PreventUpdate

from etl.settings import get_settings
from pages.components import THEME_TOGGLE_ID, chart_card, filter_bar, kpi_grid, page_header
from services import sales_charts, sales_metrics
from services.duckdb_connector import get_lake
from etl.dates import business_today

dash.register_page(__name__, path="/sales", name="Sales", title="NKDash · Sales", order=1)

PREFIX = "sales"
CHARTS = ("revenue-trend", "hour-heatmap", "store-comparison", "top-products", "top-categories", "top-brands",
          "payment-mix")  # in the order the callback returns them


def layout(**_query: str) -> dmc.Stack:
    lake = get_lake()
    period = sales_metrics.default_period(lake, business_today(get_settings().business_timezone))
    options = sales_metrics.filter_options(lake)
    grid = {"base": 1, "lg": 2}
    return dmc.Stack(
        [
            page_header("Sales", "POS and invoice sales lines; amounts in Rupiah, tax included unless stated"),
            filter_bar(PREFIX, options, period.start, period.end),
            dmc.Box(id=f"{PREFIX}-kpis"),
            chart_card(f"{PREFIX}-revenue-trend", "Daily revenue"),
            dmc.SimpleGrid(
                [
                    chart_card(f"{PREFIX}-hour-heatmap", "Revenue by hour and weekday",
                               f"Business time ({get_settings().business_timezone.key}), POS orders"),
                    chart_card(f"{PREFIX}-store-comparison", "Stores", "Revenue per store (POS)"),
                    chart_card(f"{PREFIX}-top-products", "Top products", "By revenue", height=380),
                    chart_card(f"{PREFIX}-top-categories", "Top categories", "By revenue", height=380),
                    chart_card(f"{PREFIX}-top-brands", "Top brands", "By revenue", height=380),
                    chart_card(f"{PREFIX}-payment-mix", "Payment mix",
                               "POS payments net of change; date and store filters apply", height=380),
                ],
                cols=grid, spacing="md",
            ),
        ],
        gap="md",
    )


def _ids(values: list[str] | None) -> tuple[int, ...]:
    return tuple(sorted(int(value) for value in values or ()))


@callback(
    Output(f"{PREFIX}-kpis", "children"),
    *(Output(f"{PREFIX}-{chart}", "figure") for chart in CHARTS),
    *(Input(f"{PREFIX}-{control}", "value") for control in ("date-range", "store-filter", "category-filter",
                                                             "brand-filter")),
    Input(THEME_TOGGLE_ID, "computedColorScheme"),
)
def update_sales(date_range: list[str] | None, stores: list[str] | None, categories: list[str] | None,
                 brands: list[str] | None, color_scheme: str | None) -> tuple:
    if not date_range or len(date_range) != 2 or not all(date_range):
        raise PreventUpdate
    start, end = sorted(date.fromisoformat(value[:10]) for value in date_range)
    filters = sales_metrics.SalesFilters(start, end, _ids(stores), _ids(categories), _ids(brands))
    page, scheme = sales_metrics.sales_page(get_lake(), filters), color_scheme or "light"
    return (
        kpi_grid(PREFIX, page.kpis),
        sales_charts.revenue_trend(page.trend, scheme),
        sales_charts.hour_weekday_heatmap(page.heatmap, scheme),
        sales_charts.ranked_bars(page.stores, scheme, label="store"),
        sales_charts.ranked_bars(page.top_products, scheme),
        sales_charts.ranked_bars(page.top_categories, scheme),
        sales_charts.ranked_bars(page.top_brands, scheme),
        sales_charts.payment_mix(page.payments, scheme),
    )

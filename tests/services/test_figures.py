"""The figures' shared template (it keeps the defaults of every trace type the app draws, and only those); the figures
built without plotly's validation (validating every chart of the app, drawn from the test lakes, changes nothing the
browser receives); a bar without an id named in the page's language; day notes kept clear of the mode bar."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
import polars as pl
import pytest
from dash._utils import to_json as dash_json

from services import (customer_charts, customer_metrics, inventory_charts, inventory_metrics, profit_charts,
                      profit_metrics, sales_charts, sales_metrics)
from services.duckdb_connector import Lake
from services.filters import Selection
from tests.services.profit_lake import PARTIAL, profit_lake, profit_lake_root
from tests.services.stock_lake import END, stock_lake, stock_lake_root

__all__ = ["profit_lake", "profit_lake_root", "stock_lake", "stock_lake_root"]
SERVICES = Path(__file__).resolve().parents[2] / "services"
CHART_MODULES = sorted(SERVICES.glob("*_charts.py"))
FEBRUARY = Selection("custom", date(2024, 2, 1), END)


def test_the_template_covers_every_trace_type_drawn() -> None:
    drawn = {match.lower() for path in CHART_MODULES
             for match in re.findall(r"\btrace\(go\.([A-Z][a-z]+)\b", path.read_text())}
    assert drawn and drawn <= set(sales_charts.TRACE_TYPES), drawn - set(sales_charts.TRACE_TYPES)


def test_every_trace_is_built_without_validation() -> None:
    """Through `sales_charts.trace` into `themed_figure`, never a validating constructor or `add_trace`."""
    for path in CHART_MODULES:
        source = path.read_text()
        assert set(re.findall(r"\bgo\.([A-Z][a-z]+)\(", source)) <= {"Figure"}, path.name
        assert ".add_trace" not in source, path.name


def test_a_themed_figure_has_the_scheme_colours_of_mantine() -> None:
    light, dark = (sales_charts.themed_figure(scheme, "en") for scheme in ("light", "dark"))
    assert light.layout.template.layout.paper_bgcolor != dark.layout.template.layout.paper_bgcolor
    assert set(dark.to_plotly_json()["layout"]["template"]["data"]) == set(sales_charts.TRACE_TYPES)
    full = go.Figure(layout={"template": "mantine_dark"}).layout.template.layout
    assert dark.layout.template.layout.paper_bgcolor == full.paper_bgcolor
    assert dark.layout.template.layout.font == full.font


@pytest.fixture(scope="module")
def figures(stock_lake: Lake, profit_lake: Lake) -> dict[str, go.Figure]:
    """Every chart function of the app, drawn from the test lakes in both schemes and languages."""
    filters = sales_metrics.sales_filters(FEBRUARY)
    cube = sales_metrics.sales_cube(stock_lake, filters)
    trend = sales_metrics.loaded_trend(stock_lake, filters, cube)
    products = sales_metrics.product_sales(stock_lake, filters)
    orders = sales_metrics.order_breakdowns(stock_lake, filters)
    inventory = inventory_metrics.inventory_page(stock_lake, FEBRUARY)
    assert inventory.by_category is not None
    customers = customer_metrics.customers_page(stock_lake, FEBRUARY)
    profit_period = Selection("custom", FEBRUARY.start, PARTIAL)
    dark, light = ("dark", "id"), ("light", "en")
    return {
        "revenue-trend": sales_charts.revenue_trend(trend, *dark),
        "discount-depth": sales_charts.daily_measure(trend, "discount_depth", *light, kind="percent"),
        "refunds": sales_charts.daily_measure(trend, "refunds", *dark, magnitude=True),
        "channel-split": sales_charts.channel_split(sales_metrics.channel_split(cube), *light),
        "hour-heatmap": sales_charts.hour_weekday_heatmap(sales_metrics.hour_weekday_heatmap(cube), *dark),
        "stores": sales_charts.ranked_bars(sales_metrics.store_comparison(cube), *light, label="store",
                                           key="store_id"),
        "top-products": sales_charts.ranked_bars(sales_metrics.top_products(products), *dark),
        "payment-mix": sales_charts.payment_mix(orders.payments, *light),
        "basket-sizes": sales_charts.basket_histogram(orders.baskets, *dark, largest=10),
        "no-data": sales_charts.message_figure(*light),
        "stock-by-category": inventory_charts.stock_value_bars(inventory.by_category, "category_id", *dark),
        "abc": inventory_charts.pareto(inventory.abc, *light),
        "movements": inventory_charts.movement_chart(
            inventory.movements, inventory_metrics.moves_coverage(stock_lake, FEBRUARY, END), *dark),
        "customers-trend": customer_charts.identified_trend(customers.daily, *light),
        "new-returning": customer_charts.new_vs_returning(customers.summary, *dark),
        "frequency": customer_charts.order_frequency(customers.frequency, *light),
        "top-customers": customer_charts.top_customers(customers.top, *dark),
        "profit-trend": profit_charts.profit_trend(profit_metrics.daily_profit(profit_lake, profit_period), *light),
        "cost-sources": profit_charts.cost_source_split(profit_metrics.cost_sources(profit_lake, profit_period),
                                                        *dark),
    }


def _sent(figure: go.Figure) -> dict[str, Any]:
    """The figure as the browser receives it (Dash's own encoder of a callback's answer)."""
    return json.loads(dash_json(figure))


def test_validating_the_charts_changes_nothing_the_browser_receives(figures: dict[str, go.Figure]) -> None:
    for name, figure in figures.items():
        assert figure.data or name == "no-data", f"{name} drew nothing"
        validated = go.Figure(figure.to_plotly_json())  # every property checked and coerced by plotly; raises if bad
        assert _sent(validated) == _sent(figure), name


def test_a_figure_is_sent_as_plotly_would_send_it(figures: dict[str, go.Figure]) -> None:
    """SentFigure skips plotly's copy, not anything the browser receives; a figure stays usable after it is sent."""
    for name, figure in figures.items():
        assert isinstance(figure, sales_charts.SentFigure), name
        assert _sent(figure) == json.loads(pio.to_json(go.Figure(figure), validate=False)), name
        assert _sent(figure) == _sent(figure), name


def test_a_bar_without_an_id_is_named_in_the_page_language() -> None:
    """The services label a missing brand in English ("(no brand)"); the chart names it in the page's language."""
    ranked = pl.DataFrame({"key": [5, None], "label": ["Brand 5", "(no brand)"], "revenue": [10.0, 20.0]})
    (bars,) = sales_charts.ranked_bars(ranked, "light", "id", missing_label="no-brand").data
    assert [row[0] for row in bars.customdata] == ["(tanpa merek)", "Brand 5"]
    assert list(bars.y) == [sales_charts.NO_KEY, "5"]  # a click on it filters nothing


def test_a_daily_chart_with_marked_days_keeps_them_below_the_mode_bar(figures: dict[str, go.Figure]) -> None:
    marked = figures["profit-trend"]  # the profit lake has a day not loaded and a partial one
    assert [note.text for note in marked.layout.annotations] == ["not loaded", "so far"]
    plain = sales_charts.themed_figure("light", "en")
    assert marked.layout.margin.t == sales_charts.MARKED_TOP_MARGIN > plain.layout.margin.t

"""Home page: headline KPIs for a chosen period vs the previous one, and the health of each dataset."""

from __future__ import annotations

import dash
import dash_mantine_components as dmc
from dash import Input, Output, callback

from etl.dates import business_today
from etl.settings import get_settings
from pages.components import health_table, kpi_grid, page_header
from services import sales_metrics
from services.duckdb_connector import get_lake
from services.health import health_report

dash.register_page(__name__, path="/", name="Overview", title="NKDash", order=0)

PREFIX = "home"
PERIODS = [{"value": "7", "label": "7 days"}, {"value": "30", "label": "30 days"}, {"value": "90", "label": "90 days"}]


def layout(**_query: str) -> dmc.Stack:
    report, _status = health_report(get_settings(), lake=get_lake())
    return dmc.Stack(
        [
            page_header("Overview", "Headline KPIs up to the latest loaded day, compared with the period before"),
            dmc.Group([dmc.Text("Period", fw=500),
                       dmc.SegmentedControl(id=f"{PREFIX}-period", data=PERIODS, value="30")]),
            dmc.Box(id=f"{PREFIX}-kpis"),
            dmc.Title("Data health", order=4, mt="md"),
            health_table(PREFIX, report),
        ],
        gap="md",
    )


@callback(Output(f"{PREFIX}-kpis", "children"), Input(f"{PREFIX}-period", "value"))
def update_kpis(days: str) -> dmc.Stack:
    lake = get_lake()
    filters = sales_metrics.default_period(lake, business_today(get_settings().business_timezone), int(days))
    label = f"{filters.start:%d %b %Y} – {filters.end:%d %b %Y} vs the {filters.days} days before"
    return dmc.Stack([dmc.Text(label, id=f"{PREFIX}-period-label", c="dimmed", size="sm"),
                      kpi_grid(PREFIX, sales_metrics.kpi_comparison(lake, filters))], gap="xs")

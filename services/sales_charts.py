"""Plotly figures for the sales results of `services.sales_metrics`, themed with Mantine's light/dark templates."""

from __future__ import annotations

from functools import cache

import dash_mantine_components as dmc
import plotly.graph_objects as go
import polars as pl

from services.formatting import format_rupiah, format_rupiah_compact

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MARGIN = {"l": 8, "r": 8, "t": 8, "b": 8}


@cache
def _register_templates() -> None:
    dmc.add_figure_templates()


def _figure(color_scheme: str) -> go.Figure:
    """An empty figure with the app's template for `color_scheme` ('light' | 'dark')."""
    _register_templates()
    template = "mantine_dark" if color_scheme == "dark" else "mantine_light"
    figure = go.Figure()
    figure.update_layout(template=template, margin=_MARGIN, showlegend=False, separators=",.")
    return figure


def _no_data(figure: go.Figure) -> go.Figure:
    figure.add_annotation(text="No data for this selection", showarrow=False, x=0.5, y=0.5, xref="paper",
                          yref="paper", font={"size": 14})
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return figure


def _rupiah_labels(values: pl.Series) -> list[str]:
    return [format_rupiah(value) for value in values]


def _rupiah_axis(figure: go.Figure, values: pl.Series, axis: str = "y") -> None:
    """Axis ticks as compact Rupiah (`Rp 1,2 M`) at about five round steps."""
    top = max([abs(value) for value in values if value is not None] + [1.0])
    step = 10 ** (len(str(int(top))) - 1)
    ticks = [step * i for i in range(0, int(top // step) + 2)]
    settings = {"tickvals": ticks, "ticktext": [format_rupiah_compact(tick) for tick in ticks]}
    (figure.update_yaxes if axis == "y" else figure.update_xaxes)(**settings)


def revenue_trend(trend: pl.DataFrame, color_scheme: str) -> go.Figure:
    figure = _figure(color_scheme)
    if not (trend["revenue"] != 0).any():
        return _no_data(figure)
    figure.add_trace(go.Scatter(
        x=trend["date"].to_list(), y=trend["revenue"].to_list(), mode="lines+markers", name="Revenue",
        customdata=list(zip(_rupiah_labels(trend["revenue"]), trend["orders"].to_list())),
        hovertemplate="%{x|%a %d %b %Y}<br>%{customdata[0]}<br>%{customdata[1]} orders<extra></extra>",
        fill="tozeroy",
    ))
    _rupiah_axis(figure, trend["revenue"])
    return figure


def hour_weekday_heatmap(heatmap: pl.DataFrame, color_scheme: str) -> go.Figure:
    figure = _figure(color_scheme)
    if heatmap.height == 0:
        return _no_data(figure)
    hours = list(range(int(heatmap["hour"].min()), int(heatmap["hour"].max()) + 1))
    grid = {(row["weekday"], row["hour"]): row["revenue"] for row in heatmap.iter_rows(named=True)}
    z = [[grid.get((weekday, hour), 0.0) for hour in hours] for weekday in range(1, 8)]
    text = [[format_rupiah(value) for value in row] for row in z]
    figure.add_trace(go.Heatmap(
        z=z, x=[f"{hour:02d}" for hour in hours], y=list(WEEKDAYS), text=text, colorscale="Blues",
        hovertemplate="%{y} %{x}<br>%{text}<extra></extra>", showscale=False, xgap=2, ygap=2,
    ))
    figure.update_yaxes(autorange="reversed")
    figure.update_xaxes(title_text="Hour of day", type="category")
    return figure


def ranked_bars(ranked: pl.DataFrame, color_scheme: str, label: str = "label", value: str = "revenue") -> go.Figure:
    """Horizontal bars, largest on top (top products/categories/brands, stores, payment methods)."""
    figure = _figure(color_scheme)
    if ranked.height == 0:
        return _no_data(figure)
    ordered = ranked.reverse()
    figure.add_trace(go.Bar(
        x=ordered[value].to_list(), y=ordered[label].cast(pl.String).to_list(), orientation="h",
        text=[format_rupiah_compact(v) for v in ordered[value]], textposition="auto",
        customdata=_rupiah_labels(ordered[value]), hovertemplate="%{y}<br>%{customdata}<extra></extra>",
    ))
    _rupiah_axis(figure, ordered[value], axis="x")
    figure.update_yaxes(automargin=True)
    return figure


def payment_mix(payments: pl.DataFrame, color_scheme: str) -> go.Figure:
    figure = _figure(color_scheme)
    if not (payments["amount"] != 0).any():
        return _no_data(figure)
    figure.add_trace(go.Pie(
        labels=payments["method"].to_list(), values=payments["amount"].to_list(), hole=0.55, sort=False,
        customdata=_rupiah_labels(payments["amount"]), textinfo="label+percent",
        hovertemplate="%{label}<br>%{customdata}<br>%{percent}<extra></extra>",
    ))
    return figure

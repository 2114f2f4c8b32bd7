"""Plotly figures for `services.profit_metrics`: daily gross profit with its margin and cost coverage, and the split of
revenue by cost source; themed and labelled like the sales charts (days not loaded are gaps, today so far hatched)."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from services.formatting import NO_VALUE, format_number, format_percent, format_rupiah
from services.i18n import add_messages, t
from services.sales_charts import (date_axis, day_labels, mark_days, message_figure, rupiah_axis, themed_figure,
                                   trace)

PROFIT_COLOR, LOSS_COLOR = "#40c057", "#fa5252"
MARGIN_COLOR, COVERAGE_COLOR = "#4c6ef5", "#f59f00"
RIGHT_AXIS_MARGIN = {"l": 8, "r": 48, "t": 30, "b": 8}  # room for the percent axis and the "so far" mark
SOURCE_COLORS = {"purchase": "#4c6ef5", "standard_price": "#15aabf", "missing": "#fa5252"}
add_messages({
    "profit-gross-profit": {"en": "Gross profit", "id": "Laba kotor"},
    "profit-margin": {"en": "Margin", "id": "Margin"},
    "profit-coverage": {"en": "Cost coverage", "id": "Cakupan harga pokok"},
    "profit-source-purchase": {"en": "Purchase price", "id": "Harga beli"},
    "profit-source-standard_price": {"en": "Standard price", "id": "Harga standar"},
    "profit-source-missing": {"en": "No cost", "id": "Tanpa harga pokok"},
    "profit-lines-count": {"en": "{count} lines", "id": "{count} baris"},
})


def _percent(value: float | None, lang: str) -> str:
    return NO_VALUE if value is None else format_percent(value, lang=lang)


def profit_trend(daily: pl.DataFrame, color_scheme: str, lang: str) -> go.Figure:
    """Gross profit per day (bars, red below zero) with margin % and cost coverage % on the right axis."""
    loaded = daily.filter(pl.col("loaded"))
    if loaded.is_empty() or not loaded["revenue_excl_tax"].fill_null(0).ne(0).any():
        return message_figure(color_scheme, lang)
    days, labels = daily["date"].to_list(), day_labels(daily["date"].to_list(), lang)
    profit = daily["gross_profit"].to_list()
    customdata = [[label, format_rupiah(value, lang), _percent(margin, lang), _percent(covered, lang)]
                  for label, value, margin, covered in zip(labels, profit, daily["margin_pct"],
                                                           daily["cost_coverage_pct"])]
    hover = (f"%{{customdata[0]}}<br>{t('profit-gross-profit', lang)}: %{{customdata[1]}}<br>"
             f"{t('profit-margin', lang)}: %{{customdata[2]}}<br>{t('profit-coverage', lang)}: %{{customdata[3]}}"
             "<extra></extra>")
    bars = trace(
        go.Bar, x=days, y=profit, name=t("profit-gross-profit", lang), customdata=customdata, hovertemplate=hover,
        marker_color=[LOSS_COLOR if value is not None and value < 0 else PROFIT_COLOR for value in profit],
        marker_pattern_shape=["/" if flag else "" for flag in daily["partial"].to_list()],
    )
    lines = [trace(go.Scatter, x=days, y=daily[column].to_list(), name=t(name, lang), yaxis="y2",
                   mode="lines+markers", line={"color": color, "dash": dash}, marker={"size": 4},
                   customdata=customdata, hovertemplate=hover, connectgaps=False)
             for column, name, color, dash in (("margin_pct", "profit-margin", MARGIN_COLOR, "solid"),
                                               ("cost_coverage_pct", "profit-coverage", COVERAGE_COLOR, "dot"))]
    figure = themed_figure(color_scheme, lang, [bars, *lines])
    rupiah_axis(figure, profit, lang)  # before the right axis exists: it sets every y axis
    figure.update_layout(showlegend=True, legend={"orientation": "h", "y": -0.12, "yanchor": "top", "x": 0},
                         margin=RIGHT_AXIS_MARGIN,
                         yaxis2={"overlaying": "y", "side": "right", "ticksuffix": "%", "showgrid": False,
                                 "tickmode": "auto", "nticks": 6,
                                 "rangemode": "tozero"})
    date_axis(figure, days, lang)
    mark_days(figure, daily, lang)
    return figure


def cost_source_split(sources: pl.DataFrame, color_scheme: str, lang: str) -> go.Figure:
    """Revenue excl. tax by where its cost came from (purchase, standard price, none) as a donut."""
    if sources.is_empty() or not sources["revenue_excl_tax"].ne(0).any():
        return message_figure(color_scheme, lang)
    names = sources["cost_source"].to_list()
    return themed_figure(color_scheme, lang, [trace(
        go.Pie, labels=[t(f"profit-source-{name}", lang) for name in names],
        values=sources["revenue_excl_tax"].to_list(), hole=0.55, sort=False,
        marker_colors=[SOURCE_COLORS[name] for name in names], textinfo="label+percent",
        customdata=[[format_rupiah(revenue, lang), t("profit-lines-count", lang, count=format_number(lines, lang=lang))]
                    for revenue, lines in zip(sources["revenue_excl_tax"], sources["lines"])],
        # a pie slice gathers its points: its customdata is a list of their rows
        hovertemplate="%{label}<br>%{customdata[0][0]}<br>%{customdata[0][1]}<br>%{percent}<extra></extra>",
    )])

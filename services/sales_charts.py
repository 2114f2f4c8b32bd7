"""Plotly figures for the sales results of `services.sales_metrics`, themed with Mantine's light/dark templates and
labelled in the owner's language (Babel dates and weekdays, Rupiah in tooltips and on axes).

Daily charts show a day that is not loaded as a gap with a grey band (never a zero) and a day in progress (today so
far) hatched; ranked bars are keyed by id (two products with one name stay two bars) and labelled by name, so a
click reports the id to filter by.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any, TypeVar

import dash_mantine_components as dmc
import plotly.graph_objects as go
import polars as pl
from plotly.basedatatypes import BaseTraceType

from services.formatting import format_number, format_percent, format_rupiah, format_rupiah_compact
from services.i18n import format_day, language, t, weekday_names

_MARGIN = {"l": 8, "r": 8, "t": 30, "b": 8}  # room at the top for the mode bar (PNG download)
MARKED_TOP_MARGIN = 46  # the mode bar and, below it, a line of "not loaded" / "so far" notes
_SEPARATORS = {"id": ",.", "en": ".,"}  # plotly: decimal point then thousands separator
MAX_DATE_TICKS = 8
NOT_LOADED_BAND = "rgba(134, 142, 150, 0.15)"
CHANNEL_COLORS = {"pos": "#4c6ef5", "invoice": "#15aabf"}
HEAT_SCALE = [[0.0, "rgba(76, 110, 245, 0.06)"], [1.0, "rgba(54, 79, 199, 1)"]]  # reads on light and dark cards
NO_KEY = "none"  # the bar of products without a brand/category: not a filter value


TRACE_TYPES = ("bar", "heatmap", "pie", "scatter")  # every trace type the app draws (a test keeps this true)
_UNUSED_LAYOUT = ("geo", "polar", "scene", "ternary", "sliderdefaults", "updatemenudefaults")
Trace = TypeVar("Trace", bound=BaseTraceType)


@cache
def _template(color_scheme: str) -> dict[str, Any]:
    """Mantine's figure template for `color_scheme` ('light' | 'dark'), as plain data (built once per process), with
    the defaults of only the trace types and layout parts the app draws: every figure carries its template, and the
    rest was two thirds of it, copied and sent with each chart."""
    dmc.add_figure_templates()
    name = "mantine_dark" if color_scheme == "dark" else "mantine_light"
    template = go.Figure(layout={"template": name}).layout.template.to_plotly_json()
    return {"data": {kind: template["data"][kind] for kind in TRACE_TYPES if kind in template["data"]},
            "layout": {key: value for key, value in template["layout"].items() if key not in _UNUSED_LAYOUT}}


def trace(kind: type[Trace], **properties: Any) -> Trace:
    """A `kind` trace (go.Bar, go.Scatter, go.Heatmap, go.Pie) built without plotly's per-property validation, for
    `themed_figure`. Days on the x axis go as ISO text, which is what the browser receives either way (encoding a
    date object costs plotly's JSON encoder a call per value)."""
    x = properties.get("x")
    if isinstance(x, list) and any(isinstance(value, date) for value in x):
        properties["x"] = [value.isoformat() if isinstance(value, date) else value for value in x]
    return kind(_validate=False, **properties)


class SentFigure(go.Figure):
    """A figure that a callback builds, returns and drops: serialised as its own data. Plotly's `to_plotly_json`
    deep-copies every trace and list first (one call per value: a third of a chart's serialisation), a copy that
    protects a figure kept and changed after it is sent, which these never are."""

    def to_plotly_json(self) -> dict[str, Any]:
        return {"data": self._data, "layout": self._layout}


def themed_figure(color_scheme: str, lang: str, traces: Sequence[BaseTraceType] = ()) -> go.Figure:
    """A figure of `traces` (built with `trace`) with the app's template for `color_scheme` ('light' | 'dark').

    Built without plotly's per-property validation: validating the template, the traces and every later update took
    ≈10 ms a figure and ≈1.5 ms a trace, most of a chart callback's time; what the charts set is fixed by these
    modules, and tests/services/test_figures.py checks that validating their figures changes nothing. Traces come in
    here: `add_trace` would validate each one again."""
    layout = {"template": _template("dark" if color_scheme == "dark" else "light"), "margin": _MARGIN,
              "showlegend": False, "separators": _SEPARATORS[language(lang)], "hoverlabel": {"namelength": -1}}
    return SentFigure(data=list(traces), layout=layout, _validate=False)


def message_figure(color_scheme: str, lang: str, text: str | None = None) -> go.Figure:
    """A figure that only says why there is nothing to draw (no data, or a filter it cannot honour)."""
    figure = themed_figure(color_scheme, lang)
    figure.add_annotation(text=text or t("no-data", lang), showarrow=False, x=0.5, y=0.5, xref="paper",
                          yref="paper", font={"size": 14})
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return figure


def rupiah_axis(figure: go.Figure, values: Sequence[float | None], lang: str, axis: str = "y") -> None:
    """Axis ticks as compact Rupiah (`Rp 1,2 jt`) at about five round steps."""
    top = max([abs(value) for value in values if value is not None] + [1.0])
    step = 10 ** (len(str(int(top))) - 1)
    if top / step < 3:
        step /= 2
    ticks = [step * i for i in range(0, int(top // step) + 2)]
    labels = ["" if tick == 0 else format_rupiah_compact(tick, lang) for tick in ticks]  # no "Rp 0" on the dates
    settings = {"tickvals": ticks, "ticktext": labels}
    (figure.update_yaxes if axis == "y" else figure.update_xaxes)(**settings)


def _shifted(day: date, hours: int) -> datetime:
    """`hours` from the start of `day` (a date plus a timedelta of hours is the same date: half-day edges need a
    datetime)."""
    start = day if isinstance(day, datetime) else datetime.combine(day, time.min)
    return start + timedelta(hours=hours)


def date_axis(figure: go.Figure, days: Sequence[date], lang: str) -> None:
    """Day ticks named in `lang` (`1 Feb`), at most MAX_DATE_TICKS of them."""
    step = max(1, -(-len(days) // MAX_DATE_TICKS))
    ticks = list(days[::step])
    figure.update_xaxes(tickvals=ticks, ticktext=[format_day(day, lang, "d MMM") for day in ticks],
                        range=[_shifted(days[0], -14), _shifted(days[-1], 14)] if days else None)


def _spans(days: Sequence[date]) -> list[tuple[date, date]]:
    """Consecutive runs of `days` as (first, last)."""
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and day == runs[-1][1] + timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def mark_days(figure: go.Figure, trend: pl.DataFrame, lang: str) -> None:
    """Grey bands over days not loaded; a "so far" note over a day in progress. The notes sit above the plot, below
    the mode bar (always shown on a phone)."""
    missing = trend.filter(~pl.col("loaded"))["date"].to_list()
    partial = trend.filter(pl.col("partial"))["date"].to_list()
    for first, last in _spans(missing):
        figure.add_vrect(x0=_shifted(first, -12), x1=_shifted(last, 12), fillcolor=NOT_LOADED_BAND,
                         line_width=0, layer="below")
    if missing:
        first = _spans(missing)[0]
        figure.add_annotation(x=first[0], y=1, yref="paper", yanchor="bottom", showarrow=False,
                              text=t("not-loaded-gap", lang), font={"size": 10, "color": "#868e96"})
    for day in partial:
        figure.add_annotation(x=day, y=1, yref="paper", yanchor="bottom", showarrow=False,
                              text=t("partial-mark", lang), font={"size": 10, "color": "#f08c00"})
    if missing or partial:
        figure.update_layout(margin={"t": MARKED_TOP_MARGIN})


def day_labels(days: Sequence[date], lang: str) -> list[str]:
    return [format_day(day, lang, "EEE d MMM y") for day in days]


def revenue_trend(trend: pl.DataFrame, color_scheme: str, lang: str) -> go.Figure:
    """Daily revenue stacked by channel (POS, invoices); gaps where a day is not loaded, today so far hatched."""
    if not trend.filter(pl.col("loaded"))["revenue"].fill_null(0).ne(0).any():
        return message_figure(color_scheme, lang)
    days = trend["date"].to_list()
    labels = day_labels(days, lang)
    partial = trend["partial"].to_list()
    bars = []
    for channel in ("pos", "invoice"):
        values = trend[f"{channel}_revenue"].to_list()
        if not any(values):
            continue
        customdata = [[label, format_rupiah(value, lang), t(f"channel-{channel}", lang)]
                      for label, value in zip(labels, values)]
        bars.append(trace(
            go.Bar, x=days, y=values, name=t(f"channel-{channel}", lang), marker_color=CHANNEL_COLORS[channel],
            marker_pattern_shape=["/" if flag else "" for flag in partial], customdata=customdata,
            hovertemplate="%{customdata[0]}<br>%{customdata[2]}: %{customdata[1]}<extra></extra>",
        ))
    figure = themed_figure(color_scheme, lang, bars)
    figure.update_layout(barmode="stack", showlegend=len(bars) > 1,
                         legend={"orientation": "h", "y": 1.12, "x": 0})
    rupiah_axis(figure, trend["revenue"].to_list(), lang)
    date_axis(figure, days, lang)
    mark_days(figure, trend, lang)
    return figure


def daily_measure(trend: pl.DataFrame, column: str, color_scheme: str, lang: str, kind: str = "money",
                  color: str = "#4c6ef5", magnitude: bool = False) -> go.Figure:
    """One measure per day as bars (`money`: Rupiah axis; `percent`: percent axis), gaps for days not loaded.

    `magnitude` draws the size of a negative measure (refunds) upward.
    """
    loaded = trend.filter(pl.col("loaded"))
    if loaded.is_empty() or not loaded[column].fill_null(0).ne(0).any():
        return message_figure(color_scheme, lang)
    days = trend["date"].to_list()
    values = [abs(value) if magnitude and value is not None else value for value in trend[column].to_list()]
    formatter: Callable[[Any], str] = ((lambda v: format_rupiah(v, lang)) if kind == "money"
                                       else (lambda v: format_percent(v, lang=lang)))
    figure = themed_figure(color_scheme, lang, [trace(
        go.Bar, x=days, y=values, marker_color=color, customdata=[[label, formatter(value)] for label, value in
                                                                  zip(day_labels(days, lang), values)],
        marker_pattern_shape=["/" if flag else "" for flag in trend["partial"].to_list()],
        hovertemplate="%{customdata[0]}<br>%{customdata[1]}<extra></extra>",
    )])
    if kind == "money":
        rupiah_axis(figure, values, lang)
    else:
        figure.update_yaxes(ticksuffix="%", rangemode="tozero")
    date_axis(figure, days, lang)
    mark_days(figure, trend, lang)
    return figure


def hour_weekday_heatmap(heatmap: pl.DataFrame, color_scheme: str, lang: str) -> go.Figure:
    if heatmap.height == 0:
        return message_figure(color_scheme, lang)
    hours = list(range(int(heatmap["hour"].min()), int(heatmap["hour"].max()) + 1))
    grid = {(row["weekday"], row["hour"]): (row["revenue"], row["orders"]) for row in heatmap.iter_rows(named=True)}
    z = [[grid.get((weekday, hour), (0.0, 0))[0] for hour in hours] for weekday in range(1, 8)]
    text = [[f"{format_rupiah(grid.get((weekday, hour), (0.0, 0))[0], lang)}<br>"
             f"{t('orders-count', lang, count=format_number(grid.get((weekday, hour), (0.0, 0))[1], lang=lang))}"
             for hour in hours] for weekday in range(1, 8)]
    figure = themed_figure(color_scheme, lang, [trace(
        go.Heatmap, z=z, x=[f"{hour:02d}" for hour in hours], y=list(weekday_names(lang)), text=text,
        colorscale=HEAT_SCALE, hovertemplate="%{y} %{x}:00<br>%{text}<extra></extra>", showscale=False, xgap=2,
        ygap=2,
    )])
    figure.update_yaxes(autorange="reversed")
    figure.update_xaxes(title_text=t("hour-of-day", lang), type="category")
    return figure


def ranked_bars(ranked: pl.DataFrame, color_scheme: str, lang: str, label: str = "label", value: str = "revenue",
                key: str = "key", missing_label: str = "unknown") -> go.Figure:
    """Horizontal bars, largest on top, one per id (`key`), named by `label` (top products/categories/brands,
    stores); a null id is one bar named by the `missing_label` message. Clicking a bar reports its id as `y`."""
    if ranked.height == 0 or not ranked[value].fill_null(0).ne(0).any():
        return message_figure(color_scheme, lang)
    ordered = ranked.reverse()
    ids = ordered[key].to_list()
    keys = [NO_KEY if item is None else str(item) for item in ids]
    names = [t(missing_label, lang) if item is None or name is None else str(name)
             for item, name in zip(ids, ordered[label].to_list())]  # not the data's English "(no brand)"
    values = ordered[value].to_list()
    figure = themed_figure(color_scheme, lang, [trace(
        go.Bar, x=values, y=keys, orientation="h", text=[format_rupiah_compact(v, lang) for v in values],
        textposition="auto", customdata=[[name, format_rupiah(v, lang)] for name, v in zip(names, values)],
        hovertemplate="%{customdata[0]}<br>%{customdata[1]}<extra></extra>",
    )])
    rupiah_axis(figure, values, lang, axis="x")
    figure.update_yaxes(type="category", tickvals=keys, ticktext=[_short(name) for name in names], automargin=True)
    return figure


def _short(name: str, width: int = 28) -> str:
    """A tick label that leaves room for the bars on a phone (the tooltip has the whole name)."""
    return name if len(name) <= width else name[: width - 1] + "…"


def payment_mix(payments: pl.DataFrame, color_scheme: str, lang: str) -> go.Figure:
    if payments.is_empty() or not payments["amount"].ne(0).any():
        return message_figure(color_scheme, lang)
    return themed_figure(color_scheme, lang, [trace(
        go.Pie, labels=payments["method"].to_list(), values=payments["amount"].to_list(), hole=0.55, sort=False,
        customdata=[format_rupiah(amount, lang) for amount in payments["amount"]], textinfo="label+percent",
        hovertemplate="%{label}<br>%{customdata}<br>%{percent}<extra></extra>",
    )])


def channel_split(channels: pl.DataFrame, color_scheme: str, lang: str) -> go.Figure:
    """Revenue per channel as a donut (POS vs invoices)."""
    if channels.is_empty() or not channels["revenue"].ne(0).any():
        return message_figure(color_scheme, lang)
    names = channels["channel"].to_list()
    return themed_figure(color_scheme, lang, [trace(
        go.Pie, labels=[t(f"channel-{name}", lang) for name in names], values=channels["revenue"].to_list(),
        hole=0.55, sort=False, marker_colors=[CHANNEL_COLORS.get(name) for name in names], textinfo="label+percent",
        customdata=[[format_rupiah(revenue, lang), t("orders-count", lang, count=format_number(orders, lang=lang))]
                    for revenue, orders in zip(channels["revenue"], channels["orders"])],
        # a pie slice gathers its points: its customdata is a list of their rows
        hovertemplate="%{label}<br>%{customdata[0][0]}<br>%{customdata[0][1]}<br>%{percent}<extra></extra>",
    )])


def basket_histogram(baskets: pl.DataFrame, color_scheme: str, lang: str, largest: int) -> go.Figure:
    """Orders by units in the order (1, 2, …, `largest`+)."""
    if baskets.is_empty():
        return message_figure(color_scheme, lang)
    labels = [f"{units}+" if units >= largest else str(units) for units in baskets["units"].to_list()]
    counts = baskets["orders"].to_list()
    figure = themed_figure(color_scheme, lang, [trace(
        go.Bar, x=labels, y=counts, marker_color="#7950f2",
        customdata=[t("orders-count", lang, count=format_number(count, lang=lang)) for count in counts],
        hovertemplate="%{x}<br>%{customdata}<extra></extra>",
    )])
    figure.update_xaxes(type="category", title_text=t("units-per-order", lang))
    return figure

"""Plotly figures for the results of `services.inventory_metrics`: stock by location/category/brand (bar = value at
cost, label and tooltip value and quantity), the ABC Pareto chart and stock movements by type over time, days whose
moves are not loaded shown as gaps under a grey band (same theme, language and number formats as the sales
charts)."""

from __future__ import annotations

from datetime import date

import plotly.graph_objects as go
import polars as pl

from services.formatting import format_number, format_percent, format_rupiah, format_rupiah_compact
from services.i18n import add_messages, format_day, t
from services.periods import Coverage, days_between
from services.sales_charts import date_axis, mark_days, message_figure, ranked_bars, rupiah_axis, themed_figure, trace

TOP_GROUPS = 15  # bars per stock breakdown
MAX_PARETO_BARS = 400  # more SKUs are drawn as runs of consecutive ranks (a chart never sends ~15k points)
WEEKLY_AFTER_DAYS = 92  # movements per week beyond this many days
WEEK_MS = 7 * 24 * 3600 * 1000  # a weekly bar's period on plotly's date axis
WEEK_START = "2023-12-31 12:00"  # plotly's weeks run from Sunday noon: Monday to Sunday, each day ± 12 h around its
# midnight as the day ticks and the not-loaded bands draw it
ABC_COLORS = {"A": "#2f9e44", "B": "#f59f00", "C": "#868e96"}
MOVEMENT_COLORS = {
    "incoming": "#2f9e44", "production_in": "#66a80f", "customer_return": "#20c997", "outgoing": "#4c6ef5",
    "production_out": "#7950f2", "vendor_return": "#e64980", "adjustment": "#f59f00", "transfer": "#15aabf",
    "other": "#868e96",
}

add_messages({
    "abc-revenue": {"en": "Revenue", "id": "Pendapatan"},
    "abc-cumulative": {"en": "Cumulative share of revenue", "id": "Pangsa pendapatan kumulatif"},
    "abc-rank": {"en": "SKUs ranked by revenue", "id": "SKU diurutkan menurut pendapatan"},
    "abc-skus": {"en": "SKU ranks {first}–{last}", "id": "Peringkat SKU {first}–{last}"},
    "abc-class": {"en": "Class {abc}", "id": "Kelas {abc}"},
    "week-of": {"en": "Week of {day}", "id": "Minggu {day}"},
    "stock-units": {"en": "{quantity} units", "id": "{quantity} unit"},
    **{f"movement-{kind}": texts for kind, texts in {
        "incoming": {"en": "Received", "id": "Penerimaan"},
        "production_in": {"en": "From production", "id": "Dari produksi"},
        "customer_return": {"en": "Customer returns", "id": "Retur pelanggan"},
        "outgoing": {"en": "Delivered", "id": "Pengiriman"},
        "production_out": {"en": "To production", "id": "Ke produksi"},
        "vendor_return": {"en": "Returned to vendor", "id": "Retur ke pemasok"},
        "adjustment": {"en": "Adjustments", "id": "Penyesuaian"},
        "transfer": {"en": "Transfers", "id": "Transfer"},
        "other": {"en": "Other", "id": "Lainnya"},
    }.items()},
})


def stock_value_bars(grouped: pl.DataFrame, key: str, color_scheme: str, lang: str,
                     missing_label: str = "unknown") -> go.Figure:
    """Stock per group (`key` id, `label` name), the largest TOP_GROUPS: bar = value, its label `Rp 1,2 jt · 340
    units` and its tooltip the full value and the quantity."""
    top = grouped.head(TOP_GROUPS)
    figure = ranked_bars(top.rename({key: "key"}), color_scheme, lang, value="value", missing_label=missing_label)
    if not figure.data:  # a "no data" message
        return figure
    (bars,) = figure.data  # the groups smallest first (ranked_bars draws the largest on top)
    names = [row[0] for row in bars.customdata]
    values, quantities = top["value"].reverse().to_list(), top["quantity"].reverse().to_list()
    units = [t("stock-units", lang, quantity=format_quantity(quantity, lang)) for quantity in quantities]
    bars.update(
        text=[f"{format_rupiah_compact(value, lang)} · {unit}" for value, unit in zip(values, units)],
        customdata=[[name, format_rupiah(value, lang), unit] for name, value, unit in zip(names, values, units)],
        hovertemplate="%{customdata[0]}<br>%{customdata[1]}<br>%{customdata[2]}<extra></extra>",
    )
    return figure


def _pareto_runs(abc: pl.DataFrame) -> pl.DataFrame:
    """Consecutive ranks of one class grouped into runs of at most ⌈SKUs ÷ MAX_PARETO_BARS⌉ (one SKU each for
    small catalogues): first and last rank, revenue, cumulative share at the run's end."""
    size = max(1, -(-abc.height // MAX_PARETO_BARS))
    runs = abc.with_columns(run=pl.col("abc").rle_id() * abc.height + (pl.col("rank") - 1) // size)
    return runs.group_by("run", maintain_order=True).agg(
        pl.col("rank").first().alias("first"), pl.col("rank").last().alias("last"), pl.col("abc").first(),
        pl.col("product").first(), pl.col("revenue").sum(), pl.col("cumulative_share").last())


def pareto(abc: pl.DataFrame, color_scheme: str, lang: str) -> go.Figure:
    """Revenue per SKU in rank order, one bar colour per ABC class, with the cumulative share of revenue on the
    right axis."""
    if abc.height == 0:
        return message_figure(color_scheme, lang)
    runs = _pareto_runs(abc).with_columns(name=pl.when(pl.col("first") == pl.col("last")).then(pl.col("product")))
    traces = []
    for abc_class, color in ABC_COLORS.items():
        part = runs.filter(pl.col("abc") == abc_class)
        if part.is_empty():
            continue
        names = [name or t("abc-skus", lang, first=first, last=last)
                 for name, first, last in part.select("name", "first", "last").iter_rows()]
        traces.append(trace(
            go.Bar, x=part["first"].to_list(), y=part["revenue"].to_list(),
            name=t("abc-class", lang, abc=abc_class), marker_color=color,
            customdata=[[name, format_rupiah(value, lang)] for name, value in zip(names, part["revenue"])],
            hovertemplate=f"%{{customdata[0]}}<br>{t('abc-class', lang, abc=abc_class)}<br>%{{customdata[1]}}"
                          "<extra></extra>",
        ))
    traces.append(trace(
        go.Scatter, x=runs["last"].to_list(), y=runs["cumulative_share"].to_list(), yaxis="y2", mode="lines",
        name=t("abc-cumulative", lang), line={"color": "#e8590c", "width": 2},
        customdata=[format_percent(value, lang=lang) for value in runs["cumulative_share"]],
        hovertemplate="%{customdata}<extra></extra>",
    ))
    figure = themed_figure(color_scheme, lang, traces)
    rupiah_axis(figure, runs["revenue"].to_list(), lang)  # (every y axis: the right one is set again below)
    shares = [0, 25, 50, 75, 100]
    figure.update_layout(
        yaxis2={"overlaying": "y", "side": "right", "range": [0, 105], "showgrid": False, "tickvals": shares,
                "ticktext": [format_percent(share, 0, lang) for share in shares]},
        bargap=0.05, barmode="overlay", showlegend=True,
        legend={"orientation": "h", "y": -0.22, "yanchor": "top", "x": 0})
    figure.update_xaxes(title_text=t("abc-rank", lang))
    return figure


def format_quantity(value: float | None, lang: str) -> str:
    """A quantity: whole when it is, else two decimals."""
    value = value or 0.0
    return format_number(value, 0 if float(value).is_integer() else 2, lang)


def _bucket_label(bucket: date, loaded: int, days: int, weekly: bool, lang: str) -> str:
    """The tooltip's day, or week with how many of its days in the period are loaded when not all."""
    if not weekly:
        return format_day(bucket, lang, "EEE d MMM y")
    label = t("week-of", lang, day=format_day(bucket, lang))
    return label if loaded == days else f"{label} ({t('coverage-partly', lang, loaded=loaded, days=days)})"


def movement_chart(moves: pl.DataFrame, coverage: Coverage, color_scheme: str, lang: str) -> go.Figure:
    """Σ quantity per movement type, stacked, per day (per ISO week beyond WEEKLY_AFTER_DAYS days, each bar spanning
    its week) over `coverage`'s period: days whose moves are not loaded are gaps under a grey band, never zeros; a
    day in progress is hatched and marked "so far"."""
    if moves.height == 0:
        return message_figure(color_scheme, lang)
    weekly = coverage.days > WEEKLY_AFTER_DAYS
    period = days_between(coverage.start, coverage.end)
    bucket = pl.col("date").dt.truncate("1w") if weekly else pl.col("date")
    calendar = pl.DataFrame({"date": period}).with_columns(
        bucket=bucket, loaded=pl.col("date").is_in(list(coverage.loaded)),
        partial=pl.col("date").is_in(list(coverage.partial)))
    per_bucket = calendar.group_by("bucket", maintain_order=True).agg(
        pl.len().alias("days"), pl.col("loaded").sum(), pl.col("partial").any())
    buckets = per_bucket["bucket"].to_list()
    labels = [_bucket_label(*row, weekly, lang) for row in per_bucket.select("bucket", "loaded", "days").iter_rows()]
    hatch = ["/" if flag else "" for flag in per_bucket["partial"]]
    summed = moves.with_columns(bucket=bucket).group_by("bucket", "movement_type").agg(pl.col("quantity").sum())
    week = {"xperiod": WEEK_MS, "xperiod0": WEEK_START, "xperiodalignment": "middle"} if weekly else {}
    bars = []
    for kind, color in MOVEMENT_COLORS.items():
        rows = dict(summed.filter(pl.col("movement_type") == kind).select("bucket", "quantity").iter_rows())
        if not rows:
            continue
        values = [rows.get(bucket) for bucket in buckets]
        bars.append(trace(
            go.Bar, x=buckets, y=values, name=t(f"movement-{kind}", lang), marker_color=color,
            marker_pattern_shape=hatch, customdata=[[label, t(f"movement-{kind}", lang), format_quantity(value, lang)]
                                                    for label, value in zip(labels, values)],
            hovertemplate="%{customdata[0]}<br>%{customdata[1]}: %{customdata[2]}<extra></extra>", **week,
        ))
    figure = themed_figure(color_scheme, lang, bars)
    figure.update_layout(barmode="stack", showlegend=True, legend={"orientation": "h", "y": -0.15, "x": 0})
    date_axis(figure, calendar["date"].to_list(), lang)
    mark_days(figure, calendar, lang)
    return figure

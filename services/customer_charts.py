"""Plotly figures for the results of `services.customer_metrics`: identified vs walk-in revenue per day, new vs
returning customers, orders per customer and the top customers (same theme and formats as the sales charts)."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from services.customer_metrics import ORDER_BUCKETS, CustomerSummary
from services.formatting import format_number, format_rupiah
from services.i18n import add_messages, t
from services.sales_charts import (date_axis, day_labels, mark_days, message_figure, ranked_bars, rupiah_axis,
                                   themed_figure, trace)

REVENUE_COLORS = {"identified_revenue": "#4c6ef5", "walk_in_revenue": "#adb5bd"}
NEW_RETURNING_COLORS = ("#12b886", "#4c6ef5")
TOP_CHART = 10  # bars in the top customers chart (the table lists customer_metrics.TOP_CUSTOMERS)

add_messages({
    "customers-identified": {"en": "Known customer", "id": "Pelanggan dikenal"},
    "customers-walk-in": {"en": "Walk-in (no customer)", "id": "Tanpa pelanggan (umum)"},
    "customers-new": {"en": "New", "id": "Baru"},
    "customers-returning": {"en": "Returning", "id": "Kembali"},
    "customers-count": {"en": "{count} customers", "id": "{count} pelanggan"},
    "customers-orders-bucket": {"en": "{orders} orders", "id": "{orders} pesanan"},
    "customers-orders-axis": {"en": "Orders per customer in the period", "id": "Pesanan per pelanggan dalam periode"},
})


def identified_trend(daily: pl.DataFrame, color_scheme: str, lang: str) -> go.Figure:
    """Revenue per day stacked as known-customer and walk-in; gaps for days not loaded, today so far marked."""
    loaded = daily.filter(pl.col("loaded"))
    if loaded.is_empty() or not loaded["revenue"].ne(0).any():
        return message_figure(color_scheme, lang)
    days = daily["date"].to_list()
    labels = day_labels(days, lang)
    partial = daily["partial"].to_list()
    bars = []
    for column, name in (("identified_revenue", "customers-identified"), ("walk_in_revenue", "customers-walk-in")):
        values = daily[column].to_list()
        bars.append(trace(
            go.Bar, x=days, y=values, name=t(name, lang), marker_color=REVENUE_COLORS[column],
            marker_pattern_shape=["/" if flag else "" for flag in partial],
            customdata=[[label, t(name, lang), format_rupiah(value, lang)] for label, value in zip(labels, values)],
            hovertemplate="%{customdata[0]}<br>%{customdata[1]}: %{customdata[2]}<extra></extra>",
        ))
    figure = themed_figure(color_scheme, lang, bars)
    figure.update_layout(barmode="relative", showlegend=True,
                         legend={"orientation": "h", "y": -0.12, "yanchor": "top", "x": 0})
    rupiah_axis(figure, daily["revenue"].to_list(), lang)
    date_axis(figure, days, lang)
    mark_days(figure, daily, lang)
    return figure


def new_vs_returning(summary: CustomerSummary, color_scheme: str, lang: str) -> go.Figure:
    """Customers of the period split into new and returning (revenue of each in the hover)."""
    if not summary.unique_customers:
        return message_figure(color_scheme, lang)
    counts = [summary.new_customers, summary.returning_customers]
    revenue = [summary.new_customer_revenue, summary.returning_customer_revenue]
    return themed_figure(color_scheme, lang, [trace(
        go.Pie, labels=[t("customers-new", lang), t("customers-returning", lang)], values=counts, hole=0.55,
        sort=False, marker_colors=list(NEW_RETURNING_COLORS), textinfo="label+percent",
        customdata=[[t("customers-count", lang, count=format_number(count, lang=lang)), format_rupiah(value, lang)]
                    for count, value in zip(counts, revenue)],
        hovertemplate="%{label}<br>%{customdata[0][0]}<br>%{customdata[0][1]}<extra></extra>",
    )])


def order_frequency(frequency: pl.DataFrame, color_scheme: str, lang: str) -> go.Figure:
    """How many customers placed 1, 2, 3, 4 and 5+ orders."""
    if not frequency["customers"].sum():
        return message_figure(color_scheme, lang)
    buckets = [f"{orders}+" if orders == ORDER_BUCKETS else str(orders) for orders in frequency["orders"]]
    counts = frequency["customers"].to_list()
    figure = themed_figure(color_scheme, lang, [trace(
        go.Bar, x=buckets, y=counts, marker_color="#4c6ef5", text=[format_number(count, lang=lang) for count in counts],
        textposition="auto",
        customdata=[[t("customers-orders-bucket", lang, orders=bucket),
                     t("customers-count", lang, count=format_number(count, lang=lang))]
                    for bucket, count in zip(buckets, counts)],
        hovertemplate="%{customdata[0]}<br>%{customdata[1]}<extra></extra>",
    )])
    figure.update_xaxes(type="category", title_text=t("customers-orders-axis", lang))
    return figure


def top_customers(top: pl.DataFrame, color_scheme: str, lang: str, limit: int = TOP_CHART) -> go.Figure:
    """The customers with the largest revenue, labelled `name (ref)`."""
    return ranked_bars(top.head(limit).rename({"customer_id": "key"}), color_scheme, lang)

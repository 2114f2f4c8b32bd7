"""Shared layout factories for the pages: app shell, filter bar, KPI card, chart card, freshness badge and table.

Component ids follow `<page>-<thing>[-<detail>]` (e.g. `sales-revenue-trend`, `sales-kpi-revenue-value`). KPI value
elements carry the exact value in `data-value` and `title`, so tests and tooltips can read it unrounded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

import dash_mantine_components as dmc
from dash import dcc, html

from etl.status import Freshness
from services.formatting import NO_VALUE, format_change, format_number, format_rupiah
from services.sales_metrics import KPI_NAMES, FilterOptions, Kpi

THEME_TOGGLE_ID = "theme-toggle"
FRESHNESS_COLORS = {"fresh": "green", "warning": "yellow", "critical": "red", "never": "gray"}
KPI_DISPLAY: dict[str, tuple[str, Callable[[float], str]]] = {
    "revenue": ("Revenue", format_rupiah),
    "net_sales": ("Net sales", format_rupiah),
    "orders": ("Orders", format_number),
    "aov": ("Avg order value", format_rupiah),
    "units": ("Units", format_number),
    "refunds": ("Refunds", format_rupiah),
}


def app_shell(pages: Iterable[dict[str, Any]], content: Any) -> dmc.AppShell:
    """Header with title and light/dark toggle, navigation built from the page registry, and the page content."""
    links = [
        dmc.NavLink(label=page["name"], href=page["relative_path"], active="exact", id=f"nav-{page['module']}")
        for page in pages
    ]
    header = dmc.Group(
        [
            dmc.Group([dmc.Title("NKDash", order=3), dmc.Text("Retail analytics", c="dimmed", size="sm")]),
            dmc.ColorSchemeToggle(id=THEME_TOGGLE_ID, lightIcon="☀", darkIcon="☾", variant="default", size="lg"),
        ],
        justify="space-between", h="100%", px="md",
    )
    return dmc.AppShell(
        [
            dmc.AppShellHeader(header),
            dmc.AppShellNavbar(links, p="sm"),
            dmc.AppShellMain(content),
        ],
        header={"height": 56},
        navbar={"width": 200, "breakpoint": "sm"},
        padding="md",
    )


def page_header(title: str, subtitle: str | None = None) -> dmc.Stack:
    children = [dmc.Title(title, order=2)]
    if subtitle:
        children.append(dmc.Text(subtitle, c="dimmed", size="sm"))
    return dmc.Stack(children, gap=2, mb="md")


def _select_data(pairs: list[tuple[int, str]]) -> list[dict[str, str]]:
    return [{"value": str(key), "label": label} for key, label in pairs]


def filter_bar(prefix: str, options: FilterOptions, start: date, end: date) -> dmc.Paper:
    """Date range, store, category and brand filters (brand hidden when there are no brands)."""
    date_range = dmc.DatePickerInput(
        id=f"{prefix}-date-range", type="range", label="Period", value=[start.isoformat(), end.isoformat()],
        valueFormat="DD MMM YYYY", allowSingleDateInRange=True, w=260,
    )
    multi = {"searchable": True, "clearable": True, "placeholder": "All", "w": 240, "maxValues": 50}
    fields = [
        date_range,
        dmc.MultiSelect(id=f"{prefix}-store-filter", label="Store", data=_select_data(options.stores), **multi),
        dmc.MultiSelect(id=f"{prefix}-category-filter", label="Category (incl. subcategories)",
                        data=_select_data(options.categories), **multi),
        dmc.MultiSelect(id=f"{prefix}-brand-filter", label="Brand", data=_select_data(options.brands),
                        display="block" if options.brands else "none", **multi),
    ]
    return dmc.Paper(dmc.Group(fields, align="flex-end", gap="md"), withBorder=True, p="sm", mb="md", radius="md")


def _change_badge(element_id: str, change_pct: float | None) -> dmc.Badge:
    if change_pct is None:
        color, arrow = "gray", ""
    else:
        color, arrow = ("green", "▲ ") if change_pct >= 0 else ("red", "▼ ")
    return dmc.Badge(f"{arrow}{format_change(change_pct)}", id=element_id, color=color, variant="light",
                     size="md")


def kpi_card(prefix: str, kpi: Kpi) -> dmc.Card:
    """Value of the period with its change vs the previous period of equal length (green up, red down)."""
    title, formatter = KPI_DISPLAY[kpi.name]
    value = html.Span(formatter(kpi.value), id=f"{prefix}-kpi-{kpi.name}-value", title=repr(kpi.value),
                      **{"data-value": repr(kpi.value)})
    return dmc.Card(
        [
            dmc.Text(title, c="dimmed", size="sm", fw=500),
            dmc.Text(value, fz=26, fw=700, mt=4, style={"whiteSpace": "nowrap"}),
            dmc.Group(
                [
                    _change_badge(f"{prefix}-kpi-{kpi.name}-change", kpi.change_pct),
                    dmc.Text("previous period not loaded" if kpi.previous is None else f"prev. {formatter(kpi.previous)}",
                             c="dimmed", size="xs"),
                ],
                gap="xs", mt=6,
            ),
        ],
        withBorder=True, radius="md", p="md",
    )


def kpi_grid(prefix: str, kpis: dict[str, Kpi]) -> dmc.SimpleGrid:
    return dmc.SimpleGrid([kpi_card(prefix, kpis[name]) for name in KPI_NAMES],
                          cols={"base": 1, "sm": 2, "lg": 3}, spacing="md")


def chart_card(graph_id: str, title: str, note: str | None = None, height: int = 320) -> dmc.Card:
    heading = [dmc.Text(title, fw=600)]
    if note:
        heading.append(dmc.Text(note, c="dimmed", size="xs"))
    graph = dcc.Graph(id=graph_id, config={"displayModeBar": False}, style={"height": f"{height}px"})
    return dmc.Card([dmc.Stack(heading, gap=0), graph], withBorder=True, radius="md", p="md")


def freshness_badge(level: str, element_id: str | None = None) -> dmc.Badge:
    props = {"id": element_id} if element_id else {}
    return dmc.Badge(level, color=FRESHNESS_COLORS.get(level, "gray"), variant="filled", **props)


def _last_run_text(item: Freshness) -> str:
    run = item.last_run
    if run is None:
        return NO_VALUE
    quarantined = f", {format_number(run.quarantined)} quarantined" if run.quarantined else ""
    return f"{run.day}: {format_number(run.rows_out)} rows{quarantined}, {run.seconds:.1f} s"


def freshness_table(prefix: str, rows: list[tuple[str, Freshness]]) -> dmc.Table:
    """Per dataset: level badge, last processed day, days late, missing days, the last run and the current error."""
    head = dmc.TableThead(dmc.TableTr([dmc.TableTh(h) for h in (
        "Dataset", "Level", "Last processed", "Days late", "Gaps", "Last run", "Last error")]))
    body = dmc.TableTbody([
        dmc.TableTr([
            dmc.TableTd(title),
            dmc.TableTd(freshness_badge(item.level, f"{prefix}-freshness-{item.dataset}-level")),
            dmc.TableTd(item.last_processed_date.isoformat() if item.last_processed_date else NO_VALUE),
            dmc.TableTd(NO_VALUE if item.days_late is None else str(item.days_late)),
            dmc.TableTd(", ".join(day.isoformat() for day in item.gaps[:10]) + (" …" if len(item.gaps) > 10 else "")
                        or "none"),
            dmc.TableTd(_last_run_text(item), id=f"{prefix}-freshness-{item.dataset}-last-run"),
            dmc.TableTd(item.last_error or NO_VALUE),
        ])
        for title, item in rows
    ])
    return dmc.Table([head, body], id=f"{prefix}-freshness-table", striped=True, highlightOnHover=True,
                     withTableBorder=True)

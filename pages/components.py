"""Shared layout factories for the pages: app shell, filter bar, KPI card, chart card, freshness badge, health table.

Component ids follow `<page>-<thing>[-<detail>]` (e.g. `sales-revenue-trend`, `sales-kpi-revenue-value`). KPI value
elements carry the exact value in `data-value` and `title`, so tests and tooltips can read it unrounded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

import dash_mantine_components as dmc
from dash import dcc, html

from services.formatting import NO_VALUE, format_change, format_number, format_rupiah
from services.sales_metrics import KPI_NAMES, FilterOptions, Kpi

THEME_TOGGLE_ID = "theme-toggle"
FRESHNESS_COLORS = {"fresh": "green", "warning": "yellow", "critical": "red", "never": "gray"}
STATUS_COLORS = {"ok": "green", "stale": "yellow", "degraded": "yellow", "failing": "red", "unreadable": "red",
                 "down": "red"}
SHOWN_DAYS = 10
SHOWN_PROBLEMS = 5
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


BADGE_STYLE = {"minWidth": "max-content"}  # never cut to "ST…" in a narrow table column


def freshness_badge(level: str, element_id: str | None = None) -> dmc.Badge:
    props = {"id": element_id} if element_id else {}
    return dmc.Badge(level, color=FRESHNESS_COLORS.get(level, "gray"), variant="filled", style=BADGE_STYLE, **props)


def status_badge(status: str, element_id: str) -> dmc.Badge:
    return dmc.Badge(status, id=element_id, color=STATUS_COLORS.get(status, "gray"), variant="filled",
                     style=BADGE_STYLE)


def _last_run_text(run: Mapping[str, Any] | None) -> str:
    if not run:
        return NO_VALUE
    quarantined = f", {format_number(run['quarantined'])} quarantined" if run["quarantined"] else ""
    return f"{run['day']}: {format_number(run['rows_out'])} rows{quarantined}, {run['seconds']:.1f} s"


def _days_text(days: list[str]) -> str:
    """All the days when few, else how many and the newest ones."""
    if len(days) <= SHOWN_DAYS:
        return ", ".join(days) or "none"
    return f"{len(days)} days, newest: {', '.join(days[-SHOWN_PROBLEMS:])}"


def _problems(lines: list[str]) -> dmc.Stack | str:
    """One short line per problem (the first few), or "none"."""
    if not lines:
        return "none"
    shown = [dmc.Text(line, size="xs") for line in lines[:SHOWN_PROBLEMS]]
    if len(lines) > SHOWN_PROBLEMS:
        shown.append(dmc.Text(f"+{len(lines) - SHOWN_PROBLEMS} more", size="xs", c="dimmed"))
    return dmc.Stack(shown, gap=0)


def _failed_lines(failed: list[Mapping[str, Any]]) -> list[str]:
    return [f"{item['day']} ({item['step'] or 'run'}): {item['error']}" for item in reversed(failed)]


def _unreadable_lines(unreadable: list[Mapping[str, Any]]) -> list[str]:
    return [f"{item['day'] or ''} {item['table']}: {item['reason']}".strip() for item in unreadable]


def _workers_text(workers: Mapping[str, Any]) -> str:
    names = workers.get("workers") or []
    return f"Celery workers answering: {', '.join(names)}" if names else "No Celery worker answers"


def health_table(prefix: str, report: Mapping[str, Any]) -> dmc.Stack:
    """The health report (etl.pipelines.health) per dataset: status, freshness level, last processed day, last run,
    failed days with reasons, missing days and unreadable files; the overall status, workers and dimensions."""
    head = dmc.TableThead(dmc.TableTr([dmc.TableTh(h) for h in (
        "Dataset", "Status", "Freshness", "Last processed", "Last run", "Failed days", "Missing days",
        "Unreadable files")]))
    body = dmc.TableTbody([
        dmc.TableTr([
            dmc.TableTd(entry["title"]),
            dmc.TableTd(status_badge(entry["status"], f"{prefix}-freshness-{name}-status")),
            dmc.TableTd(freshness_badge(entry["level"], f"{prefix}-freshness-{name}-level")),
            dmc.TableTd(entry["last_processed_date"] or NO_VALUE),
            dmc.TableTd(_last_run_text(entry["last_run"]), id=f"{prefix}-freshness-{name}-last-run"),
            dmc.TableTd(_problems(_failed_lines(entry["failed_days"])), id=f"{prefix}-freshness-{name}-failed"),
            dmc.TableTd(_days_text(entry["missing_days"]), id=f"{prefix}-freshness-{name}-missing"),
            dmc.TableTd(_problems(_unreadable_lines(entry["unreadable"])), id=f"{prefix}-freshness-{name}-unreadable"),
        ])
        for name, entry in report["datasets"].items()
    ])
    dimensions = [item for item in report["unreadable"] if item["day"] is None]
    summary = dmc.Group([
        status_badge(report["status"], f"{prefix}-health-status"),
        dmc.Text(_workers_text(report["workers"]), id=f"{prefix}-workers", size="sm",
                 c="dimmed" if report["workers"]["ok"] else "red"),
    ], gap="sm")
    children = [summary, dmc.Table([head, body], id=f"{prefix}-freshness-table", striped=True,
                                   highlightOnHover=True, withTableBorder=True)]
    if dimensions:
        children.append(dmc.Alert(_problems(_unreadable_lines(dimensions)), title="Unreadable dimension files",
                                  color="red", id=f"{prefix}-dimensions-unreadable"))
    return dmc.Stack(children, gap="xs")

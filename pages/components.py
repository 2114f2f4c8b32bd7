"""Shared layout factories for the pages: app shell, filter bar, KPI card, chart card, exports, freshness and health.

How a page uses them (ids follow `<page>-<thing>[-<detail>]`, e.g. `sales-revenue-trend`):

    FILTERS = FilterBar("inventory", fields=("store", "category", "brand"))   # at import: registers its callbacks

    def layout(**query):                       # Dash passes the URL query string
        lang = current_language()              # 'en' | 'id', from the language switch (cookie mirror)
        return dmc.Stack([page_header(t("page-inventory", lang), None),
                          FILTERS.layout(query, lang),           # the bar, its state store and the coverage note
                          kpi_box("inventory-kpis"),             # skeleton cards until the callback fills it
                          chart_card("inventory-on-hand", "On hand", lang=lang, export=True)])

    @callback(Output("inventory-kpis", "children"), FILTERS.input, Input(THEME_TOGGLE_ID, "computedColorScheme"))
    def update(state, scheme):
        selection = FILTERS.selection(state)   # services.filters.Selection (dates, ids, channel), never invalid
        return kpi_grid([kpi_card("inventory", "on_hand_value", 123.0, kind="money", lang=current_language())])

    FILTERS.export("inventory-on-hand", lambda selection: frame_of(selection))   # CSV + Excel of that chart/table

- `FilterBar(prefix, fields=FIELDS, facts=SALES_FACTS)`: date presets + range (bounded by the loaded days of
  `facts`), store, category, brand, channel (`fields` picks which show). The selection lives in the URL query string
  (`?period=…&store=1,2`), is kept when navigating between pages and survives reloads; invalid values are dropped.
  `.input` is the Input of its state (a query dict); `.selection(state)` parses it; `.drill(field)` is an Output
  (allow_duplicate) a chart click may set (`store`, `category`, `brand` values, or `range` [start, end]);
  `.export(component_id, frame)` wires the CSV/Excel menu of a chart or table card to `frame(selection)`.
- `kpi_card(prefix, key, value, *, kind, lang, changes=(), partial=False)`: value (`kind` money | number | decimal |
  percent), an info icon with the "what this means" text of docs/KPIS.md for `key`, and one badge per
  `services.periods.Change` (green = good news, red = bad, grey = neither). The value element
  `<prefix>-kpi-<key>-value` carries the exact value in `data-value`; badges are `<prefix>-kpi-<key>-change` (previous
  period) and `-change-last_year`.
- `kpi_grid(cards)`, `kpi_box(id, count)`: the responsive grid; a box of skeleton cards until a callback fills it.
- `chart_card(graph_id, title, note=None, height=320, *, lang, export=False, hint=None)`: a themed dcc.Graph with a
  skeleton while loading, the PNG button (file named after the chart), an optional CSV/Excel menu and a `<graph_id>-note`
  element a callback fills when the chart cannot honour a filter. `table_card(table_id, title, …)` is the same for a
  table filled by a callback (`<table_id>` children). Their title carries the info icon of docs/KPIS.md's row for the
  id (`inventory-abc`); `card_header(id, title, lang)` is that title and CSV/Excel menu for a card of its own.
- `coverage_note(coverage, lang)`: alerts for a `<page>-coverage` box: "12 of 30 days loaded", "still to come",
  "today so far". `page_today()`: the business today.
- `health_table(prefix, report, lang)`: the health report's datasets, statuses and problems, words and days in `lang`;
  `dataset_title(name, default, lang)` names a dataset in `lang`; `page_title("page-sales")` is a `register_page`
  title that follows the language.
- `current_language()`, `t` (services.i18n) for text; services.formatting for numbers, with `lang`.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import dash_mantine_components as dmc
import polars as pl
from dash import ALL, ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, dcc, html
from dash.exceptions import PreventUpdate
from flask import has_request_context, request

from etl.dates import business_today
from etl.settings import get_settings
from services import filters, kpi_help
from services.duckdb_connector import get_lake
from services.formatting import (NO_VALUE, format_change, format_number, format_percent, format_rupiah)
from services.i18n import LANGUAGES, dates_locale, format_day, format_day_range, language, t, t_or
from services.periods import Change, Coverage
from services.sales_metrics import CHANNEL_FACTS, Kpi

THEME_TOGGLE_ID = "theme-toggle"
LANGUAGE_SWITCH_ID = "language-switch"
LANGUAGE_STORE_ID = "app-language"  # the choice, remembered in localStorage
LANGUAGE_RENDERED_ID = "app-language-rendered"  # the language the server rendered this page in
LANGUAGE_COOKIE = "nkdash_lang"  # mirrors the store (assets/nkdash.js) so the server renders in that language
FILTER_QUERY_ID = "app-filter-query"  # the current page's filter query, carried by the navigation links
NAV_LINK = "nav-link"
SALES_FACTS = tuple(CHANNEL_FACTS.values())
FRESHNESS_COLORS = {"fresh": "green", "warning": "yellow", "critical": "red", "never": "gray"}
STATUS_COLORS = {"ok": "green", "stale": "yellow", "degraded": "yellow", "failing": "red", "unreadable": "red",
                 "down": "red"}
SHOWN_DAYS = 10
SHOWN_PROBLEMS = 5
KPI_CARD_HEIGHT = 150  # skeletons and cards the same height: no jump when values arrive
GRID_COLS = {"base": 1, "xs": 2, "lg": 4}


def current_language() -> str:
    """The language of this request: the cookie the language switch sets, else the default."""
    return language(request.cookies.get(LANGUAGE_COOKIE)) if has_request_context() else language(None)


# --- shell ---------------------------------------------------------------------------------------------------------

def _nav_label(page: Mapping[str, Any], lang: str) -> str:
    return t_or(f"page-{page['module'].rsplit('.', 1)[-1]}", lang, page["name"])


def app_shell(pages: Iterable[Mapping[str, Any]], content: Any, lang: str | None = None) -> dmc.DatesProvider:
    """Header (burger under `sm`, title, busy sign, language and theme switches), navigation from the page registry
    (links carry the current filters), the page content; date pickers in the page's language."""
    lang = lang or current_language()
    links = [
        dmc.NavLink(label=_nav_label(page, lang), href=page["relative_path"], active="exact",
                    id={"type": NAV_LINK, "path": page["relative_path"]})
        for page in pages
    ]
    switches = dmc.Group([
        dmc.Text(t("busy", lang), className="app-busy", size="xs", c="dimmed", visibleFrom="sm"),
        dmc.SegmentedControl(id=LANGUAGE_SWITCH_ID, value=lang, size="xs",
                             data=[{"value": code, "label": code.upper()} for code in LANGUAGES],
                             **{"aria-label": t("language", lang)}),
        dmc.ColorSchemeToggle(id=THEME_TOGGLE_ID, lightIcon="☀", darkIcon="☾", variant="default", size="lg",
                              **{"aria-label": t("theme", lang)}),
    ], gap="xs", wrap="nowrap")
    header = dmc.Group(
        [
            dmc.Group([
                dmc.Burger(id="nav-burger", size="sm", hiddenFrom="sm", opened=False,
                           **{"aria-label": t("menu", lang)}),
                dmc.Title("NKDash", order=3),
                dmc.Text(t("app-subtitle", lang), c="dimmed", size="sm", visibleFrom="md"),
            ], gap="xs", wrap="nowrap"),
            switches,
        ],
        justify="space-between", h="100%", px="md", wrap="nowrap",
    )
    stores = [dcc.Store(id=LANGUAGE_STORE_ID, storage_type="local"),
              dcc.Store(id=LANGUAGE_RENDERED_ID, data=lang), dcc.Store(id=FILTER_QUERY_ID, data={})]
    shell = dmc.AppShell(
        [
            dmc.AppShellHeader([header, html.Div(className="app-busy-bar")]),
            dmc.AppShellNavbar(links, p="sm", id="app-navbar"),
            dmc.AppShellMain([*stores, content]),
        ],
        id="app-shell",
        header={"height": 56},
        navbar={"width": 200, "breakpoint": "sm", "collapsed": {"mobile": True}},
        padding="md",
    )
    return dmc.DatesProvider(shell, settings={"locale": dates_locale(lang), "firstDayOfWeek": 1})


clientside_callback(ClientsideFunction("nkdash", "burger"),  # assets/nkdash.js
                    Output("app-shell", "navbar"), Output("nav-burger", "opened"),
                    Input("nav-burger", "opened"), Input({"type": NAV_LINK, "path": ALL}, "n_clicks"),
                    prevent_initial_call=True)
clientside_callback(ClientsideFunction("nkdash", "applyLanguage"), Output(LANGUAGE_RENDERED_ID, "id"),
                    Input(LANGUAGE_STORE_ID, "data"), State(LANGUAGE_RENDERED_ID, "data"))
clientside_callback(ClientsideFunction("nkdash", "chooseLanguage"), Output(LANGUAGE_STORE_ID, "data"),
                    Input(LANGUAGE_SWITCH_ID, "value"), prevent_initial_call=True)
clientside_callback(ClientsideFunction("nkdash", "navLinks"), Output({"type": NAV_LINK, "path": ALL}, "href"),
                    Input(FILTER_QUERY_ID, "data"))


def page_header(title: str, subtitle: str | None = None) -> dmc.Stack:
    children = [dmc.Title(title, order=2)]
    if subtitle:
        children.append(dmc.Text(subtitle, c="dimmed", size="sm"))
    return dmc.Stack(children, gap=2, mb="xs")


# --- filter bar ----------------------------------------------------------------------------------------------------

def _select_data(pairs: Sequence[tuple[int, str]]) -> list[dict[str, str]]:
    return [{"value": str(key), "label": label} for key, label in pairs]


def _values(ids: Iterable[int]) -> list[str]:
    return [str(value) for value in ids]


def page_today() -> date:
    """The business today (presets count from it)."""
    return business_today(get_settings().business_timezone)


class FilterBar:
    """One page's filter bar: its controls, its state store (`<prefix>-filters`, the canonical query dict) and the
    callbacks that keep controls, options, state and URL in step. Create it once at the page module's import."""

    def __init__(self, prefix: str, fields: Sequence[str] = filters.FIELDS,
                 facts: Sequence[str] = SALES_FACTS) -> None:
        unknown = set(fields) - set(filters.FIELDS)
        if unknown:
            raise ValueError(f"unknown filter fields {sorted(unknown)}")
        self.prefix, self.fields, self.facts = prefix, tuple(fields), tuple(facts)
        self.state_id = f"{prefix}-filters"
        self._register()

    def id(self, control: str) -> str:
        """`<prefix>-preset`, `-date-range`, `-store-filter`, `-category-filter`, `-brand-filter`, `-channel-filter`."""
        return f"{self.prefix}-{control}" if control in ("preset", "date-range") else f"{self.prefix}-{control}-filter"

    @property
    def input(self) -> Input:
        return Input(self.state_id, "data")

    @property
    def state(self) -> State:
        return State(self.state_id, "data")

    def selection(self, state: Mapping[str, Any] | None) -> filters.Selection:
        return filters.parse_query(state, page_today())

    def drill(self, field: str) -> Output:
        """An Output a drill-down callback sets: `store`/`category`/`brand` values (list of id strings) or `range`."""
        control = "date-range" if field == "range" else field
        return Output(self.id(control), "value", allow_duplicate=True)

    def layout(self, query: Mapping[str, Any] | None, lang: str) -> dmc.Box:
        """The bar for the URL `query`, with its state store (initial data: the parsed, canonical query)."""
        lake = get_lake()
        choices = filters.filter_choices(lake)
        selection = filters.parse_query(query, page_today(), choices)
        shown = filters.narrowed(choices, lake, selection.category_ids, selection.brand_ids)
        bounds = filters.loaded_bounds(lake, [fact for fact in self.facts if fact in _fact_names()])
        return dmc.Box([
            dcc.Store(id=self.state_id, data=selection.to_query()),
            dmc.Paper(self._controls(selection, shown, bounds, lang), withBorder=True, p="sm", radius="md",
                      className="filter-bar no-print"),
            dmc.Text(_filter_summary(selection, choices, lang), size="sm", className="print-only",
                     id=f"{self.prefix}-filter-summary"),
        ])

    def _controls(self, selection: filters.Selection, choices: filters.FilterChoices,
                  bounds: tuple[date, date] | None, lang: str) -> dmc.Stack:
        multi = {"searchable": True, "clearable": True, "placeholder": t("all", lang), "maxValues": filters.MAX_IDS,
                 "comboboxProps": {"withinPortal": True}}
        picker_bounds = {"minDate": bounds[0].isoformat(), "maxDate": bounds[1].isoformat()} if bounds else {}
        fields: list[Any] = [
            dmc.Select(id=self.id("preset"), label=t("period", lang), value=selection.preset, allowDeselect=False,
                       data=[{"value": preset, "label": t(f"preset-{preset}", lang)} for preset in filters.PRESETS],
                       **_field("filter-preset")),
            dmc.DatePickerInput(id=self.id("date-range"), type="range", label=t("range", lang),
                                value=[selection.start.isoformat(), selection.end.isoformat()],
                                valueFormat="D MMM YYYY", allowSingleDateInRange=True,
                                **_field("filter-dates"), **picker_bounds),
            self._multi("store", choices.stores, selection.store_ids, lang, multi),
            self._multi("category", choices.categories, selection.category_ids, lang, multi),
            self._multi("brand", choices.brands, selection.brand_ids, lang, multi),
            dmc.Select(id=self.id("channel"), label=t("channel", lang), value=selection.channel or "",
                       data=[{"value": "", "label": t("channel-all", lang)},
                             *({"value": name, "label": t(f"channel-{name}", lang)} for name in filters.CHANNELS)],
                       allowDeselect=False, **_field("filter-channel", hidden="channel" not in self.fields)),
        ]
        loaded = (t("loaded-range", lang, first=format_day(bounds[0], lang), last=format_day(bounds[1], lang))
                  if bounds else t("nothing-loaded", lang))
        foot = dmc.Group([
            dmc.Text(loaded, size="xs", c="dimmed", id=f"{self.prefix}-loaded-range"),
            dmc.Anchor(t("reset-filters", lang), href="?period=" + filters.DEFAULT_PRESET, size="xs",
                       id=f"{self.prefix}-reset-filters", refresh=True),
        ], justify="space-between", gap="xs")
        return dmc.Stack([dmc.Group(fields, align="flex-end", gap="sm", preventGrowOverflow=False,
                                    className="filter-row"), foot], gap=6)

    def _multi(self, field: str, pairs: Sequence[tuple[int, str]], selected: Iterable[int], lang: str,
               props: Mapping[str, Any]) -> dmc.MultiSelect:
        """A multi-select of ids; hidden when the page does not use `field` or there is nothing to choose."""
        hidden = field not in self.fields or (field == "brand" and not pairs and not selected)
        return dmc.MultiSelect(id=self.id(field), label=t(field, lang), data=_select_data(pairs),
                               value=_values(selected), **_field(f"filter-{field}", hidden=hidden), **props)

    def _register(self) -> None:
        controls = ("preset", "date-range", "store", "category", "brand", "channel")

        @callback(
            Output(self.state_id, "data"),
            Output(self.id("date-range"), "value"), Output(self.id("preset"), "value"),
            Output(self.id("category"), "data"), Output(self.id("category"), "value"),
            Output(self.id("brand"), "data"), Output(self.id("brand"), "value"),
            Output(f"{self.prefix}-filter-summary", "children"),
            *(Input(self.id(control), "value") for control in controls),
            prevent_initial_call=True,
        )
        def sync(preset: str | None, date_range: list[str | None] | None, stores: list[str] | None,
                 categories: list[str] | None, brands: list[str] | None, channel: str | None) -> tuple:
            today = page_today()
            if ctx.triggered_id == self.id("preset") and preset and preset != "custom":
                start, end = filters.preset_range(preset, today)
            elif date_range and len(date_range) == 2 and all(date_range):
                start, end = sorted(date.fromisoformat(str(value)[:10]) for value in date_range)
            else:
                raise PreventUpdate  # a range half picked
            lake = get_lake()
            choices = filters.filter_choices(lake)
            query = {"from": start.isoformat(), "to": end.isoformat(), "store": stores or [],
                     "category": categories or [], "brand": brands or [], "channel": channel or ""}
            selection = filters.parse_query(query, today, choices)
            shown = filters.narrowed(choices, lake, selection.category_ids, selection.brand_ids)
            kept_categories = [key for key in selection.category_ids if key in dict(shown.categories)]
            kept_brands = [key for key in selection.brand_ids if key in dict(shown.brands)]
            return (selection.to_query(), [start.isoformat(), end.isoformat()], selection.preset,
                    _select_data(shown.categories), _values(kept_categories),
                    _select_data(shown.brands), _values(kept_brands),
                    _filter_summary(selection, choices, current_language()))

        clientside_callback(ClientsideFunction("nkdash", "filtersToUrl"),  # and on to the navigation links
                            Output(FILTER_QUERY_ID, "data", allow_duplicate=True), Input(self.state_id, "data"),
                            prevent_initial_call="initial_duplicate")

    def export(self, component_id: str, frame: Callable[[filters.Selection], pl.DataFrame]) -> None:
        """Wire the CSV/Excel menu of `component_id`'s card to `frame(selection)` (exact values, all rows)."""
        register_export(component_id, self.state, lambda state: frame(self.selection(state)))


def _field(name: str, hidden: bool = False) -> dict[str, str]:
    """A filter field's classes (sized by assets/nkdash.css); a hidden one also gives up its slot in the row."""
    if hidden:
        return {"className": f"filter-field {name} filter-hidden", "display": "none"}
    return {"className": f"filter-field {name}"}


def _fact_names() -> set[str]:
    from etl.catalog import fact_schemas

    return set(fact_schemas())


def _filter_summary(selection: filters.Selection, choices: filters.FilterChoices, lang: str) -> str:
    """One line naming the selection (printed instead of the controls)."""
    parts = [format_day_range(selection.start, selection.end, lang)]
    for field, ids, pairs in (("store", selection.store_ids, choices.stores),
                              ("category", selection.category_ids, choices.categories),
                              ("brand", selection.brand_ids, choices.brands)):
        if ids:
            names = dict(pairs)
            parts.append(f"{t(field, lang)}: {', '.join(names.get(key, str(key)) for key in ids)}")
    if selection.channel:
        parts.append(t(f"channel-{selection.channel}", lang))
    return " · ".join(parts)


def coverage_note(coverage: Coverage, lang: str) -> list[dmc.Alert]:
    """What the period holds, when it is not simply complete: nothing yet, days missing, days to come, today so far
    (children for a `<page>-coverage` box)."""
    lines: list[str] = []
    if coverage.state == "future":
        lines.append(t("coverage-future", lang))
    elif coverage.state == "empty":
        lines.append(t("coverage-empty", lang))
    elif coverage.state == "partly":
        lines.append(t("coverage-partly", lang, loaded=len(coverage.loaded), days=coverage.days))
    if coverage.future and coverage.state != "future":
        lines.append(t("coverage-future-part", lang, days=coverage.future))
    lines += [t("partial-day", lang, day=format_day(day, lang, "EEE d MMM")) for day in coverage.partial]
    color = "gray" if coverage.state in ("future", "empty") else "yellow"
    return [dmc.Alert(" · ".join(lines), color=color, variant="light", p="xs")] if lines else []


# --- KPI cards -----------------------------------------------------------------------------------------------------

def format_kpi(value: float | None, kind: str, lang: str) -> str:
    """`money` → Rp, `number` → whole number, `decimal` → one decimal, `percent` → one decimal with %."""
    if value is None:
        return NO_VALUE
    if kind == "money":
        return format_rupiah(value, lang)
    if kind == "percent":
        return format_percent(value, lang=lang)
    return format_number(value, 1 if kind == "decimal" else 0, lang)


def _change_badge(element_id: str, change: Change, kind: str, lang: str) -> dmc.Group:
    if change.change_pct is None:
        color, arrow = "gray", ""
    else:
        color = {True: "green", False: "red", None: "gray"}[change.good]
        arrow = "▲ " if change.change_pct > 0 else "▼ " if change.change_pct < 0 else ""
    label = t("vs-previous" if change.kind == "previous" else "vs-last-year", lang)
    if change.value is None:
        detail = t("not-loaded", lang)
    else:
        detail = format_kpi(change.value, kind, lang)
        if change.restricted:
            detail += ", " + t("matched-days", lang, days=change.matched, total=change.total)
    return dmc.Group([
        dmc.Badge(f"{arrow}{format_change(change.change_pct, lang=lang)}", id=element_id, color=color,
                  variant="light", size="sm", style=BADGE_STYLE),
        dmc.Text(f"{label} ({detail})", c="dimmed", size="xs", lh=1.2, style={"flex": "1 1 0", "minWidth": 0}),
    ], gap=6, wrap="nowrap", align="flex-start")


def _help_icon(key: str, lang: str) -> dmc.Tooltip | None:
    text = kpi_help.help_text(key, lang)
    if text is None:
        return None
    icon = dmc.ActionIcon("i", variant="subtle", color="gray", size="xs", radius="xl",
                          className="kpi-help", **{"aria-label": t("what-this-means", lang)})
    return dmc.Tooltip(icon, label=text, multiline=True, w=260, withArrow=True, events={"hover": True, "focus": True,
                                                                                      "touch": True})


def kpi_card(prefix: str, key: str, value: float | None, *, kind: str, lang: str, title: str | None = None,
             changes: Sequence[Change] = (), partial: bool = False) -> dmc.Card:
    """One KPI: title with its help icon (docs/KPIS.md), the value (exact in `data-value`), one badge per change."""
    value_text = html.Span(format_kpi(value, kind, lang), id=f"{prefix}-kpi-{key}-value", title=repr(value),
                           **{"data-value": repr(value)})
    heading = [dmc.Text(title or t(f"kpi-{key}", lang), c="dimmed", size="sm", fw=500, truncate="end")]
    help_icon = _help_icon(key, lang)
    if help_icon is not None:
        heading.append(help_icon)
    if partial:
        heading.append(dmc.Badge(t("partial-mark", lang), color="yellow", variant="light", size="xs",
                                 id=f"{prefix}-kpi-{key}-partial", style=BADGE_STYLE))
    badges = [_change_badge(f"{prefix}-kpi-{key}-change" + ("" if change.kind == "previous" else f"-{change.kind}"),
                            change, kind, lang) for change in changes]
    return dmc.Card(
        [
            dmc.Group(heading, gap=4, wrap="nowrap"),
            dmc.Text(value_text, fz=24, fw=700, mt=2, className="kpi-value"),
            dmc.Stack(badges, gap=4, mt=4),
        ],
        withBorder=True, radius="md", p="sm", mih=KPI_CARD_HEIGHT, className="kpi-card",
    )


def kpi_grid(cards: Sequence[Any]) -> dmc.SimpleGrid:
    """Cards in rows of four on wide screens (three when that fills the rows better), two on tablets, one on phones."""
    cols = dict(GRID_COLS, lg=4 if len(cards) % 4 == 0 or len(cards) % 3 else 3)
    return dmc.SimpleGrid(list(cards), cols=cols, spacing="sm")


SALES_KPI_KINDS = {"revenue": "money", "net_sales": "money", "orders": "number", "aov": "money", "units": "number",
                   "refunds": "money", "basket_size": "decimal", "discount_depth": "percent"}


def sales_kpi_grid(prefix: str, kpis: Mapping[str, Kpi], names: Sequence[str], coverage: Coverage,
                   lang: str) -> dmc.SimpleGrid:
    """The sales KPI cards `names` with both comparisons; a period with nothing loaded shows "—" and no badges."""
    empty = coverage.state in ("future", "empty")
    return kpi_grid([
        kpi_card(prefix, name, None if empty else kpis[name].value, kind=SALES_KPI_KINDS[name], lang=lang,
                 changes=() if empty else (kpis[name].vs_previous, kpis[name].vs_last_year),
                 partial=bool(coverage.partial))
        for name in names
    ])


def kpi_box(box_id: str, count: int = 4) -> dcc.Loading:
    """Where a callback puts its KPI grid: skeleton cards until then, a dimmed grid while it reloads."""
    skeletons = kpi_grid([dmc.Skeleton(h=KPI_CARD_HEIGHT, radius="md") for _ in range(count)])
    return dcc.Loading(html.Div(skeletons, id=box_id), **_LOADING)


# --- chart and table cards -----------------------------------------------------------------------------------------

_LOADING: dict[str, Any] = {"delay_show": 200, "overlay_style": {"visibility": "visible", "opacity": 0.45},
                            "type": "dot", "color": "var(--mantine-primary-color-filled)"}


def graph_config(graph_id: str) -> dict[str, Any]:
    """Plotly's mode bar: the PNG download named after the chart, no logo, no editing tools."""
    return {"displaylogo": False, "responsive": True,
            "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines"],
            "toImageButtonOptions": {"format": "png", "filename": graph_id, "scale": 2}}


def export_menu(component_id: str, lang: str) -> dmc.Menu:
    """The CSV/Excel menu of a card (`<id>-csv`, `<id>-xlsx` items, `<id>-download`)."""
    return dmc.Box([
        dmc.Menu([
            dmc.MenuTarget(dmc.Button(t("export", lang), variant="subtle", size="compact-xs",
                                      id=f"{component_id}-export")),
            dmc.MenuDropdown([
                dmc.MenuItem(t("download-csv", lang), id=f"{component_id}-csv", n_clicks=0),
                dmc.MenuItem(t("download-xlsx", lang), id=f"{component_id}-xlsx", n_clicks=0),
            ]),
        ], position="bottom-end", withinPortal=True),
        dcc.Download(id=f"{component_id}-download"),
    ], className="no-print")


def card_header(component_id: str, title: str, lang: str, note: str | None = None, export: bool = True) -> dmc.Group:
    """A card's title with the "what this means" icon of docs/KPIS.md's row `component_id` (when it has one), its
    note, and its CSV/Excel menu on the right (`export_menu(component_id)`)."""
    title_line: Any = dmc.Text(title, fw=600)
    help_icon = _help_icon(component_id, lang)
    if help_icon is not None:
        title_line = dmc.Group([title_line, help_icon], gap=4, wrap="nowrap")
    heading = [title_line]
    if note:
        heading.append(dmc.Text(note, c="dimmed", size="xs"))
    top = [dmc.Stack(heading, gap=0, style={"flex": "1 1 0", "minWidth": 0})]
    if export:
        top.append(export_menu(component_id, lang))
    return dmc.Group(top, justify="space-between", align="flex-start", wrap="nowrap", gap="xs")


def _card(component_id: str, title: str, note: str | None, body: Any, lang: str, export: bool,
          hint: str | None) -> dmc.Card:
    children = [card_header(component_id, title, lang, note, export),
                dmc.Text(id=f"{component_id}-note", size="xs", c="orange"), body]
    if hint:
        children.append(dmc.Text(hint, size="xs", c="dimmed", className="no-print"))
    return dmc.Card(children, withBorder=True, radius="md", p="sm", className="chart-card")


def chart_card(graph_id: str, title: str, note: str | None = None, height: int = 320, *, lang: str | None = None,
               export: bool = False, hint: str | None = None) -> dmc.Card:
    lang = lang or current_language()
    graph = dcc.Graph(id=graph_id, config=graph_config(graph_id), style={"height": f"{height}px"},
                      figure=_blank_figure())
    # while the chart's callback runs (the first time, and at each filter change): a skeleton of the chart's size
    # over it, so the card never changes height
    skeleton = dmc.Skeleton(h=height, w="100%", radius="sm", style={"minWidth": "260px"})
    loading = dcc.Loading(graph, **{**_LOADING, "custom_spinner": skeleton})
    return _card(graph_id, title, note, loading, lang, export, hint)


def table_card(table_id: str, title: str, note: str | None = None, *, lang: str | None = None,
               export: bool = True, min_height: int = 200) -> dmc.Card:
    lang = lang or current_language()
    body = dcc.Loading(html.Div(dmc.Skeleton(h=min_height, radius="sm"), id=table_id,
                                style={"minHeight": min_height}), **_LOADING)
    return _card(table_id, title, note, body, lang, export, None)


def data_table(frame: pl.DataFrame, columns: Mapping[str, tuple[str, Callable[[Any], str]]],
               table_id: str | None = None, numeric: Iterable[str] = ()) -> dmc.TableScrollContainer:
    """A table of `frame`'s `columns` (column → (heading, formatter)), scrolling sideways inside its card on narrow
    screens (the page itself never does). Numbers are right-aligned on one line; their headings may wrap, so a long
    heading ("Cost coverage") does not widen its column past its values."""
    numeric = set(numeric)
    head_style = {column: {"textAlign": "right"} if column in numeric else {} for column in columns}
    cell_style = {column: {**head_style[column], "whiteSpace": "nowrap"} if column in numeric else {}
                  for column in columns}
    head = dmc.TableThead(dmc.TableTr([dmc.TableTh(heading, style=head_style[column])
                                       for column, (heading, _) in columns.items()]))
    body = dmc.TableTbody([
        dmc.TableTr([dmc.TableTd(fmt(row[column]), style=cell_style[column]) for column, (_, fmt) in columns.items()])
        for row in frame.iter_rows(named=True)
    ])
    props = {"id": table_id} if table_id else {}
    return dmc.TableScrollContainer(dmc.Table([head, body], striped=True, highlightOnHover=True, fz="sm", **props),
                                    minWidth=560, type="native")


def limited_table(frame: pl.DataFrame, columns: Mapping[str, tuple[str, Callable[[Any], str]]], table_id: str,
                  *, numeric: Iterable[str], shown: int, more_note: str) -> Any:
    """The first `shown` rows of `frame` as a data table; when there are more, `more_note` says so below it (the
    card's export holds them all)."""
    table = data_table(frame.head(shown), columns, table_id, numeric=numeric)
    if frame.height <= shown:
        return table
    return dmc.Stack([table, dmc.Text(more_note, size="xs", c="dimmed")], gap=4)


def _blank_figure() -> dict[str, Any]:
    """Until the callback answers: an empty, transparent plot (the skeleton overlay shows above it)."""
    hidden = {"visible": False}
    return {"data": [], "layout": {"xaxis": hidden, "yaxis": hidden, "paper_bgcolor": "rgba(0,0,0,0)",
                                   "plot_bgcolor": "rgba(0,0,0,0)", "margin": {"l": 0, "r": 0, "t": 0, "b": 0}}}


# --- exports -------------------------------------------------------------------------------------------------------

def export_bytes(frame: pl.DataFrame, fmt: str) -> bytes:
    """The frame as CSV (UTF-8 with BOM, so spreadsheet apps read names right) or as an .xlsx workbook."""
    buffer = io.BytesIO()
    if fmt == "csv":
        buffer.write(b"\xef\xbb\xbf")
        frame.write_csv(buffer)
    else:
        frame.write_excel(buffer, worksheet="data", autofit=True)
    return buffer.getvalue()


def register_export(component_id: str, state: State, frame: Callable[[Any], pl.DataFrame]) -> None:
    """Send `frame(state value)` as `<component_id>.csv|.xlsx` when its export menu item is clicked."""

    @callback(Output(f"{component_id}-download", "data"), Input(f"{component_id}-csv", "n_clicks"),
              Input(f"{component_id}-xlsx", "n_clicks"), state, prevent_initial_call=True)
    def download(_csv: int, _xlsx: int, value: Any) -> dict[str, Any]:
        if not ctx.triggered_id:
            raise PreventUpdate
        fmt = "csv" if ctx.triggered_id == f"{component_id}-csv" else "xlsx"
        return dcc.send_bytes(export_bytes(frame(value), fmt), f"{component_id}.{fmt}")


BADGE_STYLE = {"minWidth": "max-content"}  # never cut to "ST…" in a narrow table column


def dataset_title(name: str, default: str, lang: str) -> str:
    """A dataset's title in `lang` (`dataset-<name>` messages), else `default` (the catalogue's English title)."""
    return t_or(f"dataset-{name}", lang, default)


def page_title(key: str) -> Callable[[], str]:
    """A page's browser tab title in the language of the request that asks (Dash pages call a callable `title`)."""
    return lambda: f"NKDash · {t(key, current_language())}"


def freshness_badge(level: str, lang: str, element_id: str | None = None) -> dmc.Badge:
    """The freshness word in `lang`; `data-level` keeps the code."""
    props = {"id": element_id} if element_id else {}
    return dmc.Badge(t_or(f"freshness-{level}", lang, level), color=FRESHNESS_COLORS.get(level, "gray"),
                     variant="filled", style=BADGE_STYLE, **{"data-level": level}, **props)


def status_badge(status: str, element_id: str, lang: str) -> dmc.Badge:
    """The status word in `lang`; `data-status` keeps the code."""
    return dmc.Badge(t_or(f"status-{status}", lang, status), id=element_id, color=STATUS_COLORS.get(status, "gray"),
                     variant="filled", style=BADGE_STYLE, **{"data-status": status})


def iso_day(text: str, lang: str) -> str:
    """An ISO day (as the health report and job records carry them) in `lang`: `2024-02-01` → `1 Feb 2024`."""
    return format_day(date.fromisoformat(text), lang)


def _last_run_text(run: Mapping[str, Any] | None, lang: str) -> str:
    if not run:
        return NO_VALUE
    values = {"day": iso_day(run["day"], lang), "rows": format_number(run["rows_out"], lang=lang),
              "seconds": format_number(run["seconds"], 1, lang)}
    if run["quarantined"]:
        return t("health-last-run-quarantined", lang, quarantined=format_number(run["quarantined"], lang=lang),
                 **values)
    return t("health-last-run-text", lang, **values)


def _days_text(days: list[str], lang: str) -> str:
    """All the days when few, else how many and the newest ones."""
    if len(days) <= SHOWN_DAYS:
        return ", ".join(iso_day(day, lang) for day in days) or t("health-none", lang)
    return t("health-many-days", lang, count=format_number(len(days), lang=lang),
             days=", ".join(iso_day(day, lang) for day in days[-SHOWN_PROBLEMS:]))


def _problems(lines: list[str], lang: str) -> dmc.Stack | str:
    """One short line per problem (the first few), or "none"."""
    if not lines:
        return t("health-none", lang)
    shown = [dmc.Text(line, size="xs") for line in lines[:SHOWN_PROBLEMS]]
    if len(lines) > SHOWN_PROBLEMS:
        shown.append(dmc.Text(t("more-count", lang, count=format_number(len(lines) - SHOWN_PROBLEMS, lang=lang)),
                              size="xs", c="dimmed"))
    return dmc.Stack(shown, gap=0)


def _failed_lines(failed: list[Mapping[str, Any]], lang: str) -> list[str]:
    """Newest first; the step and the error as the ETL words them."""
    return [f"{iso_day(item['day'], lang)} ({item['step'] or t('health-run', lang)}): {item['error']}"
            for item in reversed(failed)]


def _unreadable_lines(unreadable: list[Mapping[str, Any]], lang: str) -> list[str]:
    return [f"{iso_day(item['day'], lang) if item['day'] else ''} {item['table']}: {item['reason']}".strip()
            for item in unreadable]


def _workers_text(workers: Mapping[str, Any], lang: str) -> str:
    names = workers.get("workers") or []
    return t("health-workers", lang, names=", ".join(names)) if names else t("health-no-workers", lang)


HEALTH_COLUMNS = ("dataset", "status", "freshness", "last-processed", "last-run", "failed", "missing", "unreadable")


def health_table(prefix: str, report: Mapping[str, Any], lang: str | None = None) -> dmc.Stack:
    """The health report (etl.pipelines.health) per dataset: status, freshness level, last processed day, last run,
    failed days with reasons, missing days and unreadable files; the overall status, workers and dimensions. Words
    and days are in `lang`; file names and ETL errors stay as the ETL words them."""
    lang = lang or current_language()
    head = dmc.TableThead(dmc.TableTr([dmc.TableTh(t(f"health-{column}", lang)) for column in HEALTH_COLUMNS]))
    body = dmc.TableTbody([
        dmc.TableTr([
            dmc.TableTd(dataset_title(name, entry["title"], lang)),
            dmc.TableTd(status_badge(entry["status"], f"{prefix}-freshness-{name}-status", lang)),
            dmc.TableTd(freshness_badge(entry["level"], lang, f"{prefix}-freshness-{name}-level")),
            dmc.TableTd(iso_day(entry["last_processed_date"], lang) if entry["last_processed_date"] else NO_VALUE),
            dmc.TableTd(_last_run_text(entry["last_run"], lang), id=f"{prefix}-freshness-{name}-last-run"),
            dmc.TableTd(_problems(_failed_lines(entry["failed_days"], lang), lang),
                        id=f"{prefix}-freshness-{name}-failed"),
            dmc.TableTd(_days_text(entry["missing_days"], lang), id=f"{prefix}-freshness-{name}-missing"),
            dmc.TableTd(_problems(_unreadable_lines(entry["unreadable"], lang), lang),
                        id=f"{prefix}-freshness-{name}-unreadable"),
        ])
        for name, entry in report["datasets"].items()
    ])
    dimensions = [item for item in report["unreadable"] if item["day"] is None]
    summary = dmc.Group([
        status_badge(report["status"], f"{prefix}-health-status", lang),
        dmc.Text(_workers_text(report["workers"], lang), id=f"{prefix}-workers", size="sm",
                 c="dimmed" if report["workers"]["ok"] else "red"),
    ], gap="sm")
    table = dmc.Table([head, body], id=f"{prefix}-freshness-table", striped=True, highlightOnHover=True,
                      withTableBorder=True, fz="sm")
    children = [summary, dmc.TableScrollContainer(table, minWidth=900, type="native")]
    if dimensions:
        children.append(dmc.Alert(_problems(_unreadable_lines(dimensions, lang), lang),
                                  title=t("health-dimensions-unreadable", lang), color="red",
                                  id=f"{prefix}-dimensions-unreadable"))
    return dmc.Stack(children, gap="xs")

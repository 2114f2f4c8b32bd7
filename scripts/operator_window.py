"""The desktop operator window (`python etl_runner.py gui`): choose business days and datasets, run them here or
queue them on the Celery workers, refresh dimensions, and watch per-day progress and each dataset's freshness.

Tk lives on the main thread only. Every piece of work that touches Odoo, the lake or Redis runs on a daemon thread and
hands its results back through a queue that the main loop drains with `after()`, so the window never freezes. Errors
are shown in the window (one line, secrets masked), never as a traceback on the console.
"""

from __future__ import annotations

import argparse
import logging
import queue
import threading
import time
import tkinter as tk
from dataclasses import astuple, dataclass
from datetime import date, datetime
from tkinter import font as tkfont
from tkinter import messagebox, ttk
from typing import Any, Callable, Mapping, NoReturn, Sequence
from urllib.parse import urlparse

from etl.catalog import CATALOG
from etl.dates import business_today, business_yesterday
from etl.logs import RedactSecrets
from etl.settings import Settings
from scripts.cli import Selection, count, iso_day, one_line, select

TITLE = "NKDash operator"
RANGE_TASK = "date_range_etl_pipeline"  # what etl_runner.queue_range sends (its RANGE_TASK)
POLL_MS = 100  # how often the main loop takes the workers' updates
FRESHNESS_EVERY_MS = 5000
SHOWN_DAYS = 2  # days listed in a freshness cell before "+N more"
BAR_COLOUR = "#3a6ea5"
COLOURS = {"good": "#1b7f3b", "warn": "#a15c00", "bad": "#b3261e", "muted": "#5f6368", "info": "#1a1a1a"}
# health statuses (the extended report's `status`, else the freshness `level`) → colour tag
STATUS_TAGS = {"ok": "good", "fresh": "good", "stale": "warn", "warning": "warn", "never": "warn",
               "critical": "bad", "failing": "bad", "unreadable": "bad"}

QueueRange = Callable[[Selection, Settings], str]  # etl_runner.queue_range: the task id, or raises NotQueued
UiCall = Callable[[], None]


class NoDisplay(RuntimeError):
    """No window can be opened here (no X display): the console subcommands are the way on this machine."""


class InputError(ValueError):
    """What is wrong with the chosen days or datasets, worded for the window."""


# --- pure pieces (no display needed) -------------------------------------------------------------------------------

class _WindowParser(argparse.ArgumentParser):
    """Lets scripts.cli.select refuse with an InputError instead of exiting; its flag names become field names."""

    def error(self, message: str) -> NoReturn:
        raise InputError(message.replace("--start", "start day").replace("--end", "end day"))


def _day(label: str, text: str) -> date:
    try:
        return iso_day(text.strip())
    except argparse.ArgumentTypeError as exc:
        raise InputError(f"{label}: {exc}") from None


def check_selection(start_text: str, end_text: str, datasets: Sequence[str], settings: Settings) -> Selection:
    """The days and datasets the form asks for, checked by the console's own rules (scripts.cli.select): YYYY-MM-DD,
    end not before start, no day after today in the business timezone. An empty end day means the start day.

    Raises InputError.
    """
    if not start_text.strip():
        raise InputError("enter a start day (YYYY-MM-DD)")
    start = _day("start day", start_text)
    end = _day("end day", end_text) if end_text.strip() else None
    if not datasets:
        raise InputError("choose at least one dataset")
    args = argparse.Namespace(date=None, start=start, end=end, targets=list(datasets))
    return select(_WindowParser(add_help=False), args, settings, require_days=True)


def secrets_of(settings: Settings) -> list[str]:
    """The secret values of the settings (what must never appear in the window)."""
    values = [settings.odoo.api_key if settings.odoo else None, settings.ops_password,
              urlparse(settings.redis_url).password]
    return [value for value in values if value]


def redact(text: str, secrets: Sequence[str]) -> str:
    """`text` on one line with every secret (as written, quoted or escaped) masked, as the logs do."""
    record = logging.LogRecord(__name__, logging.ERROR, __file__, 0, one_line(text), None, None)
    RedactSecrets(list(secrets)).filter(record)
    return record.getMessage()


def describe(error: BaseException, secrets: Sequence[str]) -> str:
    return redact(f"{type(error).__name__}: {error}", secrets)


def broker_address(settings: Settings) -> str:
    """Where the broker is, without its password."""
    url = urlparse(settings.redis_url)
    return f"{url.hostname or 'localhost'}:{url.port or 6379}{url.path or ''}"


def not_queued_message(settings: Settings, error: BaseException) -> str:
    """Why nothing was queued (etl_runner.queue_range raised), and what the operator can do instead."""
    return (f"Nothing was queued: the broker at {broker_address(settings)} is not reachable or refused the task "
            f"({redact(str(error), secrets_of(settings))}). Start Redis and the workers, or use Run here.")


def connection_line(settings: Settings) -> str:
    """Which Odoo, lake and broker the window works on (no user name, no secret)."""
    odoo = settings.odoo
    where = f"Odoo {odoo.host}:{odoo.port} (db {odoo.database})" if odoo else "Odoo not configured"
    return f"{where}  ·  lake {settings.data_lake_root}  ·  broker {broker_address(settings)}"


@dataclass(frozen=True)
class DayRow:
    """One line of the progress list; the fields are the columns, in order."""

    dataset: str
    day: str
    status: str  # waiting | running | done | failed | not run
    rows: str = ""
    quarantined: str = ""
    seconds: str = ""
    error: str = ""

    @property
    def key(self) -> str:
        return f"{self.dataset} {self.day}"

    def values(self) -> tuple[str, ...]:
        return astuple(self)


DAY_COLUMNS = (("dataset", "Dataset", 150, "w"), ("day", "Day", 95, "w"), ("status", "Status", 75, "w"),
               ("rows", "Rows", 80, "e"), ("quarantined", "Quarantined", 110, "e"), ("seconds", "Seconds", 80, "e"),
               ("error", "Error", 380, "w"))


def finished_row(dataset: str, day: date, summary: Mapping[str, Any] | None, error: BaseException | None,
                 secrets: Sequence[str]) -> DayRow:
    """The progress line of a day run_days reported: its rows, quarantined rows and seconds, or its error."""
    if error is not None:
        return DayRow(dataset, day.isoformat(), "failed", error=describe(error, secrets))
    summary = summary or {}
    seconds = summary.get("seconds")  # per step
    total = sum(seconds.values()) if isinstance(seconds, Mapping) else float(seconds or 0)
    return DayRow(dataset, day.isoformat(), "done", f"{count(summary.get('rows_out')):,}",
                  f"{count(summary.get('quarantined')):,}", f"{total:.1f}")


def progress_title(done: int, failed: int, total: int, running: bool) -> str:
    """The window title during and after a run (visible in the task bar while the window is hidden)."""
    if running:
        return f"{TITLE} — running {done + failed}/{total}"
    return f"{TITLE} — {done} done, {failed} failed"


def _days_cell(value: Any) -> str:
    """A list (or mapping) of days as `N (d1, d2, d3 +k more)`; `none` when empty."""
    if not value:
        return "none"
    if isinstance(value, Mapping):
        days = sorted(str(day) for day in value)
    elif isinstance(value, (list, tuple, set)):
        days = sorted(str(item.get("day", item)) if isinstance(item, Mapping) else str(item) for item in value)
    else:
        return str(value)
    more = f" +{len(days) - SHOWN_DAYS} more" if len(days) > SHOWN_DAYS else ""
    return f"{len(days)} ({', '.join(days[:SHOWN_DAYS])}{more})"


FRESHNESS_COLUMNS = (("dataset", "Dataset", 150, "w"), ("status", "Status", 85, "w"),
                     ("last", "Last processed", 130, "w"), ("failed", "Failed days", 265, "w"),
                     ("missing", "Missing days", 265, "w"), ("error", "Last error", 160, "w"))


def _unreadable_cell(value: Any) -> str:
    """The first unreadable file of a dataset (`table day: reason`), and how many more."""
    if not value or not isinstance(value, (list, tuple)):
        return ""
    first = value[0] if isinstance(value[0], Mapping) else {"reason": str(value[0])}
    where = " ".join(str(first[key]) for key in ("table", "day") if first.get(key))
    more = f" (+{len(value) - 1} more)" if len(value) > 1 else ""
    return f"unreadable {where}: {first.get('reason', '?')}{more}"


def freshness_row(name: str, entry: Any, secrets: Sequence[str]) -> tuple[str, ...]:
    """One dataset of etl.pipelines.health.health_report, read defensively: `status` (ok | stale | failing |
    unreadable) when the report has it, else the freshness `level`; `missing_days`, else the older `gaps`; the last
    error, else the first unreadable file."""
    entry = entry if isinstance(entry, Mapping) else {"status": str(entry)}
    status = str(entry.get("status") or entry.get("level") or "?")
    missing = entry.get("missing_days", entry.get("gaps"))
    error = redact(str(entry.get("last_error") or _unreadable_cell(entry.get("unreadable"))), secrets)
    return (name, status, str(entry.get("last_processed_date") or "never"), _days_cell(entry.get("failed_days")),
            _days_cell(missing), error)


def freshness_detail(row: Sequence[str], entry: Any) -> str:
    """Everything a freshness row abbreviates, on one line: every failed and missing day and the full error."""
    entry = entry if isinstance(entry, Mapping) else {}
    failed = entry.get("failed_days") or []
    days = sorted(str(item.get("day", item)) if isinstance(item, Mapping) else str(item) for item in failed)
    missing = [str(day) for day in entry.get("missing_days", entry.get("gaps")) or []]
    text = f"{row[0]}: {row[1]}, last processed {row[2]}; failed days: {', '.join(days) or 'none'}; missing days: " \
           f"{', '.join(missing) or 'none'}"
    return text + (f"; {row[5]}" if row[5] else "")


def _check_word(check: Any, bad: str) -> str:
    if not isinstance(check, Mapping):
        return "?"
    return "ok" if check.get("ok") else bad


def _workers_word(check: Any) -> str | None:
    if not isinstance(check, Mapping):
        return None  # an older report without the worker check
    answering = check.get("workers")
    if check.get("ok"):
        return f"{len(answering)} answering" if isinstance(answering, (list, tuple)) else "ok"
    return "none answering"


def health_line(report: Mapping[str, Any], checked_at: str) -> str:
    """The freshness panel's headline: overall status, lake, Redis, workers, business day, when it was read."""
    lake = report.get("lake")
    lake_bad = "not created yet" if isinstance(lake, Mapping) and lake.get("root_exists") is False else "unreadable"
    parts = [f"Overall {report.get('status', '?')}", f"lake {_check_word(lake, lake_bad)}",
             f"Redis {_check_word(report.get('redis'), 'not reachable')}"]
    workers = _workers_word(report.get("workers"))
    if workers:
        parts.append(f"workers {workers}")
    parts += [f"business day {report.get('today', '?')}", f"checked {checked_at}"]
    return "  ·  ".join(parts)


def dimensions_message(summary: Mapping[str, Any], seconds: float) -> str:
    """What a dimension refresh did, in one line (tables refreshed, rows, what was skipped)."""
    done = {name: entry for name, entry in summary.items() if isinstance(entry, Mapping) and "skipped" not in entry}
    skipped = [name for name in summary if name not in done]
    rows = sum(count(entry.get("rows_out")) for entry in done.values())
    changed = sum(count(entry.get("rows_in")) for entry in done.values())
    text = f"Dimensions refreshed: {len(done)} tables, {rows:,} rows ({changed:,} read from Odoo) in {seconds:.1f}s"
    return text + (f"; skipped {', '.join(skipped)} (not in this Odoo)" if skipped else "")


# --- background work -------------------------------------------------------------------------------------------------

class Background:
    """Runs jobs on daemon threads; their UI updates go through a queue the Tk main loop drains every POLL_MS."""

    def __init__(self, root: tk.Misc) -> None:
        self._root = root
        self._inbox: queue.SimpleQueue[UiCall] = queue.SimpleQueue()
        self._root.after(POLL_MS, self._drain)

    def to_ui(self, function: Callable[..., None], *args: Any) -> None:
        """Call `function(*args)` on the main thread (safe from any thread)."""
        self._inbox.put(lambda: function(*args))

    def start(self, name: str, job: Callable[[], None], on_error: Callable[[BaseException], None]) -> None:
        """Run `job` on a thread; an exception it raises is handed to `on_error` on the main thread."""
        def body() -> None:
            try:
                job()
            except Exception as exc:  # noqa: BLE001 - shown in the window, never a console traceback
                self.to_ui(on_error, exc)

        threading.Thread(target=body, name=f"nkdash-gui-{name}", daemon=True).start()

    def _drain(self) -> None:
        self._root.after(POLL_MS, self._drain)  # first: a failing update must not stop the polling
        while True:
            try:
                call = self._inbox.get_nowait()
            except queue.Empty:
                return
            call()


# --- widgets ---------------------------------------------------------------------------------------------------------

def _tree(parent: tk.Misc, columns: Sequence[tuple[str, str, int, str]], height: int) -> ttk.Treeview:
    """A table with a vertical scroll bar, gridded into `parent` row 1 (the last column stretches)."""
    tree = ttk.Treeview(parent, columns=[c[0] for c in columns], show="headings", height=height, selectmode="browse")
    for index, (key, heading, width, anchor) in enumerate(columns):
        last = index == len(columns) - 1
        tree.heading(key, text=heading, anchor=anchor)
        tree.column(key, width=width, minwidth=50, anchor=anchor, stretch=last)
    scroll = ttk.Scrollbar(parent, orient="vertical", command=tree.yview)
    tree.configure(yscrollcommand=scroll.set)
    tree.grid(row=1, column=0, sticky="nsew")
    scroll.grid(row=1, column=1, sticky="ns")
    parent.rowconfigure(1, weight=1)
    parent.columnconfigure(0, weight=1)
    for tag, colour in COLOURS.items():
        tree.tag_configure(tag, foreground=colour)
    return tree


class SelectionForm(ttk.LabelFrame):
    """Start and end day, the datasets of the catalogue, and whether dimensions are refreshed first."""

    def __init__(self, parent: tk.Misc, settings: Settings, on_change: Callable[[], None]) -> None:
        super().__init__(parent, text="Days and datasets", padding=(12, 8))
        self.settings = settings
        yesterday = business_yesterday(settings.business_timezone).isoformat()
        self.start = tk.StringVar(self, yesterday)
        self.end = tk.StringVar(self, yesterday)
        self.refresh_first = tk.BooleanVar(self, True)
        self.datasets = {name: tk.BooleanVar(self, False) for name in CATALOG}
        self.start_entry = self._day_field("Start day", self.start, row=0)
        self.end_entry = self._day_field("End day", self.end, row=1)
        ttk.Label(self, text="Datasets").grid(row=2, column=0, sticky="nw", pady=(8, 0))
        boxes = ttk.Frame(self)
        boxes.grid(row=2, column=1, columnspan=2, sticky="w", pady=(8, 0))
        for index, (name, variable) in enumerate(self.datasets.items()):
            ttk.Checkbutton(boxes, text=f"{CATALOG[name].title}  ({name})", variable=variable,
                            command=on_change).grid(row=index, column=0, sticky="w")
        ttk.Checkbutton(self, text="Refresh dimensions before running here", variable=self.refresh_first).grid(
            row=3, column=1, columnspan=2, sticky="w", pady=(6, 0))
        self.hint = ttk.Label(self, wraplength=470, justify="left")
        self.hint.grid(row=4, column=0, columnspan=3, sticky="w", pady=(8, 0))
        for variable in (self.start, self.end):
            variable.trace_add("write", lambda *_: on_change())

    def _day_field(self, label: str, variable: tk.StringVar, row: int) -> ttk.Entry:
        ttk.Label(self, text=label, underline=0).grid(row=row, column=0, sticky="w", padx=(0, 10), pady=2)
        entry = ttk.Entry(self, textvariable=variable, width=14)
        entry.grid(row=row, column=1, sticky="w", pady=2)
        if row == 0:
            zone = self.settings.business_timezone.key
            ttk.Label(self, text=f"YYYY-MM-DD, business days in {zone}", foreground=COLOURS["muted"]).grid(
                row=row, column=2, sticky="w", padx=(10, 0))
        return entry

    def focus_day(self, entry: ttk.Entry) -> None:
        """Focus a day field with its text selected, so typing replaces it."""
        entry.focus_set()
        entry.selection_range(0, "end")
        entry.icursor("end")

    def chosen(self) -> list[str]:
        return [name for name, variable in self.datasets.items() if variable.get()]

    def selection(self) -> Selection:
        return check_selection(self.start.get(), self.end.get(), self.chosen(), self.settings)

    def show_hint(self, text: str, tag: str) -> None:
        self.hint.configure(text=text, foreground=COLOURS[tag])


class Actions(ttk.LabelFrame):
    """The three things the window does, each with a line on what it means."""

    def __init__(self, parent: tk.Misc, run_here: UiCall, queue: UiCall, dimensions: UiCall) -> None:
        super().__init__(parent, text="Actions", padding=(12, 8))
        self.run_here = self._button("Run here", 0, run_here, "in this process; no broker needed", 0)
        self.queue = self._button("Queue on workers", 0, queue, f"{RANGE_TASK} via Celery", 1)
        self.dimensions = self._button("Refresh dimensions", 8, dimensions, "re-read every dimension from Odoo", 2)
        keys = ttk.Label(self, text="Keys: Alt + underlined letter  ·  F5 re-reads freshness",
                         foreground=COLOURS["muted"])
        keys.grid(row=3, column=0, columnspan=2, sticky="sw", pady=(10, 0))
        self.rowconfigure(3, weight=1)
        self.columnconfigure(1, weight=1)

    def _button(self, text: str, underline: int, command: UiCall, note: str, row: int) -> ttk.Button:
        button = ttk.Button(self, text=text, underline=underline, command=command, width=20)
        button.grid(row=row, column=0, sticky="w", pady=3)
        ttk.Label(self, text=note, foreground=COLOURS["muted"]).grid(row=row, column=1, sticky="w", padx=(10, 0))
        return button


class DayProgress(ttk.LabelFrame):
    """One line per (dataset, day) of the current run and a progress bar over them."""

    def __init__(self, parent: tk.Misc, on_select: Callable[[DayRow], None]) -> None:
        super().__init__(parent, text="Progress", padding=(12, 8))
        self.tree = _tree(self, DAY_COLUMNS, height=5)
        self.bar = ttk.Progressbar(self, mode="determinate")
        self.bar.grid(row=2, column=0, sticky="ew", pady=(8, 0))
        self.counter = ttk.Label(self, text="no run yet", foreground=COLOURS["muted"])
        self.counter.grid(row=3, column=0, sticky="w")
        self.rows: dict[str, DayRow] = {}
        self.done = self.failed = 0
        self.tree.bind("<<TreeviewSelect>>", lambda _: self._selected(on_select))

    def _selected(self, on_select: Callable[[DayRow], None]) -> None:
        for key in self.tree.selection():
            on_select(self.rows[key])

    def start(self, pairs: Sequence[tuple[str, date]]) -> None:
        self.tree.delete(*self.tree.get_children())
        self.rows = {}
        self.done = self.failed = 0
        for dataset, day in pairs:
            self._put(DayRow(dataset, day.isoformat(), "waiting"))
        self.bar.configure(maximum=max(len(pairs), 1), value=0)
        self._advance()

    @property
    def total(self) -> int:
        return len(self.rows)

    def finish(self, row: DayRow) -> None:
        """A day was reported: show it, count it, mark the next waiting day running (run_days keeps this order)."""
        self._put(row)
        self.done += int(row.status == "done")
        self.failed += int(row.status == "failed")
        self.bar.configure(value=self.done + self.failed)
        self._advance()

    def stop(self) -> None:
        """The run ended early: days never reached are `not run`."""
        for row in list(self.rows.values()):
            if row.status in ("waiting", "running"):
                self._put(DayRow(row.dataset, row.day, "not run"))
        self._count()

    def _advance(self) -> None:
        waiting = next((row for row in self.rows.values() if row.status == "waiting"), None)
        if waiting is not None:
            self._put(DayRow(waiting.dataset, waiting.day, "running"))
            self.tree.see(waiting.key)
        self._count()

    def _count(self) -> None:
        self.counter.configure(text=f"{self.done + self.failed} of {self.total} day(s) finished  ·  {self.done} done"
                                    f"  ·  {self.failed} failed")

    def _put(self, row: DayRow) -> None:
        tag = {"done": "good", "failed": "bad", "running": "info"}.get(row.status, "muted")
        if row.key in self.rows:
            self.tree.item(row.key, values=row.values(), tags=(tag,))
        else:
            self.tree.insert("", "end", iid=row.key, values=row.values(), tags=(tag,))
        self.rows[row.key] = row


class FreshnessPanel(ttk.LabelFrame):
    """etl.pipelines.health.health_report per dataset, re-read every few seconds."""

    def __init__(self, parent: tk.Misc, on_select: Callable[[str], None]) -> None:
        super().__init__(parent, text="Freshness", padding=(12, 8))
        self.headline = ttk.Label(self, text="reading the lake…", foreground=COLOURS["muted"])
        self.headline.grid(row=0, column=0, columnspan=2, sticky="w", pady=(0, 6))
        self.tree = _tree(self, FRESHNESS_COLUMNS, height=max(4, len(CATALOG)))
        self.details: dict[str, str] = {}  # tree item -> freshness_detail, shown when the row is selected
        self.tree.bind("<<TreeviewSelect>>", lambda _: self._selected(on_select))

    def _selected(self, on_select: Callable[[str], None]) -> None:
        for item in self.tree.selection():
            if item in self.details:
                on_select(self.details[item])

    def show(self, report: Mapping[str, Any], secrets: Sequence[str]) -> None:
        status = str(report.get("status", "?"))
        self.headline.configure(text=health_line(report, datetime.now().strftime("%H:%M:%S")),
                                foreground=COLOURS[{"ok": "good", "degraded": "warn"}.get(status, "bad")])
        datasets = report.get("datasets")
        self.details = {}
        for name, entry in (datasets.items() if isinstance(datasets, Mapping) else []):
            row = freshness_row(str(name), entry, secrets)
            self.details[str(name)] = freshness_detail(row, entry)
            tags = (STATUS_TAGS.get(row[1], "info"),)
            if self.tree.exists(str(name)):  # updated in place: the operator's selection stays put
                self.tree.item(str(name), values=row, tags=tags)
            else:
                self.tree.insert("", "end", iid=str(name), values=row, tags=tags)
        gone = [item for item in self.tree.get_children() if item not in self.details]
        if gone:
            self.tree.delete(*gone)

    def show_error(self, message: str) -> None:
        self.headline.configure(text=f"Could not read the health report: {message}", foreground=COLOURS["bad"])


class StatusBar(ttk.Frame):
    """The last message (coloured by outcome) and where the window is connected."""

    def __init__(self, parent: tk.Misc, where: str) -> None:
        super().__init__(parent, padding=(12, 6))
        self.message = ttk.Label(self, text="Ready.", wraplength=1040, justify="left")
        self.message.grid(row=0, column=0, sticky="w")
        ttk.Label(self, text=where, foreground=COLOURS["muted"]).grid(row=1, column=0, sticky="w", pady=(2, 0))
        self.columnconfigure(0, weight=1)

    def say(self, text: str, tag: str = "info") -> None:
        self.message.configure(text=text, foreground=COLOURS[tag])


# --- the window ------------------------------------------------------------------------------------------------------

class OperatorWindow:
    """Wires the form, the actions, progress, freshness and the status bar; one job at a time."""

    def __init__(self, root: tk.Tk, settings: Settings, queue_range: QueueRange) -> None:
        self.root, self.settings, self.queue_range = root, settings, queue_range
        self.secrets = secrets_of(settings)
        self.busy = False
        self.reading_health = False
        self.background = Background(root)
        root.title(TITLE)
        root.report_callback_exception = self._unexpected  # type: ignore[method-assign]
        self._build()
        self._bind_keys()
        root.protocol("WM_DELETE_WINDOW", self._close)
        self._validate()
        self.form.focus_day(self.form.start_entry)
        self._poll_health()

    def _build(self) -> None:
        top = ttk.Frame(self.root, padding=(12, 12, 12, 0))
        top.grid(row=0, column=0, sticky="nsew")
        top.columnconfigure(0, weight=3)
        top.columnconfigure(1, weight=2)
        self.form = SelectionForm(top, self.settings, self._validate)
        self.form.grid(row=0, column=0, sticky="nsew", padx=(0, 6))
        self.actions = Actions(top, self.run_here, self.queue_on_workers, self.refresh_dimensions)
        self.actions.grid(row=0, column=1, sticky="nsew", padx=(6, 0))
        self.progress = DayProgress(self.root, self._show_row)
        self.progress.grid(row=1, column=0, sticky="nsew", padx=12, pady=(12, 0))
        self.freshness = FreshnessPanel(self.root, self.status_say)
        self.freshness.grid(row=2, column=0, sticky="nsew", padx=12, pady=(12, 0))
        ttk.Separator(self.root).grid(row=3, column=0, sticky="ew", pady=(12, 0))
        self.status = StatusBar(self.root, connection_line(self.settings))
        self.status.grid(row=4, column=0, sticky="ew")
        self.root.columnconfigure(0, weight=1)
        self.root.rowconfigure(1, weight=1)
        self.root.rowconfigure(2, weight=1)

    def _bind_keys(self) -> None:
        """Alt + the underlined letter, as on the labels and buttons; F5 re-reads freshness."""
        keys: dict[str, UiCall] = {
            "s": lambda: self.form.focus_day(self.form.start_entry),
            "e": lambda: self.form.focus_day(self.form.end_entry),
            "r": lambda: self.actions.run_here.invoke(),
            "q": lambda: self.actions.queue.invoke(),
            "d": lambda: self.actions.dimensions.invoke(),
        }
        for letter, action in keys.items():
            self.root.bind(f"<Alt-{letter}>", lambda _event, act=action: act())
        self.root.bind("<F5>", lambda _event: self._read_health())

    # validation and state

    def _validate(self) -> Selection | None:
        """Check the form; enable the day actions only for a valid choice, and say why not otherwise."""
        try:
            selection = self.form.selection()
        except InputError as exc:
            self.form.show_hint(str(exc), "bad")
            self._enable(days=False)
            return None
        days, datasets = len(selection.days), len(selection.datasets)
        self.form.show_hint(f"{days} day(s) × {datasets} dataset(s) = {len(selection.pairs)} run(s); today is "
                            f"{business_today(self.settings.business_timezone)}", "muted")
        self._enable(days=True)
        return selection

    def _enable(self, days: bool) -> None:
        day_state = "!disabled" if days and not self.busy else "disabled"
        self.actions.run_here.state([day_state])
        self.actions.queue.state([day_state])
        self.actions.dimensions.state(["disabled" if self.busy else "!disabled"])

    def _begin(self, message: str) -> None:
        self.busy = True
        self._enable(days=False)
        self.status.say(message)

    def _end(self, message: str, tag: str) -> None:
        self.busy = False
        self._validate()
        self.status.say(message, tag)
        self._read_health()

    def _failed(self, what: str) -> Callable[[BaseException], None]:
        def show(error: BaseException) -> None:
            self.progress.stop()
            if self.progress.total:
                self.root.title(progress_title(self.progress.done, self.progress.failed, self.progress.total, False))
            self._end(f"{what} stopped: {describe(error, self.secrets)}", "bad")
        return show

    def status_say(self, text: str) -> None:
        self.status.say(text)

    def _show_row(self, row: DayRow) -> None:
        if row.error:
            self.status.say(f"{row.dataset} {row.day}: {row.error}", "bad")

    def _unexpected(self, kind: type[BaseException], error: BaseException, _traceback: Any) -> None:
        """Tk's hook for an exception in a callback: show it in the window instead of printing a traceback."""
        self.status.say(f"Unexpected error: {describe(error, self.secrets)}", "bad")

    # actions

    def run_here(self) -> None:
        selection = self._validate()
        if selection is None or self.busy:
            return
        refresh_first = self.form.refresh_first.get()
        self.progress.start(selection.pairs)
        self.root.title(progress_title(0, 0, len(selection.pairs), True))
        first = "Refreshing dimensions, then loading" if refresh_first else "Loading"
        self._begin(f"{first} {len(selection.pairs)} day(s) in this process…")
        self.background.start("run", lambda: self._run_days(selection, refresh_first), self._failed("Run here"))

    def _run_days(self, selection: Selection, refresh_first: bool) -> None:
        """On the worker thread: run_days with progress handed to the window day by day."""
        from etl.pipelines.runs import run_days  # the pipelines (polars, extractors) only when there is work

        started = time.monotonic()
        client = self._odoo_client()

        def progress(dataset: str, day: date, summary: dict | None, error: BaseException | None) -> None:
            self.background.to_ui(self._day_finished, finished_row(dataset, day, summary, error, self.secrets))

        outcome = run_days(selection.datasets, selection.days, self.settings, client, progress=progress,
                           refresh_first=refresh_first)
        rows = sum(count(summary.get("rows_out")) for summary in outcome.done)
        quarantined = sum(count(summary.get("quarantined")) for summary in outcome.done)
        message = (f"Run finished: {len(outcome.done)} day(s) loaded, {len(outcome.failed)} failed; {rows:,} rows, "
                   f"{quarantined:,} quarantined; {client.stats.calls} Odoo calls; "
                   f"{time.monotonic() - started:.1f}s")
        self.background.to_ui(self._run_finished, message, "bad" if outcome.failed else "good")

    def _day_finished(self, row: DayRow) -> None:
        self.progress.finish(row)
        self.root.title(progress_title(self.progress.done, self.progress.failed, self.progress.total, True))

    def _run_finished(self, message: str, tag: str) -> None:
        self.progress.stop()
        self.root.title(progress_title(self.progress.done, self.progress.failed, self.progress.total, False))
        self._end(message, tag)

    def queue_on_workers(self) -> None:
        selection = self._validate()
        if selection is None or self.busy:
            return
        self._begin(f"Queueing {RANGE_TASK} on the workers (broker {broker_address(self.settings)})…")
        self.background.start("queue", lambda: self._queue(selection), self._not_queued)

    def _queue(self, selection: Selection) -> None:
        task_id = self.queue_range(selection, self.settings)
        start, end = selection.days[0], selection.days[-1]
        message = (f"Queued {RANGE_TASK} {start} → {end} for {', '.join(selection.datasets)} (task {task_id}); "
                   "the workers load the days — watch Freshness.")
        self.background.to_ui(self._end, message, "good")

    def _not_queued(self, error: BaseException) -> None:
        self._end(not_queued_message(self.settings, error), "bad")

    def refresh_dimensions(self) -> None:
        if self.busy:
            return
        self._begin("Refreshing every dimension from Odoo…")
        self.background.start("dimensions", self._refresh_dimensions, self._failed("Dimension refresh"))

    def _refresh_dimensions(self) -> None:
        from etl.locks import DayLocked
        from etl.pipelines.dimensions import refresh_dimensions

        started = time.monotonic()
        client = self._odoo_client()
        try:
            summary = refresh_dimensions(client, self.settings)
        except DayLocked:
            self.background.to_ui(self._end, "Another dimension refresh is running; try again in a minute.", "warn")
            return
        self.background.to_ui(self._end, dimensions_message(summary, time.monotonic() - started), "good")

    def _odoo_client(self) -> Any:
        """A connected Odoo client (worker thread), or an error worded for the window."""
        from etl.settings import SettingsError
        from odoorpc_connector import OdooError, get_odoo_connection

        try:
            return get_odoo_connection(self.settings.require_odoo())
        except SettingsError as exc:
            raise RuntimeError(f"configuration error: {exc}") from None
        except OdooError as exc:
            raise RuntimeError(f"cannot use Odoo: {exc}") from None

    # freshness

    def _poll_health(self) -> None:
        self._read_health()
        self.root.after(FRESHNESS_EVERY_MS, self._poll_health)

    def _read_health(self) -> None:
        """Re-read the health report on a thread (it pings Redis: up to a second when Redis is down)."""
        if self.reading_health:
            return
        self.reading_health = True

        def read() -> None:
            from etl.pipelines.health import health_report

            try:
                report = health_report(self.settings)
            finally:
                self.background.to_ui(setattr, self, "reading_health", False)
            self.background.to_ui(self.freshness.show, report, self.secrets)

        self.background.start("health", read,
                              lambda error: self.freshness.show_error(describe(error, self.secrets)))

    def _close(self) -> None:
        if self.busy and not messagebox.askokcancel(
                TITLE, "A job is still running. Closing the window stops it; days already published stay.\n\n"
                       "Close anyway?", parent=self.root):
            return
        self.root.destroy()


def _style(root: tk.Tk) -> None:
    """The clam theme (the same look on every X11 desktop), bold frame titles and headings, roomier table rows."""
    style = ttk.Style(root)
    if "clam" in style.theme_names():
        style.theme_use("clam")
    bold = tkfont.nametofont("TkDefaultFont", root).copy()
    bold.configure(weight="bold")
    root.bold_font = bold  # type: ignore[attr-defined]  # kept alive: Tk forgets a font Python no longer holds
    style.configure("TLabelframe.Label", font=bold)
    style.configure("Treeview.Heading", font=bold)
    style.configure("Treeview", rowheight=max(22, tkfont.nametofont("TkDefaultFont", root).metrics("linespace") + 6))
    # clam draws the bar in the frame's grey, which reads as empty: give it a colour and a white trough
    style.configure("Horizontal.TProgressbar", background=BAR_COLOUR, lightcolor=BAR_COLOUR, darkcolor=BAR_COLOUR,
                    troughcolor="#ffffff", thickness=14)


def open_window(settings: Settings, queue_range: QueueRange) -> int:
    """Open the window and run the Tk main loop until it is closed; 0. Raises NoDisplay without a display."""
    try:
        root = tk.Tk(className="NKDash")
    except tk.TclError as exc:
        raise NoDisplay(f"cannot open a window ({exc}); use the console subcommands on a headless server") from None
    _style(root)
    root.minsize(900, 640)
    # the panel shows Redis being down; the health check's warning every FRESHNESS_EVERY_MS would flood the console
    logging.getLogger("etl.pipelines.health").setLevel(logging.ERROR)
    OperatorWindow(root, settings, queue_range)
    root.update_idletasks()  # the size the panels ask for (the form grows with the catalogue), within the screen
    height = min(root.winfo_reqheight(), root.winfo_screenheight() - 80)
    root.geometry(f"{max(1120, root.winfo_reqwidth())}x{height}")
    root.mainloop()
    return 0

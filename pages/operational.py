"""Operational page: the health of every dataset (refreshed every 30 s), and the operator's refresh actions.

Reading is open to everyone. The actions (Async refresh of up to 31 days on the Celery workers, Sync refresh of one
day in this process) need the operator login; the action callback checks the Flask session on the server before
anything else, so a request without it — from the page or crafted by hand — is refused and does nothing.
Everything the page says is in the page's language (the owner reads Bahasa Indonesia), refusals included: the
services give a reason and its values (services.refresh_actions.ActionProblem), worded here with days in the page's
format. Only what the ETL itself reports — a failed day's error, a broker's exception, file names — is shown as the
ETL words it (English, like the console's and the logs'), inside a translated sentence.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

import dash
import dash_mantine_components as dmc
import polars as pl
from dash import Input, Output, State, callback, ctx, dcc, no_update
from dash.exceptions import PreventUpdate
from flask import has_request_context, request, session

from etl.catalog import CATALOG
from etl.dates import business_today
from etl.settings import Settings, get_settings
from etl.workers import ping_workers
from pages.components import (card_header, current_language, dataset_title, health_table, iso_day, page_header,
                              page_title, register_export, status_badge)
from services.duckdb_connector import get_lake
from services.formatting import NO_VALUE, format_number
from services.health import health_report, health_rows
from services.i18n import add_messages, format_day, format_moment, t
from services.operator_auth import (
    FAILURE_WINDOW_SECONDS, MAX_FAILURES, WRONG, LoginResult, OperatorRequired, current_operator, operator_guard,
    require_operator, sign_in, sign_out,
)
from services.refresh_actions import (
    ASYNC, DONE, FAILED, MAX_RANGE_DAYS, SYNC, ActionProblem, Job, JobProgress, job_progress, queue_refresh,
    refresh_request, start_sync_refresh,
)

dash.register_page(__name__, path="/operational", name="Operations", title=page_title("page-operational"),
                   order=90)

add_messages({
    "ops-subtitle": {"en": "ETL health per dataset; refreshing data needs the operator login",
                     "id": "Kesehatan ETL per dataset; memuat ulang data memerlukan login operator"},
    "ops-refresh-title": {"en": "Refresh data", "id": "Muat ulang data"},
    "ops-dimensions": {"en": "Dimensions:", "id": "Dimensi:"},
    "ops-dimensions-refreshed": {"en": "last refreshed {time} UTC ({rows} rows, {seconds} s)",
                                 "id": "terakhir diperbarui {time} UTC ({rows} baris, {seconds} dtk)"},
    "ops-dimensions-never": {"en": "never refreshed", "id": "belum pernah diperbarui"},
    "ops-dimensions-failed": {"en": "failed {time} UTC: {error}", "id": "gagal {time} UTC: {error}"},
    "ops-lake-unreadable": {"en": "the lake cannot be read", "id": "lake tidak dapat dibaca"},
    "ops-health-note": {"en": "Business day {day} · refreshed every {seconds} s",
                        "id": "Hari bisnis {day} · diperbarui setiap {seconds} dtk"},
    "ops-disabled": {"en": "Operator actions are disabled: OPS_USERNAME and OPS_PASSWORD are not set. This page is "
                           "read-only.",
                     "id": "Tindakan operator dinonaktifkan: OPS_USERNAME dan OPS_PASSWORD belum diatur. Halaman ini "
                           "hanya untuk dibaca."},
    "ops-login-required": {"en": "Operator login required: nothing was done.",
                           "id": "Perlu login operator: tidak ada yang dijalankan."},
    "ops-login-intro": {"en": "Operator login: without it this page is read-only.",
                        "id": "Login operator: tanpa login halaman ini hanya untuk dibaca."},
    "ops-username": {"en": "User name", "id": "Nama pengguna"},
    "ops-password": {"en": "Password", "id": "Kata sandi"},
    "ops-log-in": {"en": "Log in", "id": "Masuk"},
    "ops-log-out": {"en": "Log out", "id": "Keluar"},
    "ops-signed-in": {"en": "Signed in as {user}", "id": "Masuk sebagai {user}"},
    "ops-wrong": {"en": "Wrong user name or password.", "id": "Nama pengguna atau kata sandi salah."},
    "ops-locked": {"en": "Too many failed logins ({failures} within {window} minutes): login is locked for this "
                         "address or user name; try again in about {minutes} minute(s).",
                   "id": "Terlalu banyak login gagal ({failures} dalam {window} menit): login dikunci untuk alamat "
                         "atau nama pengguna ini; coba lagi sekitar {minutes} menit lagi."},
    "ops-dataset": {"en": "Dataset", "id": "Dataset"},
    "ops-days": {"en": "Business days", "id": "Hari bisnis"},
    "ops-async": {"en": "Async refresh", "id": "Muat ulang async"},
    "ops-sync": {"en": "Sync refresh", "id": "Muat ulang sync"},
    "ops-form-note": {"en": "Async refresh queues up to {max} days on the Celery workers; Sync refresh runs one day "
                            "in the dashboard process. Days are business days, up to today.",
                      "id": "Muat ulang async mengantrekan hingga {max} hari ke worker Celery; muat ulang sync "
                            "menjalankan satu hari di proses dasbor. Hari adalah hari bisnis, paling akhir hari ini."},
    "ops-running-here": {"en": "Running {dataset} for {days} here; progress below.",
                         "id": "Menjalankan {dataset} untuk {days} di sini; progres di bawah."},
    "ops-queued": {"en": "Queued {dataset} for {days} ({count} days) on the workers, task {task}; progress below.",
                   "id": "{dataset} untuk {days} ({count} hari) masuk antrean worker, tugas {task}; progres di bawah."},
    "ops-no-worker": {"en": "No Celery worker answers right now: the days wait in the queue until one starts.",
                      "id": "Tidak ada worker Celery yang menjawab saat ini: hari-hari menunggu di antrean sampai ada "
                            "worker yang berjalan."},
    "ops-day-span": {"en": "{start} to {end}", "id": "{start} s.d. {end}"},
    "ops-job-days": {"en": "Days of this refresh", "id": "Hari-hari penyegaran ini"},
    "ops-progress": {"en": "{kind} of {dataset}: {done} of {total} days done, {failed} failed ({state})",
                     "id": "{kind} {dataset}: {done} dari {total} hari selesai, {failed} gagal ({state})"},
    "ops-finished": {"en": "finished", "id": "selesai"},
    "ops-running": {"en": "running", "id": "berjalan"},
    "ops-fanout-failed": {"en": "The workers could not fan the range out: {detail}",
                          "id": "Worker tidak dapat membagi rentang per hari: {detail}"},
    "ops-run-lost": {"en": "No outcome after {detail} s: the run in the dashboard process was lost (was it "
                           "restarted?). Run the day again.",
                     "id": "Tidak ada hasil setelah {detail} dtk: proses di dasbor hilang (dimulai ulang?). Jalankan "
                           "hari itu lagi."},
    "ops-col-day": {"en": "Day", "id": "Hari"},
    "ops-col-state": {"en": "State", "id": "Keadaan"},
    "ops-col-finished": {"en": "Finished (UTC)", "id": "Selesai (UTC)"},
    "ops-col-rows": {"en": "Rows", "id": "Baris"},
    "ops-col-quarantined": {"en": "Quarantined", "id": "Dikarantina"},
    "ops-col-error": {"en": "Error", "id": "Galat"},
    "ops-day-waiting": {"en": "waiting", "id": "menunggu"},
    "ops-day-done": {"en": "done", "id": "selesai"},
    "ops-day-failed": {"en": "failed", "id": "gagal"},
    # why an action did nothing (services.refresh_actions: ActionProblem.reason)
    "ops-action-no-dataset": {"en": "Choose a dataset.", "id": "Pilih dataset."},
    "ops-action-no-start-day": {"en": "Choose the start day.", "id": "Pilih hari awal."},
    "ops-action-no-end-day": {"en": "Choose the end day.", "id": "Pilih hari akhir."},
    "ops-action-bad-start-day": {"en": "The start day {value} is not a date (YYYY-MM-DD).",
                                 "id": "Hari awal {value} bukan tanggal (YYYY-MM-DD)."},
    "ops-action-bad-end-day": {"en": "The end day {value} is not a date (YYYY-MM-DD).",
                               "id": "Hari akhir {value} bukan tanggal (YYYY-MM-DD)."},
    "ops-action-end-before-start": {"en": "The end day {end} is before the start day {start}.",
                                    "id": "Hari akhir {end} lebih awal dari hari awal {start}."},
    "ops-action-too-many-days": {"en": "{start} to {end} is {days} days: at most {max_days} days at a time.",
                                 "id": "{start} s.d. {end} adalah {days} hari: paling banyak {max_days} hari "
                                       "sekaligus."},
    "ops-action-future-day": {"en": "{day} is after the current business day {today} ({timezone}): daily facts of "
                                    "future days do not exist yet.",
                              "id": "{day} setelah hari bisnis saat ini {today} ({timezone}): data harian untuk hari "
                                    "yang belum terjadi belum ada."},
    "ops-action-sync-one-day": {"en": "Sync refresh runs exactly one day ({count} chosen): choose one day, or use "
                                      "Async refresh for a range.",
                                "id": "Muat ulang sync menjalankan tepat satu hari ({count} dipilih): pilih satu "
                                      "hari, atau gunakan muat ulang async untuk rentang hari."},
    "ops-action-broker-down": {"en": "Nothing was queued: the broker (REDIS_URL) does not answer.",
                               "id": "Tidak ada yang masuk antrean: broker (REDIS_URL) tidak menjawab."},
    "ops-action-not-queued": {"en": "Nothing was queued: {detail}", "id": "Tidak ada yang masuk antrean: {detail}"},
    "ops-action-no-odoo": {"en": "Nothing was run: Odoo is not configured for the dashboard (ODOO_URL or ODOO_HOST).",
                           "id": "Tidak ada yang dijalankan: Odoo belum dikonfigurasi untuk dasbor (ODOO_URL atau "
                                 "ODOO_HOST)."},
})

log = logging.getLogger(__name__)
PREFIX = "operational"
HEALTH_REFRESH_MS = 30_000
PROGRESS_REFRESH_MS = 2_000
DAY_STATE_COLORS = {DONE: "green", FAILED: "red"}  # waiting: gray
PROGRESS_COLUMNS = ("day", "state", "finished", "rows", "quarantined", "error")


def _id(thing: str) -> str:
    return f"{PREFIX}-{thing}"


def layout(**_query: str) -> dmc.Stack:
    settings, lang = get_settings(), current_language()
    return dmc.Stack(
        [
            page_header(t("page-operational", lang), t("ops-subtitle", lang)),
            dcc.Interval(id=_id("health-interval"), interval=HEALTH_REFRESH_MS),
            dmc.Card([card_header(_id("datasets"), t("home-health", lang), lang), dmc.Box(id=_id("health"))],
                     withBorder=True, radius="md", p="sm"),
            dmc.Title(t("ops-refresh-title", lang), order=4, mt="md"),
            dmc.Box(operator_panel(settings, _signed_in(settings), lang), id=_id("operator")),
            dcc.Store(id=_id("job"), storage_type="session"),  # a reload goes on following the refresh
            dcc.Interval(id=_id("progress-interval"), interval=PROGRESS_REFRESH_MS, disabled=True),
            dmc.Box(id=_id("progress")),
        ],
        gap="md",
    )


def _signed_in(settings: Settings) -> str | None:
    return current_operator(session, settings) if has_request_context() else None


def _utc(stamp: str, lang: str) -> str:
    """An ISO timestamp of the ETL's records in UTC, in `lang` (`1 Feb 2024 02:03:04`)."""
    return format_moment(datetime.fromisoformat(stamp), lang)


# -- health ----------------------------------------------------------------------------------------------------------
def _dimensions_line(state: dict[str, Any] | None, lang: str) -> dmc.Group:
    """The dimension refresh: its status, the last success and the error of a newer failure."""
    label = dmc.Text(t("ops-dimensions", lang), size="sm", fw=500)
    if state is None:
        return dmc.Group([label, dmc.Text(t("ops-lake-unreadable", lang), size="sm")], gap="xs")
    success = state["last_success"]
    text = (t("ops-dimensions-refreshed", lang, time=_utc(success["finished_at"], lang),
              rows=format_number(success["rows_out"] or 0, lang=lang),
              seconds=format_number(success["seconds"] or 0, 1, lang))
            if success else t("ops-dimensions-never", lang))
    parts = [label, status_badge(state["status"], _id("dimensions-status"), lang),
             dmc.Text(text, size="sm", id=_id("dimensions-refresh"))]
    if state["last_error"]:
        parts.append(dmc.Text(t("ops-dimensions-failed", lang, time=_utc(state["failed_at"], lang),
                                error=state["last_error"]), size="sm", c="red", id=_id("dimensions-error")))
    return dmc.Group(parts, gap="xs")


@callback(Output(_id("health"), "children"), Input(_id("health-interval"), "n_intervals"),
          Input(_id("progress-interval"), "disabled"))
def update_health(_ticks: int | None, _progress_stopped: bool | None) -> dmc.Stack:
    """Every 30 s, and when a refresh the page follows has finished."""
    lang = current_language()
    report, _status = health_report(get_settings(), lake=get_lake())
    return dmc.Stack([
        health_table(PREFIX, report, lang),
        _dimensions_line(report.get("dimensions"), lang),
        dmc.Text(t("ops-health-note", lang, day=iso_day(report["today"], lang), seconds=HEALTH_REFRESH_MS // 1000),
                 size="xs",
                 c="dimmed", id=_id("health-checked")),
    ], gap="xs")


# -- operator login ---------------------------------------------------------------------------------------------------
def operator_panel(settings: Settings, user: str | None, lang: str,
                   refusal: LoginResult | None = None) -> dmc.Paper | dmc.Alert:
    """What the operator section shows: disabled, the login form (with why the last login was refused), or (signed
    in) the refresh form."""
    if not settings.ops_enabled:
        return dmc.Alert(t("ops-disabled", lang), color="gray", id=_id("actions-disabled"))
    return _refresh_form(settings, user, lang) if user else _login_form(refusal, lang)


def _refusal_text(result: LoginResult | None, lang: str) -> str:
    if result is None:
        return ""
    parts = [t("ops-wrong", lang)] if result.reason == WRONG else []
    if result.locked_minutes:
        parts.append(t("ops-locked", lang, failures=MAX_FAILURES, window=round(FAILURE_WINDOW_SECONDS / 60),
                       minutes=result.locked_minutes))
    return " ".join(parts) or t("ops-disabled", lang)


def _login_form(refusal: LoginResult | None, lang: str) -> dmc.Paper:
    fields = dmc.Group([
        dmc.TextInput(id=_id("username"), label=t("ops-username", lang), autoComplete="username", w=220),
        dmc.PasswordInput(id=_id("password"), label=t("ops-password", lang), autoComplete="current-password",
                          w=220),
        dmc.Button(t("ops-log-in", lang), id=_id("login")),
    ], align="flex-end", gap="md")
    return dmc.Paper(dmc.Stack([
        dmc.Text(t("ops-login-intro", lang), size="sm", c="dimmed"),
        fields,
        dmc.Text(_refusal_text(refusal, lang), id=_id("login-message"), c="red", size="sm"),
    ], gap="xs"), withBorder=True, p="md", radius="md")


def _refresh_form(settings: Settings, user: str, lang: str) -> dmc.Paper:
    today = business_today(settings.business_timezone)
    yesterday = (today - timedelta(days=1)).isoformat()
    datasets = [{"value": name, "label": dataset_title(name, info.title, lang)} for name, info in CATALOG.items()]
    fields = dmc.Group([
        dmc.Select(id=_id("dataset"), label=t("ops-dataset", lang), data=datasets, value=datasets[0]["value"],
                   w=220, allowDeselect=False),
        dmc.DatePickerInput(id=_id("days"), type="range", label=t("ops-days", lang), value=[yesterday, yesterday],
                            allowSingleDateInRange=True, maxDate=today.isoformat(), valueFormat="D MMM YYYY", w=260),
        dmc.Button(t("ops-async", lang), id=_id("async")),
        dmc.Button(t("ops-sync", lang), id=_id("sync"), variant="light"),
    ], align="flex-end", gap="md")
    return dmc.Paper(dmc.Stack([
        dmc.Group([
            dmc.Text(t("ops-signed-in", lang, user=user), size="sm", id=_id("signed-in")),
            dmc.Button(t("ops-log-out", lang), id=_id("logout"), variant="subtle", size="xs"),
        ], justify="space-between"),
        fields,
        dmc.Text(t("ops-form-note", lang, max=MAX_RANGE_DAYS), size="xs", c="dimmed"),
        dmc.Box(id=_id("action-message")),
    ], gap="sm"), withBorder=True, p="md", radius="md")


@callback(Output(_id("operator"), "children"), Input(_id("login"), "n_clicks"), Input(_id("password"), "n_submit"),
          State(_id("username"), "value"), State(_id("password"), "value"), prevent_initial_call=True)
def log_in(clicks: int | None, submits: int | None, username: str | None, password: str | None) -> Any:
    if not (clicks or submits):  # also called when the form appears (its inputs are new, the panel is not)
        raise PreventUpdate
    settings = get_settings()
    guard = operator_guard(settings)
    result = guard.login(username or "", password or "", request.remote_addr or "unknown")
    if result.ok and guard.username:
        sign_in(session, guard.username)
    return operator_panel(settings, current_operator(session, settings), current_language(),
                          None if result.ok else result)


@callback(Output(_id("operator"), "children", allow_duplicate=True), Input(_id("logout"), "n_clicks"),
          prevent_initial_call=True)
def log_out(clicks: int | None) -> Any:
    if not clicks:
        raise PreventUpdate
    sign_out(session)
    return operator_panel(get_settings(), None, current_language())


# -- actions ----------------------------------------------------------------------------------------------------------
def _message(text: str, color: str, kind: str) -> dmc.Alert:
    return dmc.Alert(text, color=color, id=_id(f"action-{kind}"), p="xs")


def _shown(value: object, lang: str) -> str:
    """A value of a refusal as the page shows it: days and counts in `lang`, anything else as it is."""
    if isinstance(value, date):
        return format_day(value, lang)
    if isinstance(value, int):
        return format_number(value, lang=lang)
    return str(value)


def problem_text(problem: ActionProblem, lang: str) -> str:
    """Why an action did nothing, in `lang` (`ops-action-<reason>` messages)."""
    return t(f"ops-action-{problem.reason}", lang,
             **{name: _shown(value, lang) for name, value in problem.values.items()})


def _span(days: tuple[str, ...], lang: str) -> str:
    first, last = iso_day(days[0], lang), iso_day(days[-1], lang)
    return first if len(days) == 1 else t("ops-day-span", lang, start=first, end=last)


def _job_title(job: Job, lang: str) -> str:
    return dataset_title(job.dataset, CATALOG[job.dataset].title, lang)


def _started_text(job: Job, settings: Settings, lang: str) -> str:
    title, span = _job_title(job, lang), _span(job.days, lang)
    if job.kind == SYNC:
        return t("ops-running-here", lang, dataset=title, days=span)
    text = t("ops-queued", lang, dataset=title, days=span, count=format_number(len(job.days), lang=lang),
             task=job.task_id)
    if not ping_workers(settings.redis_url)["ok"]:  # asked now: a cached answer may predate a worker's start
        text += " " + t("ops-no-worker", lang)
    return text


@callback(Output(_id("action-message"), "children"), Output(_id("job"), "data"),
          Input(_id("async"), "n_clicks"), Input(_id("sync"), "n_clicks"),
          State(_id("dataset"), "value"), State(_id("days"), "value"), prevent_initial_call=True)
def run_action(async_clicks: int | None, sync_clicks: int | None, dataset: str | None,
               days: list[str | None] | None) -> Any:
    """Refuse without the operator's session (checked here, on the server), else start the chosen action.

    Dash also calls this when the form appears (its inputs are new while the job store is not); only a click acts.
    """
    if not {_id("async"): async_clicks, _id("sync"): sync_clicks}.get(ctx.triggered_id):
        raise PreventUpdate
    settings, lang = get_settings(), current_language()
    try:
        operator = require_operator(session, settings)
    except OperatorRequired as exc:
        log.warning("operator action refused", extra={"client": request.remote_addr, "reason": exc.reason})
        return _message(t(f"ops-{exc.reason}", lang), "red", "refused"), no_update
    kind = SYNC if ctx.triggered_id == _id("sync") else ASYNC
    start, end = (list(days or []) + [None, None])[:2]
    try:
        wanted = refresh_request(dataset, start, end, settings, single_day=kind == SYNC)
        job = start_sync_refresh(wanted, settings) if kind == SYNC else queue_refresh(wanted, settings)
    except ActionProblem as exc:
        return _message(problem_text(exc, lang), "orange", "error"), no_update
    log.info("operator action", extra={"operator": operator, "action": kind, "dataset": job.dataset,
                                       "days": len(job.days)})
    return _message(_started_text(job, settings, lang), "blue", "started"), job.as_dict()


# -- progress ---------------------------------------------------------------------------------------------------------
def _progress_table(progress: JobProgress, lang: str) -> dmc.Table:
    head = dmc.TableThead(dmc.TableTr([dmc.TableTh(t(f"ops-col-{column}", lang)) for column in PROGRESS_COLUMNS]))
    rows = [
        dmc.TableTr([
            dmc.TableTd(iso_day(day.day, lang)),
            dmc.TableTd(dmc.Badge(t(f"ops-day-{day.state}", lang), color=DAY_STATE_COLORS.get(day.state, "gray"),
                                  variant="light", id=_id(f"progress-{day.day}-state"),
                                  **{"data-state": day.state})),
            dmc.TableTd(_utc(day.finished_at, lang) if day.finished_at else NO_VALUE),
            dmc.TableTd(NO_VALUE if day.rows is None else format_number(day.rows, lang=lang)),
            dmc.TableTd(NO_VALUE if day.quarantined is None else format_number(day.quarantined, lang=lang)),
            dmc.TableTd(day.error or "", style={"maxWidth": "480px"}),
        ])
        for day in progress.days
    ]
    return dmc.Table([head, dmc.TableTbody(rows)], id=_id("progress-table"), striped=True, withTableBorder=True)


def _progress_view(progress: JobProgress, lang: str) -> dmc.Paper:
    job, total = progress.job, len(progress.days)
    done, failed = progress.count(DONE), progress.count(FAILED)
    summary = t("ops-progress", lang, kind=t(f"ops-{job.kind}", lang), dataset=_job_title(job, lang),
                done=done, total=total, failed=failed,
                state=t("ops-finished" if progress.finished else "ops-running", lang))
    children = [
        dmc.Text(summary, fw=500, id=_id("progress-summary"), **{"data-done": done, "data-failed": failed,
                                                                  "data-total": total}),
        dmc.ProgressRoot([
            dmc.ProgressSection(value=100 * done / total, color="green"),
            dmc.ProgressSection(value=100 * failed / total, color="red"),
        ], size="lg"),
        card_header(_id("job-days"), t("ops-job-days", lang), lang),
        _progress_table(progress, lang),
    ]
    if progress.stopped:
        children.insert(1, dmc.Alert(t(f"ops-{progress.stopped}", lang, detail=progress.detail), color="red",
                                     id=_id("progress-note"), p="xs"))
    return dmc.Paper(dmc.Stack(children, gap="xs"), withBorder=True, p="md", radius="md")


@callback(Output(_id("progress"), "children"), Output(_id("progress-interval"), "disabled"),
          Input(_id("job"), "data"), Input(_id("progress-interval"), "n_intervals"))
def update_progress(data: dict[str, Any] | None, _ticks: int | None) -> Any:
    """Read-only: where the job's days stand in the lake; polling stops once every day is done or failed."""
    job = Job.from_dict(data)
    if job is None:
        raise PreventUpdate
    progress = job_progress(job, get_settings())
    return _progress_view(progress, current_language()), progress.finished


def _job_days(data: dict[str, Any] | None) -> pl.DataFrame:
    """The followed job's days (the progress table's export); none when the page follows no job."""
    job = Job.from_dict(data)
    return job_progress(job, get_settings()).rows() if job is not None else pl.DataFrame()


register_export(_id("datasets"), State(_id("health-interval"), "n_intervals"),
                lambda _ticks: health_rows(health_report(get_settings(), lake=get_lake())[0]))
register_export(_id("job-days"), State(_id("job"), "data"), _job_days)

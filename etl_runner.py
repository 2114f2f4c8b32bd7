"""Operator console: see what is healthy and what failed, run or remove days in-process, or queue them on Celery.

    python etl_runner.py status                                          health report per dataset
    python etl_runner.py runs [--limit 20]                               recent runs, newest first
    python etl_runner.py run  (--date D | --start D --end D) [--targets pos ...] [--no-dimensions]
                                                                         load the days in this process (no broker)
    python etl_runner.py send (--date D | --start D --end D) [--targets pos ...]
                                                                         queue etl_tasks.date_range_etl_pipeline
    python etl_runner.py drop (--date D | --start D --end D) [--targets pos ...] [--yes]
                                                                         remove days loaded by mistake
    python etl_runner.py gui                                             desktop window for run/send/dimensions
                                                                         and freshness (Tkinter, needs a display)

Without --targets every dataset is meant. Days after the current business day are refused (today is allowed, as
"today so far"), except by `drop`. Exit codes: 0 all is well, 1 some day failed (or status is not ok, or a drop was
not confirmed), 2 the command is wrong (one line on stderr). The console subcommands stay for headless servers;
`gui` does the same work in a window (scripts/operator_window.py).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Callable

from etl.settings import Settings
from etl.status import recent_runs
from scripts.cli import (
    EXIT_FAILED, EXIT_OK, EXIT_USAGE, OperatorParser, Selection, add_day_arguments, add_target_arguments, one_line,
    operator_settings, select,
)
from scripts.force_refresh import DROP_HELP, add_confirm_argument, add_load_arguments, drop_days, load_days

RANGE_TASK = "date_range_etl_pipeline"
SHOWN_LIST_ITEMS = 10
GUI_HELP = ("open the desktop operator window (Tkinter, needs a display); the console subcommands stay for headless "
            "servers")


class NotQueued(Exception):
    """The broker did not take the task: nothing was queued (the message says why, without secrets)."""


def _value(value: Any) -> str:
    """One health value on one line: lists shortened, nested mappings as key=value."""
    if isinstance(value, dict):
        return " ".join(f"{key}={_value(item)}" for key, item in value.items()) or "-"
    if isinstance(value, (list, tuple)):
        shown = ", ".join(_value(item) for item in value[:SHOWN_LIST_ITEMS])
        more = f" (+{len(value) - SHOWN_LIST_ITEMS} more)" if len(value) > SHOWN_LIST_ITEMS else ""
        return f"[{len(value)}] {shown}{more}" if value else "none"
    return "-" if value is None else str(value)


def show_status(settings: Settings) -> int:
    """Print etl.pipelines.health.health_report, whatever keys it carries; exit 0 only when its status is ok."""
    from etl.pipelines.health import health_report

    report = health_report(settings)
    print(f"status: {report.get('status', '?')}")
    for key, value in report.items():
        if key not in ("status", "datasets"):
            print(f"{key}: {_value(value)}")
    for name, entry in (report.get("datasets") or {}).items():
        print(name)
        for key, value in (entry.items() if isinstance(entry, dict) else [("value", entry)]):
            print(f"  {key:<20} {_value(value)}")
    return EXIT_OK if report.get("status") == "ok" else EXIT_FAILED


def show_runs(settings: Settings, limit: int) -> int:
    for run in recent_runs(settings.data_lake_root, limit):
        state = "drop  " if run.get("step") == "drop" else "ok    " if run.get("ok") else "FAILED"
        print(f"{run.get('finished_at', '')}  {state} {run.get('dataset', ''):<18} {run.get('day') or '-':<10}  "
              f"rows {run.get('rows_out', 0):>8}  quarantined {run.get('quarantined', 0):>5}  "
              f"{run.get('seconds', 0.0):>7.2f}s  {one_line(run.get('error') or '')}")
    return EXIT_OK


def queue_range(selection: Selection, settings: Settings) -> str:
    """Queue one date_range_etl_pipeline for the selection (the workers fan it out per dataset and day); its task
    id. Raises NotQueued when the broker does not take it (shared by `send` and the operator window)."""
    from etl.pipelines.health import check_redis

    if not check_redis(settings.redis_url)["ok"]:  # fail in a second, not after Celery's reconnect loop
        raise NotQueued("Redis (REDIS_URL) does not answer")
    from etl_tasks import app  # imported here: only this command needs the broker

    start, end = selection.days[0].isoformat(), selection.days[-1].isoformat()
    try:
        result = app.send_task(f"etl_tasks.{RANGE_TASK}", args=[start, end, selection.datasets],
                               retry_policy={"max_retries": 2})
    except Exception as exc:  # noqa: BLE001 - kombu/redis errors: the broker did not take the task
        raise NotQueued(f"{type(exc).__name__}: {exc}") from None
    return str(result.id)


def send(selection: Selection, settings: Settings) -> int:
    """Queue the selection on the Celery workers and say so (one line on stderr when nothing was queued)."""
    try:
        task_id = queue_range(selection, settings)
    except NotQueued as exc:
        return _not_queued(str(exc))
    start, end = selection.days[0].isoformat(), selection.days[-1].isoformat()
    print(f"queued etl_tasks.{RANGE_TASK}({start}, {end}, {selection.datasets}) id={task_id}")
    return EXIT_OK


def _not_queued(why: str) -> int:
    print(f"send: the broker did not take the task, nothing was queued: {one_line(why)}", file=sys.stderr)
    return EXIT_FAILED


Handler = Callable[[argparse.ArgumentParser, argparse.Namespace, Settings], int]


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace, settings: Settings) -> int:
    return load_days(select(parser, args, settings), settings, refresh_first=not args.no_dimensions)


def _send(parser: argparse.ArgumentParser, args: argparse.Namespace, settings: Settings) -> int:
    return send(select(parser, args, settings), settings)


def _drop(parser: argparse.ArgumentParser, args: argparse.Namespace, settings: Settings) -> int:
    return drop_days(select(parser, args, settings, require_days=True, allow_future=True), settings, args.yes)


def gui(settings: Settings) -> int:
    """The desktop operator window; one line and exit 2 when no display can be opened."""
    from scripts.operator_window import NoDisplay, open_window  # tkinter only for this command

    try:
        return open_window(settings, queue_range)
    except NoDisplay as exc:
        print(f"gui: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _day_command(commands: Any, name: str, help_text: str, handler: Handler, day_note: str = "default: yesterday",
                 epilog: str | None = None) -> argparse.ArgumentParser:
    """A subcommand taking the shared day and dataset arguments; `handler` gets its own parser for refusals."""
    sub = commands.add_parser(name, help=help_text, description=help_text, epilog=epilog)
    add_day_arguments(sub, day_note)
    add_target_arguments(sub, None)
    sub.set_defaults(handler=handler, command_parser=sub)
    return sub


def build_parser() -> OperatorParser:
    parser = OperatorParser(prog="python etl_runner.py", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="{status,runs,run,send,drop,gui}")
    commands.add_parser("status", help="health report per dataset")
    runs = commands.add_parser("runs", help="recent runs, newest first")
    runs.add_argument("--limit", type=int, default=20)
    add_load_arguments(_day_command(commands, "run", "load days in this process (no broker)", _run))
    _day_command(commands, "send", f"queue etl_tasks.{RANGE_TASK} on the Celery workers", _send)
    add_confirm_argument(_day_command(commands, "drop", "remove days loaded by mistake (asks you to type drop)",
                                      _drop, day_note="required", epilog=DROP_HELP))
    commands.add_parser("gui", help=GUI_HELP, description=GUI_HELP)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = operator_settings()
    if args.command == "status":
        return show_status(settings)
    if args.command == "runs":
        return show_runs(settings, args.limit)
    if args.command == "gui":
        return gui(settings)
    handler: Handler = args.handler
    return handler(args.command_parser, args, settings)


if __name__ == "__main__":
    sys.exit(main())

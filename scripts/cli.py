"""What every operator command shares: day and dataset arguments, settings, the Odoo client, confirmation, the
progress bar, the closing summary and the exit codes.

    --date D | --start D [--end D]     business days (YYYY-MM-DD); --end defaults to --start
                                       (--start-date/--end-date: the same, the runbook's spelling)
    --targets NAME ...                 datasets or their aliases (`pos`), see etl.catalog

Exit codes: 0 all is well; 1 the work ran and some day failed or does not reconcile (or Odoo could not be reached,
or a drop was not confirmed); 2 the command itself is wrong (usage, a malformed or future date, end before start,
an unknown dataset, a configuration error). Every refusal is one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any, NoReturn, Sequence

from tqdm import tqdm

from etl.catalog import resolve_datasets
from etl.dates import DayRangeError, business_yesterday, checked_days
from etl.logs import configure_logging
from etl.settings import Settings, SettingsError, get_settings
from odoorpc_connector import OdooClient, OdooError, get_odoo_connection

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
CONFIRM_WORD = "drop"


class OperatorParser(argparse.ArgumentParser):
    """An ArgumentParser whose refusals are one line on stderr and exit 2 (its subparsers are the same kind)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see --help)\n")


def iso_day(raw: str) -> date:
    """An argparse type: a calendar date written YYYY-MM-DD."""
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a date (YYYY-MM-DD)") from None


def add_day_arguments(parser: argparse.ArgumentParser, default_note: str = "default: yesterday") -> None:
    """`--date D | --start D [--end D]` (argparse refuses --date together with --start)."""
    days = parser.add_mutually_exclusive_group()
    days.add_argument("--date", type=iso_day, metavar="D", help=f"one business day ({default_note})")
    # --start-date/--end-date: the runbook's spelling (scripts/run_profit_etl.py)
    days.add_argument("--start", "--start-date", type=iso_day, metavar="D", help="first business day of a range")
    parser.add_argument("--end", "--end-date", type=iso_day, metavar="D",
                        help="last business day of the range (default: --start)")


def add_target_arguments(parser: argparse.ArgumentParser, default: Sequence[str] | None) -> None:
    shown = " ".join(default) if default else "every dataset"
    parser.add_argument("--targets", nargs="+", default=list(default) if default else None, metavar="NAME",
                        help=f"datasets or aliases such as pos (default: {shown})")


@dataclass(frozen=True)
class Selection:
    """The (dataset, day) work a command was asked for, checked."""

    days: list[date]
    datasets: list[str]

    @property
    def pairs(self) -> list[tuple[str, date]]:
        return [(dataset, day) for dataset in self.datasets for day in self.days]


def select(parser: argparse.ArgumentParser, args: argparse.Namespace, settings: Settings, *,
           require_days: bool = False, allow_future: bool = False) -> Selection:
    """The days and datasets of `args`, or a one-line refusal (exit 2).

    Without a day the default is yesterday (business timezone), unless `require_days`. Days after the current
    business day are refused unless `allow_future` (removing days loaded by mistake); today itself is allowed.
    """
    if args.end is not None and args.start is None:
        parser.error("--end needs --start (or use --date)")
    if require_days and args.date is None and args.start is None:
        parser.error("say which days: --date D or --start D --end D")
    start = args.date or args.start or business_yesterday(settings.business_timezone)
    try:
        days = checked_days(start, args.end or start, settings.business_timezone, allow_future=allow_future,
                            labels=("--start", "--end"))
    except DayRangeError as exc:
        parser.error(str(exc))
    try:
        datasets = resolve_datasets(getattr(args, "targets", None))
    except ValueError as exc:
        parser.error(str(exc))
    return Selection(days, datasets)


def operator_settings() -> Settings:
    """The process settings for an operator command (one line and exit 2 when a setting is wrong); quiet logs."""
    try:
        settings = get_settings()
    except SettingsError as exc:
        fail(f"nkdash: configuration error: {exc}", EXIT_USAGE)
    configure_logging("WARNING", settings.log_format)
    return settings


def odoo_client(prog: str, settings: Settings) -> OdooClient:
    """A connected Odoo client, or one line and exit 2 (not configured) / 1 (not reachable)."""
    try:
        return get_odoo_connection(settings.require_odoo())
    except SettingsError as exc:
        fail(f"nkdash: configuration error: {exc}", EXIT_USAGE)
    except OdooError as exc:
        fail(f"{prog}: cannot use Odoo: {exc}", EXIT_FAILED)


def fail(message: str, code: int) -> NoReturn:
    print(message, file=sys.stderr)
    raise SystemExit(code)


def confirm(what: Sequence[str], yes: bool, stream: IO[str] | None = None) -> bool:
    """True when `--yes` was given or the operator types the confirmation word after seeing `what`."""
    if yes:
        return True
    for line in what:
        print(f"  {line}", file=sys.stderr)
    print(f"Type {CONFIRM_WORD} to confirm: ", end="", file=sys.stderr, flush=True)
    answer = (stream or sys.stdin).readline()
    return answer.strip() == CONFIRM_WORD


def progress_bar(total: int, desc: str) -> tqdm:
    return tqdm(total=total, unit="day", desc=desc, file=sys.stderr, dynamic_ncols=True)


def one_line(text: str) -> str:
    """A message on one line (Odoo errors carry several)."""
    return " ".join(text.split())


def count(value: Any) -> int:
    """A row count from a summary: an int, or per-table counts to add up."""
    if isinstance(value, dict):
        return sum(count(v) for v in value.values())
    return int(value or 0)


@dataclass
class Tally:
    """What a command did, for its closing summary line and exit code."""

    action: str  # loaded | dropped | checked | refreshed
    unit: str = "day(s)"
    days: int = 0
    rows: int = 0
    quarantined: int = 0
    failures: dict[str, str] = field(default_factory=dict)  # "dataset day" -> why
    started: float = field(default_factory=time.monotonic)

    def add(self, rows: int = 0, quarantined: int = 0) -> None:
        self.days += 1
        self.rows += rows
        self.quarantined += quarantined

    def fail(self, key: str, why: str) -> None:
        self.failures[key] = why

    def summary(self) -> str:
        return (f"done: {self.days} {self.unit} {self.action}, {len(self.failures)} failed; {self.rows} rows, "
                f"{self.quarantined} quarantined, {time.monotonic() - self.started:.1f}s")

    def finish(self, extra: str = "") -> int:
        """Print every failure and the summary line (stderr); the exit code."""
        for key, why in self.failures.items():
            print(f"FAILED {key}: {one_line(why)}", file=sys.stderr)
        print(self.summary() + (f"; {extra}" if extra else ""), file=sys.stderr)
        return EXIT_FAILED if self.failures else EXIT_OK

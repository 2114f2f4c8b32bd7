"""The desktop operator window (`etl_runner.py gui`): its pure pieces without a display, and one real run driven with
key presses (xdotool) on a virtual X display (Xvfb) against a demo Odoo, ending with a screenshot."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest

from etl.dates import business_today
from etl.day_manifest import read_manifest
from etl.settings import Settings, load_settings
from scripts.operator_window import (
    DayRow, InputError, check_selection, connection_line, dimensions_message, finished_row, freshness_detail,
    freshness_row, health_line, not_queued_message, progress_title, redact,
)
from tests.conftest import DemoOdoo
from tests.support.processes import PROJECT_ROOT, PYTHON, ChildProcess, isolated_env, running

DATASET = "pos_order_lines"
SECRET = "s3cr3t-Key/+="
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"
SCREENSHOT = ARTIFACTS / "operator_window.png"
WINDOW_NAME = "^NKDash operator"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(isolated_env(
        DATA_LAKE_ROOT=str(tmp_path), ODOO_URL="http://odoo.example:8069", ODOO_DB="shop",
        ODOO_USERNAME="operator-jane", ODOO_API_KEY=SECRET, REDIS_URL="redis://:redis-pass@broker.example:6380/2"))


def today(settings: Settings) -> date:
    return business_today(settings.business_timezone)


def iso(settings: Settings, offset_days: int) -> str:
    return (today(settings) + timedelta(days=offset_days)).isoformat()


# --- pure pieces ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("start", "end", "datasets", "fragment"), [
    ("", "", ["pos"], "enter a start day"),
    ("2026-02-30", "", ["pos"], "start day: '2026-02-30' is not a date (YYYY-MM-DD)"),
    (-1, "yesterday", ["pos"], "end day: 'yesterday' is not a date"),
    (-1, -3, ["pos"], "is before start day"),
    (0, 2, ["pos"], "is after the current business day"),
    (-1, -1, [], "choose at least one dataset"),
    (-1, -1, ["nonsense"], "unknown dataset(s) nonsense"),
], ids=["empty", "malformed-start", "malformed-end", "end-before-start", "future", "no-dataset", "unknown-dataset"])
def test_the_form_refuses_what_the_console_refuses(
    settings: Settings, start: str | int, end: str | int, datasets: list[str], fragment: str
) -> None:
    start_text = iso(settings, start) if isinstance(start, int) else start
    end_text = iso(settings, end) if isinstance(end, int) else end
    with pytest.raises(InputError) as refused:
        check_selection(start_text, end_text, datasets, settings)
    assert fragment in str(refused.value)
    assert "--" not in str(refused.value)  # field names, not command-line flags


def test_the_form_accepts_a_range_up_to_today_and_an_empty_end_day(settings: Settings) -> None:
    chosen = check_selection(f" {iso(settings, -2)} ", iso(settings, 0), ["pos"], settings)
    assert chosen.days == [today(settings) + timedelta(days=n) for n in (-2, -1, 0)]
    assert chosen.datasets == [DATASET]
    assert check_selection(iso(settings, -1), "", [DATASET], settings).days == [today(settings) - timedelta(days=1)]


def test_a_finished_day_shows_rows_quarantined_and_seconds() -> None:
    summary = {"rows_out": {"fact_sales": 1200, "fact_payments": 34}, "quarantined": 2,
               "seconds": {"extract": 1.25, "clean": 0.5}}
    row = finished_row(DATASET, date(2026, 1, 5), summary, None, [SECRET])
    assert row.values() == (DATASET, "2026-01-05", "done", "1,234", "2", "1.8", "")


def test_a_failed_day_shows_its_error_on_one_line_without_secrets() -> None:
    error = RuntimeError(f"login refused for key {SECRET}\n  at odoo.example")
    row = finished_row(DATASET, date(2026, 1, 5), None, error, [SECRET])
    expected = "RuntimeError: login refused for key *** at odoo.example"
    assert row == DayRow(DATASET, "2026-01-05", "failed", error=expected)
    assert redact("url-quoted s3cr3t-Key%2F%2B%3D", [SECRET]) == "url-quoted ***"


@pytest.mark.parametrize(("entry", "expected"), [
    ({"status": "failing", "level": "fresh", "last_processed_date": "2026-01-05", "last_error": None,
      "failed_days": [{"day": "2026-01-03", "error": "boom", "step": "extract"}],
      "missing_days": ["2026-01-01", "2026-01-02", "2026-01-04", "2026-01-06"], "unreadable": []},
     ("failing", "2026-01-05", "1 (2026-01-03)", "4 (2026-01-01, 2026-01-02 +2 more)", "")),
    ({"status": "unreadable", "last_processed_date": "2026-01-05", "failed_days": [], "missing_days": [],
      "unreadable": [{"day": "2026-01-05", "table": "star-schema/fact_sales", "reason": "bad footer"}]},
     ("unreadable", "2026-01-05", "none", "none", "unreadable star-schema/fact_sales 2026-01-05: bad footer")),
    ({"level": "never", "last_processed_date": None, "gaps": [], "last_error": f"denied {SECRET}"},
     ("never", "never", "none", "none", "denied ***")),
    ("something new", ("something new", "never", "none", "none", "")),
], ids=["extended-report", "unreadable-file", "older-report", "not-a-mapping"])
def test_a_freshness_row_reads_the_health_report_defensively(entry: object, expected: tuple[str, ...]) -> None:
    assert freshness_row(DATASET, entry, [SECRET]) == (DATASET, *expected)


def test_a_selected_freshness_row_lists_every_day_it_abbreviates() -> None:
    entry = {"status": "failing", "last_processed_date": "2026-01-05", "last_error": "RuntimeError: boom",
             "failed_days": [{"day": day} for day in ("2026-01-04", "2026-01-02", "2026-01-03")],
             "missing_days": ["2026-01-01"]}
    assert freshness_detail(freshness_row(DATASET, entry, []), entry) == (
        f"{DATASET}: failing, last processed 2026-01-05; failed days: 2026-01-02, 2026-01-03, 2026-01-04; "
        "missing days: 2026-01-01; RuntimeError: boom")


def test_the_health_headline_names_the_checks_that_are_down() -> None:
    report = {"status": "down", "lake": {"ok": True}, "redis": {"ok": False}, "today": "2026-01-06",
              "workers": {"ok": False, "workers": []}}
    assert health_line(report, "10:00:00") == ("Overall down  ·  lake ok  ·  Redis not reachable  ·  workers none "
                                               "answering  ·  business day 2026-01-06  ·  checked 10:00:00")
    assert "workers" not in health_line({"status": "ok", "lake": {"ok": True}, "redis": {"ok": True}}, "now")


def test_titles_and_messages_say_what_happened(settings: Settings) -> None:
    assert progress_title(1, 0, 3, running=True) == "NKDash operator — running 1/3"
    assert progress_title(2, 1, 3, running=False) == "NKDash operator — 2 done, 1 failed"
    summary = {"dim_products": {"rows_in": 5, "rows_out": 120}, "dim_uoms": {"rows_in": 0, "rows_out": 3},
               "dim_brands": {"skipped": "product_brand_id not available"}}
    assert dimensions_message(summary, 2.04) == ("Dimensions refreshed: 2 tables, 123 rows (5 read from Odoo) in "
                                                 "2.0s; skipped dim_brands (not in this Odoo)")
    refused = not_queued_message(settings, RuntimeError(f"Redis (REDIS_URL) does not answer {SECRET}"))
    assert refused.startswith("Nothing was queued: the broker at broker.example:6380/2 is not reachable")
    assert SECRET not in refused and "Run here" in refused


def test_the_connection_line_shows_no_secret(settings: Settings) -> None:
    line = connection_line(settings)
    assert "odoo.example:8069 (db shop)" in line and "broker broker.example:6380/2" in line
    assert SECRET not in line and "redis-pass" not in line and "operator-jane" not in line


def test_gui_without_a_display_exits_2_in_one_line(tmp_path: Path) -> None:
    env = {key: value for key, value in isolated_env(DATA_LAKE_ROOT=str(tmp_path)).items()
           if key not in ("DISPLAY", "WAYLAND_DISPLAY")}
    result = subprocess.run([PYTHON, "etl_runner.py", "gui"], cwd=PROJECT_ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("gui: cannot open a window") and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


# --- the window on a virtual display ---------------------------------------------------------------------------------

@contextmanager
def virtual_display() -> Iterator[str]:
    """An Xvfb server on a display number it picks itself (-displayfd), stopped on the way out."""
    args = ["Xvfb", "-displayfd", "1", "-screen", "0", "1600x1000x24", "-nolisten", "tcp"]
    with running(args, os.environ.copy()) as xvfb:
        number = xvfb.wait_for(r"^(\d+)$", timeout=30).group(1)  # what -displayfd writes
        yield f":{number}"


def xdotool(display: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["xdotool", *args], env={**os.environ, "DISPLAY": display}, capture_output=True,
                          text=True, timeout=30)


def until(what: str, gui: ChildProcess, timeout: float, probe: Callable[[], str | None]) -> str:
    """Poll `probe` until it returns something; fail early (with the window's output) when the window exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        if gui.popen.poll() is not None:
            break
        time.sleep(0.25)
    raise AssertionError(f"{what} not seen within {timeout}s; window output:\n" + "\n".join(gui.output[-40:]))


def press(display: str, *keys: str) -> None:
    assert xdotool(display, "key", "--delay", "60", *keys).returncode == 0


def type_day(display: str, field_key: str, day: date) -> None:
    """Alt+letter focuses the field with its text selected; typing replaces it."""
    press(display, field_key)
    assert xdotool(display, "type", "--delay", "40", day.isoformat()).returncode == 0


def screenshot(display: str, window: str, path: Path) -> None:
    """The window as PNG, with ImageMagick's `import` or `xwd` + `convert` (whichever is installed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DISPLAY": display}
    if shutil.which("import"):
        subprocess.run(["import", "-window", window, str(path)], env=env, check=True, timeout=60)
    elif shutil.which("xwd") and shutil.which("convert"):
        dump = subprocess.run(["xwd", "-id", window], env=env, check=True, timeout=60, capture_output=True).stdout
        subprocess.run(["convert", "xwd:-", str(path)], input=dump, check=True, timeout=60)
    else:
        warnings.warn("no screenshot: install imagemagick (import) or x11-apps (xwd)", stacklevel=2)


@pytest.mark.skipif(not (shutil.which("Xvfb") and shutil.which("xdotool")),
                    reason="needs Xvfb and xdotool (make browser-deps installs them)")
def test_run_here_from_the_window_publishes_the_day(demo_odoo17: DemoOdoo, tmp_path: Path) -> None:
    env = isolated_env(**demo_odoo17.env(tmp_path, ETL_LOCK_BACKEND="file"))
    day = business_today(load_settings(env).business_timezone) - timedelta(days=1)  # the demo's last day
    with virtual_display() as display, running([PYTHON, "etl_runner.py", "gui"], {**env, "DISPLAY": display}) as gui:
        def window_id() -> str | None:
            found = xdotool(display, "search", "--name", WINDOW_NAME)
            return found.stdout.split()[0] if found.returncode == 0 and found.stdout.strip() else None

        window = until("the operator window", gui, 60, window_id)
        assert xdotool(display, "windowfocus", "--sync", window).returncode == 0
        xdotool(display, "mousemove", "--window", window, "40", "40")
        type_day(display, "alt+s", day)
        type_day(display, "alt+e", day)
        press(display, "Tab", "space")  # the first dataset, right after the end day: POS sales
        press(display, "alt+r")

        def finished_title() -> str | None:
            name = xdotool(display, "getwindowname", window).stdout.strip()
            return name if re.search(r"— \d+ done, \d+ failed$", name) else None

        title = until("the run's end in the title", gui, 240, finished_title)
        time.sleep(1.0)  # the freshness panel re-reads the lake right after a run
        screenshot(display, window, SCREENSHOT)
        assert title == "NKDash operator — 1 done, 0 failed", title
        assert gui.popen.poll() is None, "\n".join(gui.output)
    assert not any("Traceback" in line for line in gui.output), "\n".join(gui.output)
    manifest = read_manifest(tmp_path, DATASET, day)
    assert manifest is not None and manifest.day == day.isoformat()

"""scripts/run_local.py: its pure helpers, its process supervision, and that it never prints a secret."""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from etl.catalog import CATALOG
from scripts import run_local
from scripts.run_local import ChildExited, Supervisor
from tests.support.processes import isolated_env, running

SECRET = "s3cr3t-value"
REAL_ODOO = {
    "ODOO_URL": f"https://etl:{SECRET}@shop.example.com",
    "ODOO_DB": "shop",
    "ODOO_USERNAME": "etl@example.com",
    "ODOO_API_KEY": SECRET,
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_choose_port_keeps_a_free_port() -> None:
    port = _free_port()
    assert run_local.choose_port("127.0.0.1", port) == port


def test_choose_port_moves_off_a_taken_port() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        other = run_local.choose_port("127.0.0.1", port)
        assert other != port and run_local.port_is_free("127.0.0.1", other)


@pytest.mark.parametrize(
    ("line", "url"),
    [
        ("demo_odoo ready on http://127.0.0.1:8069 (odoo 17, db nkdash_demo)\n", "http://127.0.0.1:8069"),
        ("demo_odoo ready on http://127.0.0.1:40123\n", "http://127.0.0.1:40123"),
        ("generating 90 days of sales...\n", None),
    ],
)
def test_parse_ready_url(line: str, url: str | None) -> None:
    assert run_local.parse_ready_url(line) == url


def test_load_window_is_inclusive_and_ends_on_the_given_day() -> None:
    assert run_local.load_window(90, date(2025, 3, 31)) == (date(2025, 1, 1), date(2025, 3, 31))
    assert run_local.load_window(1, date(2025, 3, 31)) == (date(2025, 3, 31), date(2025, 3, 31))


def test_mask_url_hides_passwords_only() -> None:
    assert run_local.mask_url("redis://:pw@redis:6379/0") == "redis://:***@redis:6379/0"
    assert run_local.mask_url("https://u:pw@shop.example.com") == "https://u:***@shop.example.com"
    assert run_local.mask_url("redis://localhost:6379/0") == "redis://localhost:6379/0"


def test_demo_env_points_the_etl_at_the_demo() -> None:
    env = run_local.child_env({"PATH": "/bin"}, run_local.demo_odoo_env("http://127.0.0.1:40123"))
    assert env["ODOO_URL"] == "http://127.0.0.1:40123" and env["ODOO_DB"] == "nkdash_demo"
    assert env["ODOO_USERNAME"] == "admin" and env["ODOO_API_KEY"] == "admin"
    assert env["PATH"] == "/bin" and env["PYTHONUNBUFFERED"] == "1"


def test_without_redis_the_etl_takes_file_locks() -> None:
    env = run_local.etl_env({"ETL_LOCK_BACKEND": "redis", "PATH": "/bin"}, {"DATA_LAKE_ROOT": "/lake"}, redis_ok=False)
    assert env["ETL_LOCK_BACKEND"] == "file" and env["DATA_LAKE_ROOT"] == "/lake" and env["PATH"] == "/bin"
    kept = run_local.etl_env({"ETL_LOCK_BACKEND": "redis"}, {}, redis_ok=True)
    assert kept["ETL_LOCK_BACKEND"] == "redis"
    assert "ETL_LOCK_BACKEND" not in run_local.etl_env({}, {}, redis_ok=True)


def test_project_environment_lets_the_environment_win(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("REDIS_URL=redis://from-dotenv:6379/0\nODOO_DB=from_dotenv\n")
    merged = run_local.project_environment({"ODOO_DB": "from_env"}, dotenv)
    assert merged == {"REDIS_URL": "redis://from-dotenv:6379/0", "ODOO_DB": "from_env"}
    assert run_local.project_environment({}, tmp_path / "missing") == {}


def test_lake_has_data(tmp_path: Path) -> None:
    assert not run_local.lake_has_data(str(tmp_path))
    partition = tmp_path / "star-schema" / "fact_sales" / "year=2025"
    partition.mkdir(parents=True)
    (partition / "fact_sales_2025-01-01.parquet").write_bytes(b"PAR1")
    assert run_local.lake_has_data(str(tmp_path))
    assert run_local.lake_has_data("s3://bucket/lake")


def test_commands_use_this_interpreter() -> None:
    commands = [
        run_local.demo_odoo_command(8069, "17", 90),
        run_local.load_command(date(2025, 1, 1), date(2025, 3, 31)),
        run_local.worker_command(2, "INFO"),
        run_local.beat_command(Path("/tmp/schedule"), "INFO"),
        run_local.dashboard_command(),
    ]
    assert all(command[0] == sys.executable for command in commands)
    assert run_local.load_command(date(2025, 1, 1), date(2025, 3, 31))[2:] == [
        "scripts.force_refresh_pos_data", "--start", "2025-01-01", "--end", "2025-03-31", "--targets",
        "pos_order_lines", "invoice_sales", "inventory_moves", "purchases", "stock_quants", "profit",
    ]  # fmt: skip  (every dataset; profit last, after the facts it is built from)


def test_a_configured_odoo_is_used_and_its_secrets_are_not_printed(capsys: pytest.CaptureFixture[str]) -> None:
    args = run_local.parse_args([])
    overrides = run_local.resolve_odoo(Supervisor(), args, REAL_ODOO)
    output = capsys.readouterr().out
    assert overrides == {}
    assert "shop.example.com" in output and SECRET not in output


def test_without_redis_no_worker_starts_and_the_url_is_masked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    settings = run_local.load_settings({"REDIS_URL": f"redis://:{SECRET}@127.0.0.1:{_free_port()}/0"})
    supervisor = Supervisor()
    run_local.start_background_tasks(supervisor, settings, {}, tmp_path)
    output = capsys.readouterr().out
    assert supervisor.children == []
    assert "in-process" in output and "ETL_LOCK_BACKEND=file" in output and SECRET not in output


def test_a_dying_child_is_reported_and_the_others_are_stopped(tmp_path: Path) -> None:
    supervisor = Supervisor(cwd=tmp_path)
    grandchild_pid_file = tmp_path / "grandchild.pid"
    spawner = (
        "import subprocess, sys, time; "
        "p = subprocess.Popen(['sleep', '60']); "
        f"open({str(grandchild_pid_file)!r}, 'w').write(str(p.pid)); time.sleep(60)"
    )
    long_running = supervisor.start("long", [sys.executable, "-c", spawner], os.environ)
    supervisor.start("short", [sys.executable, "-c", "import sys; print('bye'); sys.exit(3)"], os.environ)
    with pytest.raises(ChildExited) as exited:
        supervisor.watch()
    assert (exited.value.name, exited.value.returncode) == ("short", 3)
    deadline = time.monotonic() + 10
    while not grandchild_pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    grandchild = int(grandchild_pid_file.read_text())
    supervisor.stop_all(grace=5)
    assert long_running.process.returncode is not None
    time.sleep(0.2)
    assert not _pid_alive(grandchild) or _is_zombie(grandchild), "the child's process group was not stopped"
    assert supervisor.children == []


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except FileNotFoundError:
        return False


def test_a_finite_child_returns_its_exit_code(tmp_path: Path) -> None:
    supervisor = Supervisor(cwd=tmp_path)
    assert supervisor.run_to_completion("load", [sys.executable, "-c", "raise SystemExit(4)"], os.environ) == 4
    assert supervisor.children == []


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(SystemExit):
        run_local.parse_args(["--days", "0"])
    assert run_local.parse_args(["--days", "7", "--no-load", "--odoo-version", "16"]).days == 7


@pytest.mark.celery
def test_make_run_end_to_end(tmp_path: Path) -> None:
    """The real thing on a short history: demo Odoo, load, worker + beat (Redis is up in CI), dashboard, SIGTERM."""
    port = _free_port()
    lake = tmp_path / "lake"
    env = isolated_env(PORT=str(port), DATA_LAKE_ROOT=str(lake), REDIS_URL="redis://127.0.0.1:6379/15")
    env.pop("HOST", None)
    with running([sys.executable, "-m", "scripts.run_local", "--days", "3"], env) as child:
        child.wait_for(f"Open http://localhost:{port}", timeout=240)
        status, health = _health(f"http://127.0.0.1:{port}/health")
        assert status in (200, 503)
        # every dataset was loaded, none left stale for never having run
        assert {name: dataset["status"] for name, dataset in health["datasets"].items()} == dict.fromkeys(CATALOG, "ok")
        child.popen.send_signal(signal.SIGTERM)
        child.popen.wait(timeout=60)
        time.sleep(0.2)  # the reader thread drains the last lines
    output = "\n".join(child.output)
    assert child.popen.returncode == 0, output
    assert "all processes stopped" in output
    assert run_local.port_is_free("127.0.0.1", port), "the dashboard outlived run_local"
    assert any((lake / "star-schema").rglob("*.parquet")), output


def test_dotenv_is_ignored_when_asked(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("ODOO_URL=https://real.example.com\n")
    assert run_local.project_environment({"NKDASH_IGNORE_DOTENV": "1"}, dotenv) == {"NKDASH_IGNORE_DOTENV": "1"}


def _health(url: str) -> tuple[int, dict[str, Any]]:
    """The HTTP status and JSON body of a GET of /health, error statuses (503) included."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status), json.load(response)
    except urllib.error.HTTPError as error:
        return int(error.code), json.load(error)

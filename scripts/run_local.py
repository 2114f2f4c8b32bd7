"""`make run`: NKDash on one machine, from a fresh clone, in one command.

Stages:
  1. Odoo: the one named by `.env` / the environment (ODOO_URL or ODOO_HOST); when none is named, the built-in demo
     Odoo (`python -m demo_odoo`) is started on 127.0.0.1:8069 (or a free port) and the ETL is pointed at it.
  2. Load: every dataset of the catalogue (POS sales, invoice sales, inventory moves, purchases, stock on hand, then
     profit, which is built from the others) for the last N days (default 90, ending yesterday in BUSINESS_TIMEZONE)
     through `python -m scripts.force_refresh_pos_data --targets ...`, whose progress bar streams straight to the
     terminal.
  3. Background tasks: when REDIS_URL answers a PING, a Celery worker and beat are started; otherwise tasks run
     in-process only and no schedule runs (said so on screen), and every child (the load included) gets
     ETL_LOCK_BACKEND=file: one machine, so a local file lock keeps runs of a day apart.
  4. Dashboard: `python app.py` on HOST:PORT (default 127.0.0.1:8050, or a free port when 8050 is taken).

Every child runs in its own process group. Ctrl-C or SIGTERM stops them all; if one dies, the others are stopped and
the reason is printed. Secrets (API keys, passwords, credentials inside URLs) are never printed.
"""

from __future__ import annotations

import argparse
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from types import FrameType
from typing import IO, Mapping, Sequence
from urllib.parse import urlsplit, urlunsplit

from dotenv import dotenv_values

from etl.catalog import CATALOG
from etl.dates import business_yesterday
from etl.pipelines.health import check_redis
from etl.settings import PROJECT_ROOT, Settings, SettingsError, load_settings

DOTENV_PATH = PROJECT_ROOT / ".env"

CELERY_APP = "etl_tasks"
CELERY_QUEUES = ("extract", "transform", "load", "orchestration")

DEMO_HOST = "127.0.0.1"
DEMO_PORT = 8069
DEMO_SEED = 42
DEMO_DATABASE = "nkdash_demo"
DEMO_LOGIN = "admin"
DEMO_READY = re.compile(r"demo_odoo ready on (https?://[^\s/,;)]+)")

DEMO_READY_TIMEOUT = 180.0
DASHBOARD_READY_TIMEOUT = 90.0
STOP_GRACE_SECONDS = 10.0
POLL_SECONDS = 0.25

LOCAL_HOSTS = ("0.0.0.0", "127.0.0.1", "localhost")


class Shutdown(Exception):
    """The operator asked to stop (Ctrl-C / SIGTERM / SIGHUP)."""


class StageFailed(Exception):
    """A stage could not complete (the message says which and why)."""


class ChildExited(Exception):
    """A long-running child process ended on its own."""

    def __init__(self, name: str, returncode: int) -> None:
        super().__init__(f"{name} exited with code {returncode}")
        self.name = name
        self.returncode = returncode


def say(message: str) -> None:
    """One progress line of this script (children's lines carry their own prefix)."""
    print(f"[run_local] {message}", flush=True)


# ---------------------------------------------------------------- pure helpers


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scripts.run_local", description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=_positive_int, default=90, help="days of history to load (default 90)")
    parser.add_argument(
        "--no-load", action="store_true", help="skip the initial load when the lake already has star-schema data"
    )
    parser.add_argument("--odoo-version", default="17", help="version the demo Odoo pretends to be (default 17)")
    return parser.parse_args(argv)


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{raw} is not a positive number of days")
    return value


def project_environment(environ: Mapping[str, str], dotenv_path: Path = DOTENV_PATH) -> dict[str, str]:
    """What the settings module will see: the project's `.env` (unless NKDASH_IGNORE_DOTENV=1) overlaid by the
    real environment."""
    merged: dict[str, str] = {}
    if dotenv_path.is_file() and environ.get("NKDASH_IGNORE_DOTENV") != "1":
        merged.update({key: value for key, value in dotenv_values(dotenv_path).items() if value is not None})
    merged.update(environ)
    return merged


def mask_url(url: str) -> str:
    """The URL without any password in its userinfo (redis://:secret@host → redis://:***@host)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit((parts.scheme, f"{user}:***@{host}{port}", parts.path, parts.query, parts.fragment))


def port_is_free(host: str, port: int) -> bool:
    try:
        with socket.create_server((host, port)):
            return True
    except OSError:
        return False


def choose_port(host: str, preferred: int) -> int:
    """`preferred` when a server could listen there, else a free port picked by the OS."""
    if port_is_free(host, preferred):
        return preferred
    with socket.create_server((host, 0)) as sock:
        return int(sock.getsockname()[1])


def parse_ready_url(line: str) -> str | None:
    """The URL announced by demo_odoo's ready line, or None for any other line."""
    match = DEMO_READY.search(line)
    return match.group(1) if match else None


def demo_odoo_env(url: str) -> dict[str, str]:
    """ETL settings that point at the demo Odoo (which accepts the demo login as its API key)."""
    return {"ODOO_URL": url, "ODOO_DB": DEMO_DATABASE, "ODOO_USERNAME": DEMO_LOGIN, "ODOO_API_KEY": DEMO_LOGIN}


def child_env(environ: Mapping[str, str], overrides: Mapping[str, str]) -> dict[str, str]:
    """The environment of every child: ours, plus the overrides, with unbuffered Python output."""
    return {**environ, **overrides, "PYTHONUNBUFFERED": "1"}


def etl_env(environ: Mapping[str, str], overrides: Mapping[str, str], redis_ok: bool) -> dict[str, str]:
    """The environment of every child; without Redis, the ETL they run in-process must take local file locks (the
    lock module refuses to fall back from redis to a file lock on its own)."""
    return child_env(environ, {**overrides, **({} if redis_ok else {"ETL_LOCK_BACKEND": "file"})})


def load_window(days: int, end: date) -> tuple[date, date]:
    """The first and last day of a load of `days` days ending on `end` (inclusive)."""
    return end - timedelta(days=days - 1), end


def lake_has_data(root: str) -> bool:
    """True when the lake's star schema holds at least one Parquet file (object storage is assumed loaded)."""
    if "://" in root:
        return True
    return any((Path(root) / "star-schema").rglob("*.parquet"))


def browser_host(host: str) -> str:
    """How a browser on this machine reaches a server bound to `host`."""
    return "localhost" if host in LOCAL_HOSTS else host


def probe_host(host: str) -> str:
    """Where this script checks a server bound to `host` (a wildcard bind answers on loopback)."""
    return "127.0.0.1" if host in LOCAL_HOSTS else host


def odoo_summary(settings: Settings) -> str:
    """Where the ETL reads from, without credentials."""
    odoo = settings.require_odoo()
    return f"{mask_url(odoo.url)} (database {odoo.database})"


def demo_odoo_command(port: int, odoo_version: str, days: int) -> list[str]:
    return [
        sys.executable, "-m", "demo_odoo", "--host", DEMO_HOST, "--port", str(port),
        "--odoo-version", odoo_version, "--days", str(days), "--seed", str(DEMO_SEED),
    ]  # fmt: skip


def load_command(start: date, end: date) -> list[str]:
    """The load of every dataset, in catalogue order (profit last: it is built from the facts loaded before it)."""
    return [
        sys.executable, "-m", "scripts.force_refresh_pos_data",
        "--start", start.isoformat(), "--end", end.isoformat(), "--targets", *CATALOG,
    ]  # fmt: skip


def worker_command(concurrency: int, log_level: str) -> list[str]:
    return [
        sys.executable, "-m", "celery", "-A", CELERY_APP, "worker", "-Q", ",".join(CELERY_QUEUES),
        "--concurrency", str(concurrency), "--loglevel", log_level,
    ]  # fmt: skip


def beat_command(schedule_file: Path, log_level: str) -> list[str]:
    return [
        sys.executable, "-m", "celery", "-A", CELERY_APP, "beat",
        "--loglevel", log_level, "--schedule", str(schedule_file),
    ]  # fmt: skip


def dashboard_command() -> list[str]:
    return [sys.executable, "app.py"]


# ---------------------------------------------------------------- process supervision


@dataclass
class Child:
    name: str
    process: subprocess.Popen[str]


@dataclass
class Supervisor:
    """Starts children in their own process groups and stops them all together."""

    cwd: Path = PROJECT_ROOT
    children: list[Child] = field(default_factory=list)

    def start(
        self,
        name: str,
        command: Sequence[str],
        env: Mapping[str, str],
        *,
        prefix_output: bool = True,
        lines: queue.Queue[str] | None = None,
    ) -> Child:
        """Start `command`. With prefix_output its lines are echoed as `[name] …` (and copied to `lines` if
        given); without, it writes straight to our terminal (progress bars stay intact)."""
        process = subprocess.Popen(
            list(command),
            cwd=self.cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if prefix_output else None,
            stderr=subprocess.STDOUT if prefix_output else None,
            text=True,
            errors="replace",
            start_new_session=True,
        )
        if process.stdout is not None:
            threading.Thread(target=_echo_lines, args=(name, process.stdout, lines), daemon=True).start()
        child = Child(name, process)
        self.children.append(child)
        return child

    def check(self) -> None:
        """Raise ChildExited when any child has ended."""
        _raise_if_exited(self.children)

    def run_to_completion(self, name: str, command: Sequence[str], env: Mapping[str, str]) -> int:
        """Run a finite child (terminal passed through) while watching the long-running ones; its exit code."""
        child = self.start(name, command, env, prefix_output=False)
        others = [c for c in self.children if c is not child]
        while (code := child.process.poll()) is None:
            _raise_if_exited(others)
            time.sleep(POLL_SECONDS)
        self.children.remove(child)
        return code

    def watch(self) -> None:
        """Block until a child ends (raises ChildExited) or a signal arrives (raises Shutdown)."""
        while True:
            self.check()
            time.sleep(POLL_SECONDS)

    def stop_all(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """SIGTERM every process group (newest first), then SIGKILL what is left after `grace` seconds."""
        for child in reversed(self.children):
            _signal_group(child.process, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for child in reversed(self.children):
            try:
                child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                say(f"{child.name} did not stop within {grace:.0f}s; killing it")
            _signal_group(child.process, signal.SIGKILL)  # stragglers in the group (e.g. pool processes)
            child.process.wait()
        self.children.clear()


def _raise_if_exited(children: Sequence[Child]) -> None:
    for child in children:
        code = child.process.poll()
        if code is not None:
            raise ChildExited(child.name, code)


def _echo_lines(name: str, stream: IO[str], lines: queue.Queue[str] | None) -> None:
    for line in stream:
        sys.stdout.write(f"[{name}] {line}")
        sys.stdout.flush()
        if lines is not None:
            lines.put(line)


def _signal_group(process: subprocess.Popen[str], signum: signal.Signals) -> None:
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _raise_shutdown(signum: int, _frame: FrameType | None) -> None:
    raise Shutdown(signal.Signals(signum).name)


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def install_signal_handlers() -> None:
    for signum in STOP_SIGNALS:
        signal.signal(signum, _raise_shutdown)


def ignore_signals() -> None:
    """While stopping, a second Ctrl-C must not abandon children half-stopped."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


# ---------------------------------------------------------------- stages


def start_demo_odoo(supervisor: Supervisor, args: argparse.Namespace, env: Mapping[str, str]) -> str:
    """Start demo_odoo, wait for its ready line and return its URL."""
    port = choose_port(DEMO_HOST, DEMO_PORT)
    if port != DEMO_PORT:
        say(f"    port {DEMO_PORT} is taken; the demo Odoo uses port {port}")
    lines: queue.Queue[str] = queue.Queue()
    child = supervisor.start("demo-odoo", demo_odoo_command(port, args.odoo_version, args.days), env, lines=lines)
    deadline = time.monotonic() + DEMO_READY_TIMEOUT
    while time.monotonic() < deadline:
        supervisor.check()
        try:
            url = parse_ready_url(lines.get(timeout=POLL_SECONDS))
        except queue.Empty:
            continue
        if url is not None:
            return url
    raise StageFailed(f"{child.name} printed no ready line within {DEMO_READY_TIMEOUT:.0f}s")


def resolve_odoo(supervisor: Supervisor, args: argparse.Namespace, base: Mapping[str, str]) -> dict[str, str]:
    """Stage 1: the ETL environment overrides needed to reach an Odoo (empty when `.env` names one)."""
    settings = load_settings(base)
    if settings.odoo is not None:
        say(f"1/4 Odoo: using {odoo_summary(settings)} from .env / the environment")
        return {}
    say("1/4 Odoo: none configured (no ODOO_URL/ODOO_HOST in .env or the environment)")
    say(f"    starting the demo Odoo {args.odoo_version} with {args.days} days of synthetic sales (seed {DEMO_SEED})")
    url = start_demo_odoo(supervisor, args, child_env(os.environ, {}))
    say(f"    demo Odoo ready at {url} (database {DEMO_DATABASE})")
    return demo_odoo_env(url)


def load_history(supervisor: Supervisor, args: argparse.Namespace, settings: Settings, env: Mapping[str, str]) -> None:
    """Stage 2: load the last `--days` business days unless `--no-load` and the lake already has data."""
    if args.no_load and lake_has_data(settings.data_lake_root):
        say(f"2/4 Load: skipped (--no-load; {settings.data_lake_root} already has data)")
        return
    if args.no_load:
        say(f"2/4 Load: {settings.data_lake_root} has no star-schema data yet, so loading despite --no-load")
    start, end = load_window(args.days, business_yesterday(settings.business_timezone))
    titles = ", ".join(info.title for info in CATALOG.values())
    say(f"2/4 Load: {titles}; {start} .. {end} ({args.days} days, {settings.business_timezone.key})")
    say(f"    into {settings.data_lake_root}")
    code = supervisor.run_to_completion("load", load_command(start, end), env)
    if code != 0:
        raise StageFailed(f"the load failed: scripts.force_refresh_pos_data exited with code {code}")
    say("    load finished")


def start_background_tasks(
    supervisor: Supervisor, settings: Settings, env: Mapping[str, str], state_dir: Path, redis_ok: bool | None = None
) -> None:
    """Stage 3: a Celery worker + beat when Redis answers; otherwise say that nothing is scheduled."""
    shown = mask_url(settings.redis_url)
    if not (check_redis(settings.redis_url)["ok"] if redis_ok is None else redis_ok):
        say(f"3/4 Background tasks: Redis at {shown} does not answer - tasks run in-process only, no schedule runs")
        say("    (ETL_LOCK_BACKEND=file: runs of a day are kept apart by a local file lock)")
        return
    say(f"3/4 Background tasks: Redis at {shown} answers - starting a Celery worker and beat")
    supervisor.start("worker", worker_command(settings.worker_concurrency, settings.log_level), env)
    supervisor.start("beat", beat_command(state_dir / "celerybeat-schedule", settings.log_level), env)


def wait_for_http(url: str, supervisor: Supervisor, timeout: float = DASHBOARD_READY_TIMEOUT) -> bool:
    """Poll `url` until the server answers at all (a 503 counts as up); False on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        supervisor.check()
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except urllib.error.HTTPError:
            return True
        except (urllib.error.URLError, OSError):
            time.sleep(POLL_SECONDS * 2)
    return False


def serve_dashboard(supervisor: Supervisor, settings: Settings, env: Mapping[str, str]) -> None:
    """Stage 4: start the dashboard and print where to open it."""
    port = choose_port(settings.host, settings.port)
    if port != settings.port:
        say(f"    port {settings.port} is taken; the dashboard uses port {port}")
    say(f"4/4 Dashboard: starting on {settings.host}:{port}")
    supervisor.start("dash", dashboard_command(), {**env, "HOST": settings.host, "PORT": str(port)})
    if not wait_for_http(f"http://{probe_host(settings.host)}:{port}/health", supervisor):
        say(f"    the dashboard did not answer on /health within {DASHBOARD_READY_TIMEOUT:.0f}s; still waiting on it")
    say(f"Open http://{browser_host(settings.host)}:{port}   (Ctrl-C stops everything)")


def run(args: argparse.Namespace, supervisor: Supervisor, state_dir: Path) -> None:
    """All four stages, then wait until a child dies or the operator stops us."""
    overrides = resolve_odoo(supervisor, args, project_environment(os.environ))
    settings = load_settings(project_environment({**os.environ, **overrides}))
    redis_ok = bool(check_redis(settings.redis_url)["ok"])  # before the load: it runs in-process, with locks
    env = etl_env(os.environ, {**overrides, "DATA_LAKE_ROOT": settings.data_lake_root}, redis_ok)
    load_history(supervisor, args, settings, env)
    start_background_tasks(supervisor, settings, env, state_dir, redis_ok)
    serve_dashboard(supervisor, settings, env)
    supervisor.watch()


def supervise(args: argparse.Namespace, state_dir: Path) -> int:
    """Run the stages under a Supervisor and turn every way of ending into one message and an exit code."""
    supervisor = Supervisor()
    install_signal_handlers()
    try:
        run(args, supervisor, state_dir)
    except SettingsError as exc:
        say(f"configuration error: {exc}")
        return 2
    except Shutdown as exc:
        say(f"{exc} received - stopping every process")
        return 0
    except (ChildExited, StageFailed) as exc:
        say(f"{exc} - stopping the other processes")
        return 1
    finally:
        ignore_signals()
        supervisor.stop_all()
        say("all processes stopped")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="nkdash-run-") as state_dir:
        return supervise(args, Path(state_dir))


if __name__ == "__main__":
    sys.exit(main())

"""Start a child process for a test, wait for its ready line, and always stop it (process group, then kill)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


class ChildProcess:
    """A running child whose output is kept (for failure messages) and scanned for a ready pattern."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.args = args
        self.output: list[str] = []
        self.popen = subprocess.Popen(
            args, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.output.append(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while time.monotonic() < deadline:
            for line in list(self.output):
                match = regex.search(line)
                if match:
                    return match
            if self.popen.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"{self.args[:4]} not ready ({pattern!r}); output:\n" + "\n".join(self.output[-40:]))

    def stop(self) -> None:
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
                self.popen.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.popen.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.popen.wait(timeout=5)


@contextmanager
def running(args: list[str], env: dict[str, str]) -> Iterator[ChildProcess]:
    child = ChildProcess(args, env)
    try:
        yield child
    finally:
        child.stop()


def isolated_env(**overrides: str) -> dict[str, str]:
    """The test process environment without NKDash settings or `.env`, plus `overrides`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ODOO_", "OPS_", "DATA_LAKE", "REDIS_URL", "CELERY_", "ETL_"))}
    env.update({"NKDASH_IGNORE_DOTENV": "1", "PYTHONUNBUFFERED": "1", "LOG_FORMAT": "text"}, **overrides)
    return env


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def kill_group(child: ChildProcess, sig: int = signal.SIGKILL) -> None:
    """Signal a child and every process it started (its session), e.g. a Celery worker and its pool."""
    try:
        os.killpg(child.popen.pid, sig)
    except ProcessLookupError:
        return
    child.popen.wait(timeout=30)


class RedisServer:
    """A private redis-server on a free port, killed and restarted at will on the same port.

    `persistent` keeps every write in an append-only file fsynced per command (as compose's `--appendonly yes`,
    without the up-to-one-second loss of `everysec`), so a restart keeps queued and unacknowledged messages;
    otherwise nothing is saved (`--save "" --appendonly no`).
    """

    def __init__(self, directory: Path, persistent: bool = False) -> None:
        self.directory = directory
        self.persistent = persistent
        self.port = free_port()
        self.child: ChildProcess | None = None
        self.starts = 0

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        persistence = (["--appendonly", "yes", "--appendfsync", "always"] if self.persistent
                       else ["--appendonly", "no"])
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", *persistence,
                "--dir", str(self.directory)]
        self.directory.mkdir(parents=True, exist_ok=True)
        self.child = ChildProcess(args, os.environ.copy())
        self.child.wait_for(r"[Rr]eady to accept connections", timeout=30)
        self.starts += 1

    def kill(self) -> None:
        """SIGKILL: no shutdown save, no goodbye to clients (a crash, an OOM kill, a lost host)."""
        if self.child is not None:
            kill_group(self.child, signal.SIGKILL)
            self.child = None

    def stop(self) -> None:
        if self.child is not None:
            self.child.stop()
            self.child = None


@contextmanager
def redis_server(directory: Path, persistent: bool = False) -> Iterator[RedisServer]:
    server = RedisServer(directory, persistent)
    server.start()
    try:
        yield server
    finally:
        server.stop()

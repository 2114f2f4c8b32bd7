"""Start a child process for a test, wait for its ready line, and always stop it (process group, then kill)."""

from __future__ import annotations

import os
import re
import signal
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

"""`.ci/run` and `.gitignore`: CI starts Redis and runs `make test`; local state and secrets stay untracked."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def test_ci_script_is_executable_strict_bash(project_root: Path) -> None:
    script = project_root / ".ci" / "run"
    assert os.access(script, os.X_OK)
    text = script.read_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0


def test_ci_script_starts_redis_and_runs_make_test(project_root: Path) -> None:
    text = (project_root / ".ci" / "run").read_text()
    assert "redis-cli -h 127.0.0.1 -p 6379 ping" in text
    assert 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save ""' in text
    assert "make test </dev/null || status=$?" in text
    assert text.rstrip().endswith('exit "${status}"')


IGNORED = [
    ".venv/bin/python",
    "data-lake/star-schema/dim_products.parquet",
    "etl/__pycache__/settings.cpython-311.pyc",
    ".pytest_cache/v/cache/nodeids",
    "benchmarks/.lake-1a2b/star-schema/x.parquet",
    "tests/browser/screenshots/home.png",
    "nkdash.egg-info/PKG-INFO",
    ".env",
    ".env.production",
    "celerybeat-schedule",
]
TRACKED = [".env.example", "etl/settings.py", "scripts/run_local.py", "tests/deploy/conftest.py", "Dockerfile"]


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_gitignore(project_root: Path, tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    shutil.copy(project_root / ".gitignore", tmp_path / ".gitignore")
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", "--stdin", "--non-matching", "--verbose"],
        cwd=tmp_path,
        input="\n".join(IGNORED + TRACKED) + "\n",
        capture_output=True,
        text=True,
    )
    verdicts = {}
    for line in result.stdout.splitlines():
        source, path = line.split("\t")
        verdicts[path] = bool(source.split(":")[-1]) and not source.split(":")[-1].startswith("!")
    assert {path for path, ignored in verdicts.items() if ignored} == set(IGNORED)

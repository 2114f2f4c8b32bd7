"""Operator scripts as an operator runs them: force refresh, validation against Odoo, and the console."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import polars as pl

from etl import io_parquet
from etl.dates import business_yesterday
from etl.io_parquet import write_parquet_atomic
from etl.published import published_path
from tests.conftest import DemoOdoo
from tests.support.processes import PROJECT_ROOT, PYTHON, isolated_env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=180)


def test_force_refresh_then_validate_then_detect_a_tampered_day(demo_odoo17: DemoOdoo, tmp_path: Path) -> None:
    env = isolated_env(**demo_odoo17.env(tmp_path))
    last = business_yesterday(demo_odoo17.settings(tmp_path).business_timezone)
    first = last - timedelta(days=1)
    loaded = run(env, "-m", "scripts.force_refresh_pos_data", "--start", first.isoformat(), "--end", last.isoformat(),
                 "--targets", "pos")
    assert loaded.returncode == 0, loaded.stderr
    assert "done: 2 day(s) loaded, 0 failed" in loaded.stderr
    valid = run(env, "-m", "scripts.validate_pos_data", "--start", first.isoformat(), "--end", last.isoformat())
    assert valid.returncode == 0, valid.stdout + valid.stderr
    assert valid.stdout.count("  ok") == 2
    path = published_path(tmp_path, io_parquet.STAR, "fact_sales", last)
    assert path is not None
    write_parquet_atomic(pl.read_parquet(path).slice(1), path)  # lose one line
    tampered = run(env, "-m", "scripts.validate_pos_data", "--start", last.isoformat())
    assert tampered.returncode == 1 and "DIFFERS" in tampered.stdout
    status = run(env, "etl_runner.py", "runs", "--limit", "5")
    assert status.returncode == 0 and status.stdout.count("pos_order_lines") == 2


def test_unknown_target_and_bad_settings_fail_with_one_line(demo_odoo17: DemoOdoo, tmp_path: Path) -> None:
    env = isolated_env(**demo_odoo17.env(tmp_path))
    unknown = run(env, "-m", "scripts.force_refresh_pos_data", "--date", "2026-01-06", "--targets", "nonsense")
    assert unknown.returncode == 2 and "unknown dataset" in unknown.stderr and len(unknown.stderr.splitlines()) == 1
    bad = run({**env, "ODOO_PAGE_SIZE": "lots"}, "-m", "scripts.force_refresh_pos_data", "--date", "2026-01-06")
    assert bad.returncode == 2
    assert bad.stderr.strip() == "nkdash: configuration error: ODOO_PAGE_SIZE='lots' is invalid: expected a positive integer"

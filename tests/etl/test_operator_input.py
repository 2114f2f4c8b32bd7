"""What operators type: every command shares one parser (scripts/cli.py) and one meaning of its exit codes.

0 all is well; 1 the work ran and some day failed or does not reconcile (or a drop was not confirmed); 2 the command
is wrong, said in one line on stderr without a traceback.
"""

from __future__ import annotations

import json
import subprocess
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import polars as pl
import pytest

from etl.dates import business_today
from etl.day_manifest import DayManifest, commit_day, new_version, read_manifest, table_key, version_file
from etl.io_parquet import STAR, write_parquet_atomic
from etl.settings import load_settings
from etl.status import read_status
from tests.conftest import DemoOdoo
from tests.support.demo_control import faults
from tests.support.processes import PROJECT_ROOT, PYTHON, isolated_env

DATASET = "pos_order_lines"
FORCE_REFRESH = ("-m", "scripts.force_refresh_pos_data")
VALIDATE = ("-m", "scripts.validate_pos_data")
RUNNER = ("etl_runner.py",)


def run(env: dict[str, str], *args: str, answer: str = "") -> subprocess.CompletedProcess[str]:
    """Run a command as an operator would; `answer` is what they type (nothing, by default)."""
    return subprocess.run([PYTHON, *args], cwd=PROJECT_ROOT, env=env, input=answer, capture_output=True, text=True,
                          timeout=300)


def today() -> date:
    return business_today(load_settings(isolated_env()).business_timezone)


def iso(offset_days: int) -> str:
    return (today() + timedelta(days=offset_days)).isoformat()


def assert_refused(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr and fragment in result.stderr, result.stderr


def publish_fake_day(lake: Path, day: date) -> DayManifest:
    """A published POS day without Odoo: one fact file behind a manifest (what drop must remove)."""
    version = new_version()
    path = version_file(lake, STAR, "fact_sales", day, version)
    write_parquet_atomic(pl.DataFrame({"order_id": [1, 2]}), path)
    return commit_day(lake, DayManifest(
        dataset=DATASET, day=day.isoformat(), version=version,
        built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        files={table_key(STAR, "fact_sales"): path.relative_to(lake).as_posix()}, rows={"fact_sales": 2},
    ))


@pytest.mark.parametrize(("command", "args", "fragment"), [
    (FORCE_REFRESH, ("--date", "+2"), "after the current business day"),
    (VALIDATE, ("--date", "+2"), "after the current business day"),
    (RUNNER, ("run", "--date", "+2", "--targets", "pos"), "after the current business day"),
    (RUNNER, ("send", "--start", "+0", "--end", "+1"), "after the current business day"),
    (FORCE_REFRESH, ("--start", "-1", "--end", "-3"), "is before --start"),
    (RUNNER, ("run", "--start", "-1", "--end", "-3"), "is before --start"),
    (RUNNER, ("run", "--date", "2026-02-30"), "is not a date"),
    (VALIDATE, ("--start", "yesterday"), "is not a date"),
    (FORCE_REFRESH, ("--date", "-1", "--targets", "nonsense"), "unknown dataset"),
    (RUNNER, ("drop", "--date", "-1", "--targets", "pos", "sales"), "unknown dataset"),
    (RUNNER, ("run", "--date", "-1", "--start", "-2"), "not allowed with argument --date"),
    (RUNNER, ("run", "--end", "-1"), "--end needs --start"),
    (RUNNER, ("drop", "--targets", "pos"), "say which days"),
    (FORCE_REFRESH, ("--drop", "--yes"), "say which days"),
    (FORCE_REFRESH, ("--date", "-1", "--yes"), "--yes only goes with --drop"),
], ids=lambda value: " ".join(value) if isinstance(value, tuple) else None)
def test_wrong_commands_are_refused_in_one_line(
    command: tuple[str, ...], args: tuple[str, ...], fragment: str, tmp_path: Path
) -> None:
    resolved = [iso(int(arg)) if arg[:1] in "+-" and arg[1:].isdigit() else arg for arg in args]
    assert_refused(run(isolated_env(DATA_LAKE_ROOT=str(tmp_path)), *command, *resolved), fragment)
    assert not (tmp_path / "metadata").exists()  # nothing ran


def test_a_wrong_setting_is_refused_in_one_line(tmp_path: Path) -> None:
    odoo = {"ODOO_URL": "http://127.0.0.1:9", "ODOO_DB": "db", "ODOO_USERNAME": "u", "ODOO_API_KEY": "k"}
    env = isolated_env(DATA_LAKE_ROOT=str(tmp_path), ODOO_PAGE_SIZE="lots", **odoo)
    assert_refused(run(env, *RUNNER, "run", "--date", iso(-1)), "nkdash: configuration error: ODOO_PAGE_SIZE")
    no_odoo = run(isolated_env(DATA_LAKE_ROOT=str(tmp_path)), *VALIDATE, "--date", iso(-1))
    assert_refused(no_odoo, "nkdash: configuration error: ODOO_HOST (or ODOO_URL) is not set")


def test_today_is_not_refused(demo_odoo17: DemoOdoo, tmp_path: Path) -> None:
    checked = run(isolated_env(**demo_odoo17.env(tmp_path)), *VALIDATE, "--date", iso(0))
    assert checked.returncode in (0, 1) and "done: 1 day(s) checked" in checked.stderr, checked.stderr


def test_runner_run_loads_days_up_to_today_in_process(demo_odoo17: DemoOdoo, tmp_path: Path) -> None:
    env = isolated_env(**demo_odoo17.env(tmp_path))
    loaded = run(env, *RUNNER, "run", "--start", iso(-1), "--end", iso(0), "--targets", "pos")
    assert loaded.returncode == 0, loaded.stderr
    assert "done: 2 day(s) loaded, 0 failed" in loaded.stderr.splitlines()[-1]
    yesterday, now = read_manifest(tmp_path, DATASET, today() - timedelta(days=1)), read_manifest(tmp_path, DATASET, today())
    assert yesterday is not None and not yesterday.partial
    assert now is not None and now.partial  # today so far
    valid = run(env, *VALIDATE, "--date", iso(-1))
    assert valid.returncode == 0 and valid.stdout.rstrip().endswith("  ok"), valid.stdout + valid.stderr


def test_a_failing_day_exits_1_and_drop_clears_its_failure(demo_odoo17: DemoOdoo, tmp_path: Path) -> None:
    env = isolated_env(**demo_odoo17.env(tmp_path))
    with faults(demo_odoo17.url, deny_models=["pos.order"]):
        failed = run(env, *RUNNER, "run", "--date", iso(-2), "--targets", "pos", "--no-dimensions")
    assert failed.returncode == 1, failed.stderr
    assert f"FAILED {DATASET} {iso(-2)}" in failed.stderr and "0 day(s) loaded, 1 failed" in failed.stderr
    assert iso(-2) in read_status(tmp_path)["datasets"][DATASET]["failed_days"]
    dropped = run(env, *RUNNER, "drop", "--date", iso(-2), "--targets", "pos", "--yes")
    assert dropped.returncode == 0, dropped.stderr
    assert iso(-2) not in read_status(tmp_path)["datasets"][DATASET].get("failed_days", {})


def test_drop_with_yes_removes_past_and_future_days_and_records_it(tmp_path: Path) -> None:
    env = isolated_env(DATA_LAKE_ROOT=str(tmp_path))
    past, future = today() - timedelta(days=3), today() + timedelta(days=5)
    version_dirs = [publish_fake_day(tmp_path, day).path(tmp_path, table_key(STAR, "fact_sales")).parent
                    for day in (past, future)]
    dropped = run(env, *RUNNER, "drop", "--date", past.isoformat(), "--targets", "pos", "--yes")
    assert dropped.returncode == 0, dropped.stderr
    assert "done: 1 day(s) dropped, 0 failed; 2 rows" in dropped.stderr
    by_script = run(env, *FORCE_REFRESH, "--drop", "--date", future.isoformat(), "--yes")
    assert by_script.returncode == 0, by_script.stderr
    assert read_manifest(tmp_path, DATASET, past) is None and read_manifest(tmp_path, DATASET, future) is None
    assert not any(path.exists() for path in version_dirs)
    history = run(env, *RUNNER, "runs")
    assert history.returncode == 0 and history.stdout.count("drop") == 2, history.stdout
    assert read_status(tmp_path)["datasets"][DATASET].get("last_processed_date") is None  # a drop is no load


def test_drop_needs_the_word_drop(tmp_path: Path) -> None:
    env = isolated_env(DATA_LAKE_ROOT=str(tmp_path))
    day = today() - timedelta(days=1)
    publish_fake_day(tmp_path, day)
    for answer in ("", "yes\n", "y\n"):
        kept = run(env, *RUNNER, "drop", "--date", day.isoformat(), "--targets", "pos", answer=answer)
        assert kept.returncode == 1 and "nothing was removed" in kept.stderr, kept.stderr
        assert f"{DATASET} {day}: version" in kept.stderr  # shown what would go
        assert read_manifest(tmp_path, DATASET, day) is not None
    assert not (tmp_path / "metadata" / "runs").exists()
    typed = run(env, *RUNNER, "drop", "--date", day.isoformat(), "--targets", "pos", answer="drop\n")
    assert typed.returncode == 0, typed.stderr
    assert read_manifest(tmp_path, DATASET, day) is None


def test_status_prints_every_key_of_the_health_report(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    import etl_runner
    from etl.pipelines import health

    missing = [f"2026-01-{day:02d}" for day in range(1, 16)]
    report = {"status": "down", "redis": {"ok": False, "error": "ConnectionError"}, "today": "2026-01-20",
              "datasets": {DATASET: {"status": "failing", "failed_days": {"2026-01-18": "boom"}, "missing_days": missing,
                                     "last_run": None, "a_new_key": 3}}}
    monkeypatch.setattr(health, "health_report", lambda settings: report)
    assert etl_runner.show_status(load_settings(isolated_env())) == 1
    out = capsys.readouterr().out
    assert out.startswith("status: down\n") and "redis: ok=False error=ConnectionError" in out
    assert "failed_days" in out and "2026-01-18=boom" in out and "(+5 more)" in out and "a_new_key" in out
    monkeypatch.setattr(health, "health_report", lambda settings: {"status": "ok", "datasets": {}})
    assert etl_runner.show_status(load_settings(isolated_env())) == 0


def test_send_queues_the_range_task_or_says_the_broker_did_not_take_it(tmp_path: Path) -> None:
    import redis

    url = "redis://127.0.0.1:6379/11"  # this test's own database
    broker = redis.Redis.from_url(url)
    broker.delete("orchestration")
    try:
        sent = run(isolated_env(DATA_LAKE_ROOT=str(tmp_path), REDIS_URL=url), *RUNNER, "send", "--start", iso(-2),
                   "--end", iso(-1), "--targets", "pos")
        assert sent.returncode == 0, sent.stderr
        assert "queued etl_tasks.date_range_etl_pipeline" in sent.stdout
        message = json.loads(broker.lindex("orchestration", 0) or b"{}")
        assert message["headers"]["task"] == "etl_tasks.date_range_etl_pipeline"
        assert message["headers"]["argsrepr"] == repr([iso(-2), iso(-1), [DATASET]])
    finally:
        broker.delete("orchestration")
    down = run(isolated_env(DATA_LAKE_ROOT=str(tmp_path), REDIS_URL="redis://127.0.0.1:1/0"), *RUNNER, "send",
               "--date", iso(-1))
    assert down.returncode == 1 and "broker did not take the task" in down.stderr, down.stderr
    assert "Traceback" not in down.stderr


def test_force_refresh_dimensions_refreshes_the_named_ones_and_refuses_unknown(demo_odoo17: DemoOdoo,
                                                                              tmp_path: Path) -> None:
    env = isolated_env(**demo_odoo17.env(tmp_path, ETL_LOCK_BACKEND="file"))
    unknown = run(env, "-m", "scripts.force_refresh_dimensions", "--targets", "planets")
    assert unknown.returncode == 2 and "unknown dimension(s) planets" in unknown.stderr
    assert len(unknown.stderr.strip().splitlines()) == 1
    done = run(env, "-m", "scripts.force_refresh_dimensions", "--targets", "stores", "products", "--detect-deleted")
    assert done.returncode == 0, done.stderr
    assert "dim_stores" in done.stdout and "dim_products" in done.stdout and "0 deleted" in done.stdout
    assert "done: 2 dimension(s) refreshed, 0 failed" in done.stderr

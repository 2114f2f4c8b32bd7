"""The operational page's actions without the page: the operator input rules, the task sent by name to the
orchestration queue, per-day progress read from manifests and etl_status.json, and no ETL code loaded by importing
the page."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from redis import StrictRedis

from benchmarks import lake_generator
from etl import status as status_module
from etl.day_manifest import read_manifest
from etl.status import record_failure
from services.refresh_actions import (
    ASYNC, DONE, FAILED, RANGE_QUEUE, RANGE_TASK, RUN_LOST, SYNC, WAITING, ActionFailed, ActionRefused, Job,
    RefreshRequest, day_progress, job_progress, queue_refresh, refresh_request, start_sync_refresh,
)
from tests.services.conftest import republish, settings_for
from tests.support.processes import redis_server

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2024, 3, 1, 12, 0, tzinfo=timezone.utc)  # business day 2024-03-01 in Asia/Jakarta
DATASET = "pos_order_lines"
LATER = "2099-01-02T00:00:00+00:00"  # stamps of runs that finished after the job below was sent
JOB_SENT = "2099-01-01T00:00:00+00:00"


@pytest.mark.parametrize(("start", "end", "single", "days"), [
    ("2024-01-31", "2024-03-01", False, 31),  # 31 days, ending today
    ("2024-02-29", None, False, 1),  # no end: the start day
    ("2024-02-29T00:00:00", "2024-02-29", True, 1),  # the date picker's form
])
def test_a_range_within_the_rules_is_accepted(tmp_path: Path, start: str, end: str | None, single: bool,
                                              days: int) -> None:
    request = refresh_request(DATASET, start, end, settings_for(tmp_path), single_day=single, now=NOW)
    assert request.dataset == DATASET and len(request.days) == days


@pytest.mark.parametrize(("dataset", "start", "end", "single", "refusal"), [
    (DATASET, "2024-01-30", "2024-03-01", False, "is 32 days: at most 31 days"),
    (DATASET, "2024-02-28", "2024-03-02", False, "2024-03-02 is after the current business day 2024-03-01"),
    (DATASET, "2024-02-20", "2024-02-10", False, "end day 2024-02-10 is before start day 2024-02-20"),
    ("fact_sales", "2024-02-20", "2024-02-20", False, "choose a dataset"),
    (None, "2024-02-20", "2024-02-20", False, "choose a dataset"),
    (DATASET, None, None, False, "choose the start day"),
    (DATASET, "20/02/2024", None, False, "is not a date"),
    (DATASET, "2024-02-20", "2024-02-21", True, "Sync refresh runs exactly one day (2 chosen)"),
])
def test_requests_outside_the_rules_are_refused(tmp_path: Path, dataset: str | None, start: str | None,
                                                end: str | None, single: bool, refusal: str) -> None:
    with pytest.raises(ActionRefused, match=refusal.replace("(", r"\(").replace(")", r"\)")):
        refresh_request(dataset, start, end, settings_for(tmp_path), single_day=single, now=NOW)


def test_the_business_timezone_decides_what_today_is(tmp_path: Path) -> None:
    late_evening_utc = datetime(2024, 2, 29, 20, 0, tzinfo=timezone.utc)  # already 1 March in Jakarta
    settings = settings_for(tmp_path)
    assert refresh_request(DATASET, "2024-03-01", None, settings, now=late_evening_utc).days == (date(2024, 3, 1),)
    with pytest.raises(ActionRefused, match="after the current business day"):
        refresh_request(DATASET, "2024-03-01", None, settings_for(tmp_path, BUSINESS_TIMEZONE="UTC"),
                        now=late_evening_utc)


@pytest.mark.parametrize("data", [
    None, [], {"kind": ASYNC}, {"kind": "drop", "dataset": DATASET, "days": ["2024-01-01"], "queued_at": JOB_SENT},
    {"kind": ASYNC, "dataset": "../etc", "days": ["2024-01-01"], "queued_at": JOB_SENT},
    {"kind": ASYNC, "dataset": DATASET, "days": ["2024-01-01"] * 40, "queued_at": JOB_SENT},
    {"kind": ASYNC, "dataset": DATASET, "days": ["yesterday"], "queued_at": JOB_SENT},
])
def test_a_job_sent_back_by_the_browser_is_checked_again(data: object) -> None:
    assert Job.from_dict(data) is None  # type: ignore[arg-type]


def test_a_day_is_done_once_published_after_the_job(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    republished, untouched = date(2024, 1, 10), date(2024, 1, 11)
    monkeypatch.setattr(lake_generator, "_utc_now", lambda: LATER)
    manifest = republish(root, republished)
    job = Job(ASYNC, DATASET, (republished.isoformat(), untouched.isoformat()), JOB_SENT, None)
    progress = job_progress(job, settings_for(root))
    done, waiting = progress.days
    assert (done.state, done.finished_at, done.rows) == (DONE, LATER, sum(manifest.rows.values()))
    assert done.rows == read_manifest(root, DATASET, republished).rows["fact_sales"] + manifest.rows["fact_payments"]
    assert waiting.state == WAITING and not progress.finished and progress.count(DONE) == 1


def test_a_failure_recorded_after_the_job_fails_the_day_without_secrets(root: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(status_module, "_utc_now", lambda: LATER)
    record_failure(root, DATASET, "2024-01-12", "extract",
                   "OdooUnavailableError: cannot reach http://etl:hunter2-api-key@odoo.local/xmlrpc")
    job = Job(SYNC, DATASET, ("2024-01-12",), JOB_SENT, None)
    settings = settings_for(root, ODOO_URL="http://odoo.local", ODOO_DB="db", ODOO_USERNAME="etl",
                            ODOO_API_KEY="hunter2-api-key")
    progress = job_progress(job, settings, now=datetime(2099, 1, 2, tzinfo=timezone.utc))
    (failed,) = progress.days
    assert failed.state == FAILED and failed.finished_at == LATER and progress.finished
    assert "cannot reach" in failed.error and "hunter2" not in failed.error


def test_the_newer_outcome_of_a_day_wins(root: Path) -> None:
    manifest = read_manifest(root, DATASET, date(2024, 1, 5))
    assert manifest is not None
    built = datetime.fromisoformat(manifest.built_at)
    before, after = (built - timedelta(seconds=5)).isoformat(), (built + timedelta(seconds=5)).isoformat()
    since = built - timedelta(hours=1)
    retried = {"2024-01-05": {"error": "boom", "finished_at": before}}  # failed, then a retry published the day
    assert day_progress(settings_for(root), DATASET, "2024-01-05", since, retried, []).state == DONE
    broken = {"2024-01-05": {"error": "boom", "finished_at": after}}
    assert day_progress(settings_for(root), DATASET, "2024-01-05", since, broken, []).error == "boom"


def test_a_sync_run_that_leaves_no_trace_is_reported_lost(root: Path) -> None:
    job = Job(SYNC, DATASET, ("2024-03-01",), JOB_SENT, None)
    settings = settings_for(root)
    assert not job_progress(job, settings, now=datetime(2099, 1, 1, 0, 1, tzinfo=timezone.utc)).finished
    lost = job_progress(job, settings, now=datetime(2099, 1, 2, tzinfo=timezone.utc))
    assert lost.finished and lost.stopped == RUN_LOST and lost.detail == str(24 * 3600)


def test_nothing_is_queued_when_the_broker_is_down(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, REDIS_URL="redis://:broker-pass@127.0.0.1:1/0")
    request = RefreshRequest(DATASET, (date(2024, 1, 1),))
    with pytest.raises(ActionFailed, match="Nothing was queued") as refused:
        queue_refresh(request, settings)
    assert "broker-pass" not in str(refused.value)


def test_the_range_task_is_sent_by_name_to_the_orchestration_queue(tmp_path: Path) -> None:
    with redis_server(tmp_path / "redis") as server:
        settings = settings_for(tmp_path, REDIS_URL=server.url())
        job = queue_refresh(RefreshRequest(DATASET, (date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 3))),
                            settings)
        broker = StrictRedis.from_url(server.url())
        try:
            (raw,) = broker.lrange(RANGE_QUEUE, 0, -1)
        finally:
            broker.close()
    message = json.loads(raw)
    args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
    assert message["headers"]["task"] == RANGE_TASK == "etl_tasks.date_range_etl_pipeline"
    assert message["headers"]["id"] == job.task_id and job.kind == ASYNC
    assert (args, kwargs) == (["2024-01-01", "2024-01-03", [DATASET]], {})
    assert job.days == ("2024-01-01", "2024-01-02", "2024-01-03")


def test_a_sync_refresh_needs_odoo_and_exactly_one_day(tmp_path: Path) -> None:
    with pytest.raises(ActionFailed, match="Odoo is not configured"):
        start_sync_refresh(RefreshRequest(DATASET, (date(2024, 1, 1),)), settings_for(tmp_path))
    with pytest.raises(ActionRefused, match="exactly one day"):
        start_sync_refresh(RefreshRequest(DATASET, (date(2024, 1, 1), date(2024, 1, 2))), settings_for(tmp_path))


def test_importing_the_page_and_its_services_loads_no_etl_code_nor_odoorpc() -> None:
    code = ("import sys, app, pages.operational, services.refresh_actions, services.operator_auth; "
            "loaded = [m for m in sys.modules if m.split('.')[0] in ('odoorpc', 'odoorpc_connector', 'etl_tasks') "
            "or m in ('etl.datasets', 'etl.pipelines.day', 'etl.pipelines.runs')]; print(loaded); assert not loaded")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120,
                            env={"NKDASH_IGNORE_DOTENV": "1", "PATH": "/usr/bin:/bin", "OPS_USERNAME": "ops",
                                 "OPS_PASSWORD": "pw", "NKDASH_SECRET_KEY": "k" * 40})
    assert result.returncode == 0, result.stdout + result.stderr

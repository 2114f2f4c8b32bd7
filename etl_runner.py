"""Operator console: see what is fresh and what failed, run days in-process, or hand work to the Celery workers.

    python etl_runner.py status                       freshness and last error per dataset
    python etl_runner.py runs [--limit 20]            recent runs, newest first
    python etl_runner.py run --start D [--end D] [--targets pos]      run in this process (no broker)
    python etl_runner.py send daily_etl_pipeline [--args '["D"]']     queue a task on the workers
"""

from __future__ import annotations

import argparse
import json
import sys

from etl.pipelines.health import freshness
from etl.settings import Settings, exit_on_invalid_settings
from etl.status import recent_runs


def show_status(settings: Settings) -> int:
    rows = freshness(settings)
    print(f"{'dataset':<20} {'last processed':<15} {'days late':>9}  {'level':<9} gaps  last error")
    for row in rows:
        last = row.last_processed_date.isoformat() if row.last_processed_date else "-"
        late = "-" if row.days_late is None else str(row.days_late)
        print(f"{row.dataset:<20} {last:<15} {late:>9}  {row.level:<9} {len(row.gaps):>4}  {row.last_error or ''}")
    return 0 if all(row.level == "fresh" for row in rows) else 1


def show_runs(settings: Settings, limit: int) -> int:
    for run in recent_runs(settings.data_lake_root, limit):
        state = "ok    " if run["ok"] else "FAILED"
        print(f"{run['finished_at']}  {state} {run['dataset']:<18} {run['day']}  rows {run['rows_out']:>8}  "
              f"quarantined {run['quarantined']:>5}  {run['seconds']:>7.2f}s  {run.get('error') or ''}")
    return 0


def send(task: str, args: list) -> int:
    from etl_tasks import app  # imported here: only this command needs the broker

    result = app.send_task(f"etl_tasks.{task}", args=args)
    print(f"queued etl_tasks.{task} id={result.id}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="NKDash operator console")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("status", help="freshness per dataset")
    runs = commands.add_parser("runs", help="recent runs")
    runs.add_argument("--limit", type=int, default=20)
    run = commands.add_parser("run", help="run days in this process")
    run.add_argument("rest", nargs=argparse.REMAINDER, help="arguments for scripts.force_refresh_pos_data")
    queue = commands.add_parser("send", help="queue a task on the Celery workers")
    queue.add_argument("task")
    queue.add_argument("--args", default="[]", help="JSON list of positional arguments")
    args = parser.parse_args(argv)
    if args.command == "run":
        from scripts.force_refresh_pos_data import main as force_refresh

        return force_refresh(args.rest)
    settings = exit_on_invalid_settings()
    if args.command == "status":
        return show_status(settings)
    if args.command == "runs":
        return show_runs(settings, args.limit)
    return send(args.task, json.loads(args.args))


if __name__ == "__main__":
    sys.exit(main())

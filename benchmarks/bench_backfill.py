"""Backfill figures (issue 8): a year of every dataset loaded from demo_odoo through a real Celery worker.

Everything runs as in production, in processes of its own: demo_odoo (Odoo 17, 1,500 POS orders a day over all
stores: demo_odoo has a fixed 4 open stores, weighted 34/26/22/18 %, i.e. 375 a store on average — it cannot be set
to 3), a private `redis-server --save "" --appendonly no` on a free port, and `celery -A etl_tasks worker
--concurrency 2` on every queue, with a temporary lake. `etl_tasks.date_range_etl_pipeline(start, end)` is sent by
name; the bench then waits until every (dataset, day) is published (`etl.day_manifest.loaded_days`) or failed
(`failed_days` of metadata/etl_status.json).

Figures:
- days per minute: business days (every dataset) from sending the range to the last (dataset, day) settled;
- RPC calls per 1000 records, per dataset and over all: calls counted by demo_odoo (`GET /demo/stats`), records =
  raw rows of the loaded days (the run history's `rows_in`, last run of each day). The fan-out sends the days
  dataset by dataset and the worker takes them in that order, so the calls made between two samples (1 s apart)
  are charged to the Odoo datasets whose days finished next, in proportion (calls of the one dimension refresh go to
  the first days); the split is exact except for the one or two tasks running at a dataset boundary;
- peak worker RSS: the sum of VmRSS over the worker's process tree (main process and pool children, /proc, sampled
  every 0.25 s; shared pages count once per process, so this is an upper bound);
- days sent vs days loaded (and failed), per dataset;
- where the worker's time went: Σ seconds per dataset and step (extract, save_raw, clean, load, commit) from the
  worker's JSON log, beside Σ task seconds (the rest is the pipeline task's own work: the late-change check of the
  days before it, the day lock, bookkeeping).

    python -m benchmarks.bench_backfill [--days 30] [--orders-per-day 1500] [--concurrency 2]

`make bench` runs `run()` (365 days). Every process started here is stopped in a `finally`, also on failure.
The figures depend on the machine: the demo server, Redis and the worker share its cores.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import threading
import time
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from benchmarks.memory import resident_mib
from etl.catalog import CATALOG
from etl.dates import business_yesterday
from etl.day_manifest import loaded_days
from etl.io_parquet import metadata_path
from etl.settings import load_settings
from etl.status import RUNS_DIR, read_status
from tests.support.demo_control import demo_stats
from tests.support.processes import PYTHON, ChildProcess, RedisServer, isolated_env, running

DAYS = 365
ORDERS_PER_DAY = 1500  # all stores together (demo_odoo's --orders-per-day)
DEMO_STORES = 4  # fixed in demo_odoo (generate.py store_names); not configurable
CONCURRENCY = 2
ODOO_VERSION = 17
QUEUES = "extract,transform,load,orchestration"
WORKER_NAME = "nkdash-backfill"
TARGETS = {"days_per_minute": 60.0, "calls_per_1000_records": 2.0, "worker_peak_rss_mib": 1024.0}
SAMPLE_SECONDS = 0.25
PROGRESS_SECONDS = 1.0
STEPS = ("extract", "save_raw", "clean", "load", "commit")
TASK_DONE = re.compile(r"Task etl_tasks\.(\w+)\[[^\]]+\] (succeeded|raised|retry)[^0-9]*([\d.]+)?s?")


@dataclass
class Figures:
    days: int
    datasets: list[str]
    orders_per_day: int
    concurrency: int
    minutes: float = 0.0
    sent: int = 0
    loaded: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    calls: dict[str, float] = field(default_factory=dict)  # dataset -> demo calls charged to it
    calls_total: int = 0
    calls_by_model: dict[str, int] = field(default_factory=dict)
    records: dict[str, int] = field(default_factory=dict)  # dataset -> raw rows of its loaded days
    peak_rss_mib: float = 0.0
    step_seconds: dict[str, dict[str, float]] = field(default_factory=dict)
    task_seconds: dict[str, float] = field(default_factory=dict)
    incomplete: bool = False  # timed out, or the worker exited
    look_back: bool = True  # False: the --no-look-back experiment

    @property
    def days_per_minute(self) -> float:
        return self.days / self.minutes if self.minutes else 0.0

    def per_1000(self, dataset: str | None = None) -> float | None:
        if dataset is None:
            calls, records = self.calls_total, sum(self.records.values())
        else:
            calls, records = self.calls.get(dataset, 0.0), self.records.get(dataset, 0)
        return calls / records * 1000 if records else None


# -- processes ---------------------------------------------------------------------------------------------------
def _descendants(root: int) -> list[int]:
    """`root` and every process below it (from /proc/<pid>/stat's ppid)."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        children[int(stat.rsplit(")", 1)[1].split()[1])].append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def tree_rss_mib(root: int) -> float:
    """Σ VmRSS of `root`'s process tree, in MiB (processes that end meanwhile are skipped)."""
    total = 0.0
    for pid in _descendants(root):
        try:
            total += resident_mib(pid)
        except (OSError, RuntimeError):
            pass
    return total


class RssSampler(threading.Thread):
    """Samples a process tree's RSS until stopped; keeps the peak."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root, self.peak, self._halt = root, 0.0, threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.peak = max(self.peak, tree_rss_mib(self.root))
            self._halt.wait(SAMPLE_SECONDS)

    def stop(self) -> float:
        self._halt.set()
        self.join(timeout=5)
        return self.peak


def _reset_demo_stats(url: str) -> None:
    request = urllib.request.Request(f"{url}/demo/faults", data=json.dumps({"reset_stats": True}).encode(),
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).read()


def _send_range(redis_url: str, start: date, end: date) -> str:
    from celery import Celery

    app = Celery("nkdash-bench-client", broker=redis_url, backend=redis_url)
    try:
        return app.send_task("etl_tasks.date_range_etl_pipeline", args=[start.isoformat(), end.isoformat()],
                             queue="orchestration").id
    finally:
        app.close()


# -- progress and figures ----------------------------------------------------------------------------------------
def _settled(lake: Path, datasets: list[str], days: set[date]) -> tuple[dict[str, set[date]], dict[str, set[date]]]:
    """Per dataset, the days of `days` published and those failed (and not published)."""
    status = read_status(lake)["datasets"]
    loaded = {name: set(loaded_days(lake, name)) & days for name in datasets}
    failed = {name: ({date.fromisoformat(day) for day in status.get(name, {}).get("failed_days", {})} & days)
              - loaded[name] for name in datasets}
    return loaded, failed


def _records(lake: Path, datasets: list[str], days: set[date]) -> dict[str, int]:
    """Raw rows per dataset: `rows_in` of the last successful run of each day (the run history)."""
    last: dict[tuple[str, str], tuple[str, int]] = {}
    folder = metadata_path(lake, RUNS_DIR)
    for path in folder.glob("*.json") if folder.exists() else []:
        run = json.loads(path.read_text())
        key = (run["dataset"], run["day"])
        if run.get("ok") and run.get("step") is None and (key not in last or run["finished_at"] >= last[key][0]):
            last[key] = (run["finished_at"], int(run.get("rows_in") or 0))
    wanted = {day.isoformat() for day in days}
    return {name: sum(rows for (dataset, day), (_, rows) in last.items() if dataset == name and day in wanted)
            for name in datasets}


def _worker_profile(lines: list[str]) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """Σ seconds per dataset and step, and Σ seconds per pipeline task name, from the worker's JSON log."""
    steps: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    tasks: dict[str, float] = defaultdict(float)
    for line in lines:
        if not line.startswith("{"):
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("step") in STEPS and "seconds" in entry and entry.get("dataset"):
            steps[entry["dataset"]][entry["step"]] += float(entry["seconds"])
            continue
        match = TASK_DONE.search(str(entry.get("event", "")))
        if match and match.group(2) == "succeeded" and match.group(3):
            tasks[match.group(1)] += float(match.group(3))
    return {name: dict(values) for name, values in steps.items()}, dict(tasks)


def backfill(days: int = DAYS, orders_per_day: int = ORDERS_PER_DAY, concurrency: int = CONCURRENCY,
             timeout_minutes: float | None = None, verbose: bool = True, look_back: bool = True) -> Figures:
    """Run the backfill and measure it (see the module docstring). `look_back=False` is an experiment, not the
    figure: the worker gets ETL_START_DATE = the last day, so no day task checks the days before it for late
    changes (what a range costs without that per-task look-back)."""
    datasets = list(CATALOG)
    figures = Figures(days, datasets, orders_per_day, concurrency, look_back=look_back)
    timeout = 60 * (timeout_minutes if timeout_minutes is not None else 15 + days * 0.25)
    odoo_datasets = [name for name in datasets if CATALOG[name].reads_odoo]
    demo_args = [PYTHON, "-m", "demo_odoo", "--host", "127.0.0.1", "--port", "0", "--odoo-version",
                 str(ODOO_VERSION), "--days", str(days), "--orders-per-day", str(orders_per_day), "--seed", "42"]

    def say(text: str) -> None:
        if verbose:
            print(f"[bench_backfill] {text}", flush=True)

    with tempfile.TemporaryDirectory(prefix="nkdash-backfill-") as scratch:
        lake, redis = Path(scratch) / "lake", RedisServer(Path(scratch) / "redis", persistent=False)
        worker: ChildProcess | None = None
        sampler: RssSampler | None = None
        with running(demo_args, isolated_env()) as demo:
            try:
                url = demo.wait_for(r"ready on (http://[\d.]+:\d+)", timeout=600).group(1)
                say(f"demo_odoo {ODOO_VERSION} ready: {days} days x {orders_per_day} POS orders/day "
                    f"({DEMO_STORES} stores)")
                redis.start()
                settings = load_settings({"ODOO_URL": url, "ODOO_DB": "nkdash_demo", "ODOO_USERNAME": "admin",
                                          "ODOO_API_KEY": "admin", "DATA_LAKE_ROOT": str(lake)})
                end = business_yesterday(settings.business_timezone)
                start = end - timedelta(days=days - 1)
                wanted = {start + timedelta(days=n) for n in range(days)}
                env = isolated_env(ODOO_URL=url, ODOO_DB="nkdash_demo", ODOO_USERNAME="admin", ODOO_API_KEY="admin",
                                   DATA_LAKE_ROOT=str(lake), REDIS_URL=redis.url(), LOG_FORMAT="json",
                                   LOG_LEVEL="INFO", **({} if look_back else {"ETL_START_DATE": end.isoformat()}))
                worker = ChildProcess([PYTHON, "-m", "celery", "-A", "etl_tasks", "worker", "-Q", QUEUES,
                                       "--concurrency", str(concurrency), "-n", f"{WORKER_NAME}@%h",
                                       "--without-gossip", "--without-mingle", "--loglevel", "INFO"], env)
                worker.wait_for(rf"{WORKER_NAME}@\S+ ready", timeout=120)
                sampler = RssSampler(worker.popen.pid)
                sampler.start()
                figures.sent = days * len(datasets)
                _reset_demo_stats(url)
                started = time.monotonic()
                _send_range(redis.url(), start, end)
                say(f"sent date_range_etl_pipeline({start}, {end}): {figures.sent} (dataset, day) pairs")
                charged: dict[str, float] = defaultdict(float)
                pending, last_total = 0, 0
                settled_before = {name: 0 for name in datasets}
                next_report = started + 30
                while True:
                    loaded, failed = _settled(lake, datasets, wanted)
                    total = demo_stats(url)["total"]
                    pending += total - last_total
                    last_total = total
                    newly = {name: len(loaded[name]) + len(failed[name]) - settled_before[name]
                             for name in odoo_datasets}
                    if pending and sum(newly.values()):
                        for name, count in newly.items():
                            charged[name] += pending * count / sum(newly.values())
                        pending = 0
                    settled_before = {name: len(loaded[name]) + len(failed[name]) for name in datasets}
                    done = sum(settled_before.values())
                    if done >= figures.sent:
                        break
                    if worker.popen.poll() is not None:
                        figures.incomplete = True
                        say(f"the worker exited (code {worker.popen.returncode}) with {done}/{figures.sent} settled:\n"
                            + "\n".join(worker.output[-20:]))
                        break
                    if time.monotonic() - started > timeout:
                        figures.incomplete = True
                        say(f"timed out after {timeout / 60:.0f} min with {done}/{figures.sent} settled")
                        break
                    if time.monotonic() >= next_report:
                        say(f"{done}/{figures.sent} settled after {(time.monotonic() - started) / 60:.1f} min, "
                            f"worker RSS peak {sampler.peak:.0f} MiB")
                        next_report += 30
                    time.sleep(PROGRESS_SECONDS)
                figures.minutes = (time.monotonic() - started) / 60
                stats = demo_stats(url)
                figures.calls_total = stats["total"]
                if stats["total"] > last_total:  # after the last sample: the last days' calls
                    pending += stats["total"] - last_total
                if pending:
                    charged[odoo_datasets[-1]] += pending
                figures.calls = dict(charged)
                figures.calls_by_model = {f"{model}.{method}": count for model, methods in stats["calls"].items()
                                          for method, count in methods.items()}
                figures.loaded = {name: len(loaded[name]) for name in datasets}
                figures.failed = {name: len(failed[name]) for name in datasets}
                entries = read_status(lake)["datasets"]
                figures.failures = {f"{name} {day}": entry.get("error", "")
                                    for name in datasets
                                    for day, entry in entries.get(name, {}).get("failed_days", {}).items()}
                figures.records = _records(lake, datasets, wanted)
            finally:  # each stop runs even if another one fails; the demo stops when `running` exits
                try:
                    if sampler is not None:
                        figures.peak_rss_mib = sampler.stop()
                finally:
                    try:
                        if worker is not None:
                            worker.stop()
                            figures.step_seconds, figures.task_seconds = _worker_profile(worker.output)
                    finally:
                        redis.stop()
    return figures


# -- output -------------------------------------------------------------------------------------------------------
def report(figures: Figures) -> str:
    lines = [
        f"backfill of {figures.days} days x {len(figures.datasets)} datasets, demo_odoo {ODOO_VERSION} with "
        f"{figures.orders_per_day} POS orders/day over {DEMO_STORES} stores, worker --concurrency "
        f"{figures.concurrency}, {os.cpu_count()} CPUs (shared with demo_odoo and redis)"
        + ("" if figures.look_back else "; EXPERIMENT: no late-change look-back in the day tasks"),
        f"  minutes                      {figures.minutes:.1f}"
        + (" (INCOMPLETE: timeout or worker exit)" if figures.incomplete else ""),
        f"  days per minute              {figures.days_per_minute:.1f}  (target >= {TARGETS['days_per_minute']:.0f})",
        f"  worker peak RSS (tree)       {figures.peak_rss_mib:.0f} MiB  (target <= "
        f"{TARGETS['worker_peak_rss_mib']:.0f})",
        f"  (dataset, day) sent          {figures.sent}",
        f"  loaded / failed              {sum(figures.loaded.values())} / {sum(figures.failed.values())}",
        f"  RPC calls (demo_odoo)        {figures.calls_total}",
        f"  calls per 1000 records, all  {_fmt(figures.per_1000())}  (target <= "
        f"{TARGETS['calls_per_1000_records']:.0f})",
        "  per dataset: days loaded/failed, records, calls, calls/1000, Σ step seconds (extract save_raw clean load "
        "commit), Σ task seconds",
    ]
    for name in figures.datasets:
        steps = figures.step_seconds.get(name, {})
        task = figures.task_seconds.get(CATALOG[name].pipeline_task, 0.0)
        lines.append(f"    {name:<16} {figures.loaded.get(name, 0):>4}/{figures.failed.get(name, 0):<3} "
                     f"{figures.records.get(name, 0):>10} {figures.calls.get(name, 0.0):>8.0f} "
                     f"{_fmt(figures.per_1000(name)):>7}  "
                     + " ".join(f"{steps.get(step, 0.0):7.1f}" for step in STEPS) + f"  {task:8.1f}")
    top = sorted(figures.calls_by_model.items(), key=lambda item: -item[1])[:12]
    lines.append("  calls by model.method: " + ", ".join(f"{key} {count}" for key, count in top))
    for key, error in list(figures.failures.items())[:10]:
        lines.append(f"  failed {key}: {error[:200]}")
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def results(figures: Figures) -> dict[str, dict]:
    """The figures as benchmarks/results.json entries."""
    out: dict[str, dict] = {
        "backfill_days": {"value": figures.days, "unit": f"days x {len(figures.datasets)} datasets"},
        "backfill_minutes": {"value": round(figures.minutes, 2), "unit": "min"},
        "backfill_days_per_minute": {"value": round(figures.days_per_minute, 1),
                                     "unit": f"days/min, all datasets (target >= {TARGETS['days_per_minute']:.0f})"},
        "backfill_worker_peak_rss": {"value": round(figures.peak_rss_mib),
                                     "unit": f"MiB, worker process tree (target <= "
                                             f"{TARGETS['worker_peak_rss_mib']:.0f})"},
        "backfill_pairs_sent": {"value": figures.sent, "unit": "(dataset, day)"},
        "backfill_pairs_loaded": {"value": sum(figures.loaded.values()), "unit": "(dataset, day)"},
        "backfill_pairs_failed": {"value": sum(figures.failed.values()), "unit": "(dataset, day)"},
        "backfill_rpc_calls": {"value": figures.calls_total, "unit": "calls (demo_odoo /demo/stats)"},
        "backfill_rpc_calls_per_1000_records": {"value": _round(figures.per_1000()),
                                                "unit": "calls/1000 raw records, all datasets (target <= 2)"},
        "backfill_orders_per_day": {"value": figures.orders_per_day,
                                    "unit": f"POS orders/day over demo_odoo's {DEMO_STORES} stores"},
        "backfill_incomplete": {"value": figures.incomplete, "unit": "bool"},
    }
    for name in figures.datasets:
        out[f"backfill_{name}_days_loaded"] = {"value": figures.loaded.get(name, 0), "unit": "days"}
        out[f"backfill_{name}_records"] = {"value": figures.records.get(name, 0), "unit": "raw records"}
        if CATALOG[name].reads_odoo:
            out[f"backfill_{name}_rpc_calls_per_1000_records"] = {"value": _round(figures.per_1000(name)),
                                                                  "unit": "calls/1000 raw records (target <= 2)"}
        out[f"backfill_{name}_task_seconds"] = {
            "value": round(figures.task_seconds.get(CATALOG[name].pipeline_task, 0.0), 1),
            "unit": "s, Σ over its pipeline tasks in the worker"}
    return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def run() -> dict[str, dict]:
    """`make bench`: the 365-day backfill."""
    figures = backfill(DAYS)
    print(report(figures), flush=True)
    return results(figures)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=DAYS)
    parser.add_argument("--orders-per-day", type=int, default=ORDERS_PER_DAY)
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    parser.add_argument("--timeout-minutes", type=float, default=None)
    parser.add_argument("--json", action="store_true", help="also print the results.json entries")
    parser.add_argument("--no-look-back", action="store_true",
                        help="experiment: no late-change check of earlier days in the day tasks (ETL_START_DATE)")
    args = parser.parse_args(argv)
    figures = backfill(args.days, args.orders_per_day, args.concurrency, args.timeout_minutes,
                       look_back=not args.no_look_back)
    print(report(figures))
    if args.json:
        print(json.dumps(results(figures), indent=2, sort_keys=True))
    return 0 if not figures.incomplete and not sum(figures.failed.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

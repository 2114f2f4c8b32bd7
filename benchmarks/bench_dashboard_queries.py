"""The dashboard on the benchmark lake (10M lines; `make bench-scale`: 100M): every page, process start, memory,
freshness and 50 concurrent users, against baselines run in the same benchmark.

Measured on a hard-linked copy of the cached lake (its files are never touched), in fresh processes so each one's
memory is its own:

- Shared base: `python -m services.serving_base` builds the base as a serving process does (wall seconds, the build
  process's peak resident memory, file size); after one day is re-published, a new base is built again (reusing the
  unchanged days).
- A dashboard process on the base (`serving`): the time from creating its Lake to the first page shown (Sales, the
  default 30 days; imports counted apart), then every page of the app (benchmarks.dash_pages: layout and the
  callbacks its initial values fire, as the browser does) for 7, 30 and 365 days, without filters and with a store,
  a category and a brand filter: the time of the page's queries (every `Lake.query`, result cache off) and of its
  whole callbacks, p50/p95 warm; its resident memory after all of them; the seconds from a day's re-published files
  to the Sales KPIs showing them, with the refresher running; the seconds to switch to a newly built base.
- Baselines: the same process without a shared base (every serving table in its own memory: the previous design) at
  10M, for its start, memory and page times; in the serving process, the KPI query written naively over the Parquet
  view `fact_sales_all`. Ratios are baseline ÷ serving.
- Load: gunicorn as docker-compose runs it (2 workers, timeout 120, gunicorn.conf.py; result cache as configured) on
  127.0.0.1; 50 users each load `VISITS` random pages (random page, range and filter; 5–15 s of reading between
  pages), a fixed number of requests, then stop: page response p50/p95 (all its requests), errors, workers' memory.

The machine's other load shows in wall times; the figures are what this run measured, with the load average noted.
"""

from __future__ import annotations

import json
import logging
import os
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from benchmarks.lake_generator import BENCHMARK_LAKE, DATASET, SCALE_LAKE, LakeSpec, cached_lake
from benchmarks.memory import resident_mib

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
RANGES = (7, 30, 365)
FILTERS: dict[str, dict[str, str]] = {"none": {}, "store": {"store": "1"}, "category": {"category": "100"},
                                      "brand": {"brand": "3"}}
WARM_RUNS = 3  # per page, range and filter, after one warm-up load
USERS = 50
VISITS = 4  # pages per user in the load test
THINK_SECONDS = (5.0, 15.0)  # a dashboard user reads a page before the next
FRESHNESS_LIMIT_SECONDS = 60.0  # a bound against hanging, not a target
CHILD_TIMEOUT_SECONDS = 3600
SCALE_MEMORY_LIMIT = "640MB"  # DASH_DUCKDB_MEMORY_LIMIT of the dashboard processes on the 100M-line lake (1 GiB budget)


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18] if len(values) > 1 else values[0]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


@contextmanager
def _linked_copy(root: Path) -> Iterator[Path]:
    """A copy of the lake made of hard links (instant, no space): replacing a file in it leaves `root` unchanged."""
    copy = Path(tempfile.mkdtemp(prefix=".lake-bench-", dir=root.parent))
    try:
        shutil.copytree(root, copy, copy_function=os.link, dirs_exist_ok=True, ignore=shutil.ignore_patterns("serving"))
        yield copy
    finally:
        shutil.rmtree(copy, ignore_errors=True)


def _environment(root: Path, spec: LakeSpec, **extra: str) -> dict[str, str]:
    return {**os.environ, "NKDASH_IGNORE_DOTENV": "1", "DATA_LAKE_ROOT": str(root), "BUSINESS_TIMEZONE": spec.timezone,
            "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"), "LOG_LEVEL": "WARNING",
            **extra}


def _build_base(root: Path, spec: LakeSpec) -> dict[str, float]:
    """Build the shared base as a serving process does (a child process); its figures."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "services.serving_base", str(root), "--timezone", spec.timezone],
                   cwd=REPO, env=_environment(root, spec), check=True, timeout=CHILD_TIMEOUT_SECONDS)
    seconds = time.perf_counter() - started
    from services.serving_base import read_pointer

    pointer = read_pointer(root)
    assert pointer is not None
    return {"seconds": seconds, "peak_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
            "file_mib": pointer.path(root).stat().st_size / 2**20, "days_computed": pointer.days_computed,
            "days_copied": pointer.days_copied}


def _child(root: Path, spec: LakeSpec, mode: str, serving: dict[str, str]) -> dict[str, Any]:
    """Run `_measure_process` in a fresh process (`serving`: the dashboard's settings measured); its JSON answer."""
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_dashboard_queries", "child", str(root), mode, spec.end.isoformat()],
        cwd=REPO, env=_environment(root, spec, DASH_CACHE_TTL_SECONDS="0", **serving), check=True,
        capture_output=True, text=True, timeout=CHILD_TIMEOUT_SECONDS)
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- inside a dashboard process ------------------------------------------------------------------------------------


class _QueryClock:
    """Σ seconds spent in `Lake.query` (every query a page runs goes through it)."""

    def __init__(self) -> None:
        from services.duckdb_connector import Lake

        self.seconds = 0.0
        original = Lake.query

        def timed(lake: Any, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(lake, *args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started

        Lake.query = timed  # type: ignore[method-assign]


def _search(end: date, days: int, filters: dict[str, str]) -> str:
    query = {"from": (end - timedelta(days=days - 1)).isoformat(), "to": end.isoformat(), **filters}
    return "?" + "&".join(f"{key}={value}" for key, value in query.items())


def _test_client_pages() -> Any:
    import app
    from benchmarks.dash_pages import DashPages

    client = app.server.test_client()

    def get(path: str) -> Any:
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.status_code)
        return answer.get_json()

    def post(path: str, body: dict[str, Any]) -> Any:
        answer = client.post(path, json=body)
        assert answer.status_code in (200, 204), (body["output"], answer.status_code, answer.get_data(True)[:300])
        return answer.get_json() if answer.status_code == 200 else None

    return DashPages(get, post)


def _measure_process(root: Path, mode: str, end: date) -> dict[str, Any]:
    """What `_child` runs: start, first page, every page warm, memory, freshness (serving mode)."""
    started = time.perf_counter()
    import dash

    import app  # noqa: F401  (the pages register)
    from services import duckdb_connector

    imports = time.perf_counter() - started
    clock = _QueryClock()
    if mode == "serving":
        duckdb_connector.share_serving_base()
    pages = _test_client_pages()
    created = time.perf_counter()
    lake = duckdb_connector.get_lake()
    first = pages.load("/sales", "")
    first_page = time.perf_counter() - created
    result: dict[str, Any] = {"imports_s": imports, "first_page_s": first_page, "first_page_queries_s": clock.seconds,
                              "resident_after_first_page_mib": resident_mib(), "pages": {}}
    paths = [page["path"] for page in dash.page_registry.values()]
    for path in paths:
        for days in RANGES:
            for name, filters in FILTERS.items():
                timings = []
                for run in range(WARM_RUNS + 1):
                    clock.seconds = 0.0
                    load = pages.load(path, _search(end, days, filters))
                    if run:
                        timings.append((clock.seconds, load.total))
                result["pages"][f"{path}|{days}|{name}"] = timings
    result["resident_mib"] = resident_mib()
    result["peak_resident_mib"] = resident_mib(field="VmHWM")
    result["answer_bytes_sales_365"] = first.answer_bytes
    if mode == "serving":
        result |= _naive_ratio(lake, end) | _freshness(lake, root, end)
    return result


def _naive_ratio(lake: Any, end: date) -> dict[str, float]:
    """The KPIs of 365 days from the serving tables, and written naively over the Parquet facts."""
    from services import sales_metrics

    filters = sales_metrics.SalesFilters(end - timedelta(days=364), end)
    naive_sql = """SELECT sum(revenue) AS revenue, sum(revenue_excl_tax) AS net_sales,
           count(DISTINCT order_id) FILTER (WHERE NOT is_refund) AS orders, sum(quantity) AS units,
           sum(revenue) FILTER (WHERE is_refund) AS refunds
        FROM fact_sales_all WHERE date BETWEEN $start AND $end"""

    def timed(action: Callable[[], object]) -> float:
        action()
        runs = []
        for _ in range(5):
            started = time.perf_counter()
            action()
            runs.append(time.perf_counter() - started)
        return statistics.median(runs)

    serving = timed(lambda: sales_metrics.kpi_comparison(lake, filters))
    naive = timed(lambda: lake.query(naive_sql, {"start": filters.start, "end": filters.end}, cached=False))
    return {"kpis_365_serving_s": serving, "kpis_365_naive_parquet_s": naive}


def _republish_doubled(root: Path, day: date) -> None:
    """Re-publish `day` as a re-run does (new version, then its manifest), with fact_sales' revenue doubled."""
    import polars as pl

    from benchmarks.lake_generator import publish_day
    from etl.day_manifest import read_manifest

    manifest = read_manifest(root, DATASET, day)
    assert manifest is not None
    frames = {key.rsplit("/", 1)[1]: pl.read_parquet(root / relative) for key, relative in manifest.files.items()}
    frames["fact_sales"] = frames["fact_sales"].with_columns(revenue=pl.col("revenue") * 2)
    publish_day(root, day, frames)


def _until(condition: Callable[[], bool]) -> float:
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > FRESHNESS_LIMIT_SECONDS:
            raise TimeoutError("the change did not show")
        time.sleep(0.02)
    return time.perf_counter() - started


def _freshness(lake: Any, root: Path, end: date) -> dict[str, float]:
    """Seconds from a day's files changing to the Sales KPIs showing it (refresher running); then the seconds a new
    base takes to build and to be served."""
    from services import sales_metrics
    from services.duckdb_connector import LakeRefresher
    from services.serving_base import build_base, read_pointer

    day = sales_metrics.SalesFilters(end, end)
    before = sales_metrics.kpi_comparison(lake, day)["revenue"].value
    refresher = LakeRefresher(lambda: lake).start()
    try:
        _republish_doubled(root, end)
        shown = _until(lambda: sales_metrics.kpi_comparison(lake, day)["revenue"].value > 1.5 * before)
        started = time.perf_counter()
        pointer = build_base(root, lake.timezone)
        built = time.perf_counter() - started
        switched = _until(lambda: lake._serving.base == read_pointer(root))
    finally:
        refresher.stop(30)
    return {"freshness_s": shown, "incremental_base_build_s": built, "incremental_days_computed": pointer.days_computed,
            "incremental_days_copied": pointer.days_copied, "base_switch_s": switched}


# --- the load test -------------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _gunicorn(root: Path, spec: LakeSpec, serving: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """gunicorn with docker-compose's dash-app settings, on 127.0.0.1."""
    import requests

    port = _free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "app:server", "--bind", f"127.0.0.1:{port}", "--workers",
         "2", "--timeout", "120"], cwd=REPO, env=_environment(root, spec, **serving), start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                requests.get(f"{url}/health", timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.5)
        yield url, server
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(60)


def _workers_mib(master: int) -> list[float]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [resident_mib(int(pid)) for pid in children]


Visit = tuple[str, int, str, float]  # a load test's page load: path, range days, filter name, seconds


def _user(url: str, paths: list[str], end: date, seed: int, loads: list[Visit], errors: list[str]) -> None:
    import requests

    from benchmarks.dash_pages import DashPages

    session = requests.Session()

    def get(path: str) -> Any:
        answer = session.get(url + path, timeout=120)
        answer.raise_for_status()
        return answer.json()

    def post(path: str, body: dict[str, Any]) -> Any:
        answer = session.post(url + path, json=body, timeout=120)
        answer.raise_for_status()
        return answer.json() if answer.status_code == 200 else None

    rng = random.Random(seed)
    try:
        pages = DashPages(get, post)
    except Exception as exc:  # noqa: BLE001 (every failure is an error of the run)
        errors.append(f"start: {exc}")
        return
    for _ in range(VISITS):
        time.sleep(rng.uniform(*THINK_SECONDS))
        path, days, name = rng.choice(paths), rng.choice(RANGES), rng.choice(list(FILTERS))
        try:
            started = time.perf_counter()
            pages.load(path, _search(end, days, FILTERS[name]))
            loads.append((path, days, name, time.perf_counter() - started))
        except Exception as exc:  # noqa: BLE001
            errors.append(f"{path} {days} {name}: {exc}")


def _load_test(root: Path, spec: LakeSpec, paths: list[str], serving: dict[str, str]) -> dict[str, Any]:
    with _gunicorn(root, spec, serving) as (url, server):
        loads: list[Visit] = []
        errors: list[str] = []
        users = [threading.Thread(target=_user, args=(url, paths, spec.end, seed, loads, errors))
                 for seed in range(USERS)]
        started = time.perf_counter()
        for user in users:
            user.start()
        for user in users:
            user.join()
        seconds = time.perf_counter() - started
        workers = _workers_mib(server.pid)
    seconds_all = [visit[3] for visit in loads]
    return {"pages": len(loads), "errors": errors, "seconds": seconds, "p50": statistics.median(seconds_all or [0]),
            "p95": _p95(seconds_all or [0]), "max": max(seconds_all, default=0), "workers_mib": workers,
            "visits": loads}


# --- results -------------------------------------------------------------------------------------------------------


PRODUCT_FILTERS = ("category", "brand")  # filters that cut orders: exact counts read sales lines


def _page_figures(prefix: str, measured: dict[str, Any], label: str) -> dict[str, dict]:
    """Per page and range: p50/p95 of the queries with order-level filters (none, store) and with a product filter
    (category, brand), and p95 of the whole callbacks (all filters)."""
    figures: dict[str, dict] = {}
    grouped: dict[tuple[str, int, bool], list[tuple[float, float]]] = {}
    for key, timings in measured["pages"].items():
        path, days, name = key.split("|")
        grouped.setdefault((path, int(days), name in PRODUCT_FILTERS), []).extend(timings)
    for (path, days, product), timings in sorted(grouped.items()):
        page = "overview" if path == "/" else path.strip("/")
        kind = "product_filter" if product else "no_or_store_filter"
        queries = [t[0] for t in timings]
        name = f"{prefix}_{label}_{page}_{days}d_{kind}_queries"
        figures[f"{name}_p50"] = {"value": _ms(statistics.median(queries)), "unit": "ms"}
        figures[f"{name}_p95"] = {"value": _ms(_p95(queries)), "unit": "ms"}
        both = grouped.get((path, days, not product), []) + timings
        figures[f"{prefix}_{label}_{page}_{days}d_callbacks_p95"] = {"value": _ms(_p95([t[1] for t in both])),
                                                                      "unit": "ms (whole callbacks, all filters)"}
    return figures


def _load_tail(prefix: str, visits: list[Visit]) -> dict[str, dict]:
    """The load test's page response per page (and per product filter or not): p50/p95 and how many loads, so a tail
    names the pages it comes from."""
    grouped: dict[str, list[float]] = {}
    for path, _, name, seconds in visits:
        page = "overview" if path == "/" else path.strip("/")
        kind = "product_filter" if name in PRODUCT_FILTERS else "no_or_store_filter"
        grouped.setdefault(f"{page}_{kind}", []).append(seconds)
    figures: dict[str, dict] = {}
    for group, values in sorted(grouped.items()):
        unit = f"ms ({len(values)} page loads)"
        figures[f"{prefix}_load_test_{group}_p50"] = {"value": _ms(statistics.median(values)), "unit": unit}
        figures[f"{prefix}_load_test_{group}_p95"] = {"value": _ms(_p95(values)), "unit": unit}
    return figures


def _worst(measured: dict[str, Any], days: int, filtered: bool | None = None) -> float:
    """The worst page's query p95 at `days` (all filters, or only with / without a product filter)."""
    worst = 0.0
    pages: dict[str, list[float]] = {}
    for key, timings in measured["pages"].items():
        path, range_days, name = key.split("|")
        if int(range_days) != days or (filtered is not None and (name in PRODUCT_FILTERS) != filtered):
            continue
        pages.setdefault(path, []).extend(t[0] for t in timings)
    for values in pages.values():
        worst = max(worst, _p95(values))
    return worst


def run(spec: LakeSpec = BENCHMARK_LAKE, prefix: str = "dashboard", baseline: bool = True,
        memory_limit: str = "") -> dict[str, dict]:
    """The figures on `spec`'s lake; `memory_limit`: DuckDB's in the serving processes measured and load-tested
    (DASH_DUCKDB_MEMORY_LIMIT; default: the dashboard's); `baseline`: also measure a process holding every table
    itself."""
    load_average = os.getloadavg()[0]
    with _linked_copy(cached_lake(spec)) as root:
        build = _build_base(root, spec)
        settings = {"DASH_DUCKDB_MEMORY_LIMIT": memory_limit} if memory_limit else {}
        serving = _child(root, spec, "serving", settings)
        memory = _child(root, spec, "memory", {}) if baseline else None
        load = _load_test(root, spec, sorted({key.split("|")[0] for key in serving["pages"]}), settings)
    lines = _lake_lines(spec)
    results: dict[str, dict] = {
        f"{prefix}_lake_lines": {"value": lines, "unit": "lines"},
        f"{prefix}_load_average_at_start": {"value": round(load_average, 2), "unit": "runnable tasks (2 cores)"},
        f"{prefix}_base_full_build": {"value": round(build["seconds"], 1), "unit": "s (one process, for all)"},
        f"{prefix}_base_build_peak_memory": {"value": round(build["peak_mib"]), "unit": "MiB (the build process)"},
        f"{prefix}_base_file": {"value": round(build["file_mib"]), "unit": "MiB (shared by every process)"},
        f"{prefix}_base_incremental_build": {"value": round(serving["incremental_base_build_s"], 1),
                                             "unit": f"s ({serving['incremental_days_computed']} day computed, "
                                                     f"{serving['incremental_days_copied']} copied)"},
        f"{prefix}_base_switch": {"value": round(serving["base_switch_s"], 2), "unit": "s (new base to served)"},
        f"{prefix}_first_page_after_start": {"value": round(serving["first_page_s"], 2),
                                             "unit": "s (Lake created → Sales page served, imports apart)"},
        f"{prefix}_process_imports": {"value": round(serving["imports_s"], 2), "unit": "s"},
        f"{prefix}_process_memory": {"value": round(serving["resident_mib"]),
                                     "unit": "MiB resident after every page (peak "
                                             f"{round(serving['peak_resident_mib'])})"},
        f"{prefix}_freshness": {"value": round(serving["freshness_s"], 2),
                                "unit": "s (day re-published → KPIs show it)"},
        f"{prefix}_worst_page_365d_queries_p95": {"value": _ms(_worst(serving, 365)), "unit": "ms"},
        f"{prefix}_worst_page_365d_unfiltered_or_store_queries_p95": {"value": _ms(_worst(serving, 365, False)),
                                                                       "unit": "ms"},
        f"{prefix}_worst_page_365d_product_filter_queries_p95": {"value": _ms(_worst(serving, 365, True)),
                                                                  "unit": "ms"},
        f"{prefix}_kpis_365d_naive_over_serving": {
            "value": round(serving["kpis_365_naive_parquet_s"] / serving["kpis_365_serving_s"], 1),
            "unit": f"x (naive Parquet {_ms(serving['kpis_365_naive_parquet_s'])} ms, serving "
                    f"{_ms(serving['kpis_365_serving_s'])} ms)"},
        f"{prefix}_load_test_page_p50": {"value": _ms(load["p50"]), "unit": "ms"},
        f"{prefix}_load_test_page_p95": {"value": _ms(load["p95"]), "unit": f"ms ({USERS} users, {load['pages']} "
                                                                          f"pages in {round(load['seconds'])} s)"},
        f"{prefix}_load_test_errors": {"value": len(load["errors"]), "unit": "errors"},
        f"{prefix}_load_test_worker_memory": {"value": round(max(load["workers_mib"], default=0)),
                                              "unit": "MiB resident, largest gunicorn worker after the test"},
        **_page_figures(prefix, serving, "serving"),
        **_load_tail(prefix, load["visits"]),
    }
    if load["errors"]:
        logger.warning("load test errors", extra={"errors": load["errors"][:10]})
    if memory is not None:
        results |= {
            f"{prefix}_in_memory_baseline_first_page_after_start": {"value": round(memory["first_page_s"], 2),
                                                                    "unit": "s"},
            f"{prefix}_in_memory_baseline_process_memory": {"value": round(memory["resident_mib"]), "unit": "MiB"},
            f"{prefix}_start_in_memory_over_serving": {
                "value": round(memory["first_page_s"] / serving["first_page_s"], 1), "unit": "x"},
            f"{prefix}_memory_in_memory_over_serving": {
                "value": round(memory["resident_mib"] / serving["resident_mib"], 1), "unit": "x"},
            f"{prefix}_worst_page_365d_in_memory_over_serving": {
                "value": round(_worst(memory, 365) / _worst(serving, 365), 2), "unit": "x (query p95)"},
            **_page_figures(prefix, memory, "in_memory_baseline"),
        }
    return results


def _lake_lines(spec: LakeSpec) -> int:
    """The generated lake's lines (the generator records them as its last run's rows)."""
    from etl.status import read_status

    success = read_status(cached_lake(spec)).get("datasets", {}).get(DATASET, {}).get("last_success") or {}
    return int(success.get("rows_out", 0))


def main(argv: list[str]) -> int:
    if argv[:1] == ["child"]:
        root, mode, end = argv[1:4]
        print(json.dumps(_measure_process(Path(root), mode, date.fromisoformat(end))))
        return 0
    if argv[:1] == ["scale"]:  # `make bench-scale`: the 100M-line lake, its figures merged into results.json
        from benchmarks.__main__ import RESULTS

        logging.basicConfig(level=logging.INFO)
        results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        results |= run(SCALE_LAKE, prefix="dashboard_100m", baseline=False, memory_limit=SCALE_MEMORY_LIMIT)
        RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
        print(json.dumps(results, indent=2, sort_keys=True))
        return 0
    print("usage: python -m benchmarks.bench_dashboard_queries child ROOT MODE END | scale", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))


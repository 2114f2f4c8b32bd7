"""Every dataset of etl.datasets.DATASETS (new ones are picked up automatically) from a real Odoo 17 into a temporary
lake, all 30 business days, each day reconciled with the dataset's own `reconcile` (DESIGN §6). Per-day figures go
to the "real Odoo figures" summary: the checks (Odoo / lake), rows extracted, fact rows, quarantined rows."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from etl import io_parquet
from etl.catalog import CATALOG, LAKE_SOURCE
from etl.datasets import DATASETS
from etl.pipelines.runs import run_days
from etl.published import read_published
from etl.reconcile import DayReconciliation
from tests.real_odoo.conftest import REAL_DAYS, RealOdoo

pytestmark = [pytest.mark.real_odoo, pytest.mark.timeout(3600)]


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _quarantine_reasons(lake: Path, dataset: str, day) -> dict[str, int]:
    frame = read_published(lake, io_parquet.QUARANTINE, dataset, day)
    if frame is None or frame.height == 0:
        return {}
    return dict(Counter(f"{model}: {reason}" for model, reason in frame.select("model", "reason").iter_rows()))


@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_dataset_days_reconcile_with_real_odoo(dataset: str, real_odoo: RealOdoo, tmp_path: Path,
                                               real_report: list[str]) -> None:
    spec = DATASETS[dataset]
    settings = real_odoo.settings(tmp_path)
    client = real_odoo.client(tmp_path)
    # a dataset built from the lake (profit) needs the Odoo datasets published first, in the same lake
    if spec.info.source == LAKE_SOURCE:
        run_days([name for name, info in CATALOG.items() if info.source != LAKE_SOURCE], REAL_DAYS, settings, client)
    started = time.monotonic()
    outcome = run_days([dataset], REAL_DAYS, settings, client)
    load_seconds = time.monotonic() - started
    summaries = {summary["day"]: summary for summary in outcome.done}

    real_report.append(f"{dataset} ({spec.info.title}) from real Odoo {real_odoo.version}: "
                       f"day: checks odoo/lake | raw rows | fact rows | quarantined | ok")
    totals: Counter = Counter()
    check_totals: dict[str, list[float]] = {}
    problems: list[str] = []
    for day in REAL_DAYS:
        key = day.isoformat()
        summary = summaries.get(key)
        if summary is None:
            problems.append(f"{key} failed to load: {outcome.failed.get(f'{dataset} {key}')}")
            real_report.append(f"  {key}: FAILED TO LOAD {outcome.failed.get(f'{dataset} {key}')}")
            continue
        totals.update(loaded=1)
        try:
            check: DayReconciliation = spec.reconcile(client, tmp_path, day, settings.business_timezone)
        except Exception as exc:  # noqa: BLE001 - reported per day
            problems.append(f"{key} reconcile raised {type(exc).__name__}: {exc}")
            real_report.append(f"  {key}: RECONCILE RAISED {type(exc).__name__}: {exc}")
            continue
        quarantined = summary.get("quarantined", 0)
        raw, facts = summary.get("rows_in", 0), sum(summary.get("rows_out", {}).values())
        for item in check.checks:
            sums = check_totals.setdefault(item.name, [0.0, 0.0])
            sums[0] += item.odoo
            sums[1] += item.lake
        figures = " ".join(f"{item.name} {_number(item.odoo)}/{_number(item.lake)}" for item in check.checks)
        real_report.append(f"  {key}: {figures} | {raw} | {facts} | {quarantined} | {'yes' if check.ok else 'NO'}")
        totals.update(raw=raw, facts=facts, quarantined=quarantined, ok=int(check.ok))
        if not check.ok:
            problems.append(f"{key} does not reconcile: {check.differences()}")
        if quarantined:
            reasons = _quarantine_reasons(tmp_path, dataset, day)
            real_report.append(f"      quarantined: {reasons}")
    figures = " ".join(f"{name} {_number(o)}/{_number(lk)}" for name, (o, lk) in check_totals.items())
    real_report.append(f"  total: {totals['loaded']}/{len(REAL_DAYS)} days loaded in {load_seconds:.0f} s, "
                       f"{totals['ok']} reconcile; {figures} | raw {totals['raw']} | facts {totals['facts']} | "
                       f"quarantined {totals['quarantined']}")
    assert not problems, f"{dataset}: " + "\n".join(problems)

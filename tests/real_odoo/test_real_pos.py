"""POS sales from a real Odoo 17 into a temporary lake, all 30 business days, reconciled per day (DESIGN §6:
revenue within 1 per order, order and line counts exact). Real data comes from Odoo's own business methods, so a
quarantined row means the cleaner (or the demo it was written against) is wrong: the test fails on it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import polars as pl
import pytest

from etl import io_parquet
from etl.pipelines.runs import RangeOutcome, run_days
from etl.published import read_published
from etl.reconcile import DayReconciliation
from etl.reconcile.pos_order_lines import reconcile_pos_day
from tests.real_odoo.conftest import REAL_DAYS, RealOdoo
from tests.support.lake import fact

pytestmark = [pytest.mark.real_odoo, pytest.mark.timeout(1800)]

DATASET = "pos_order_lines"


class Loaded:
    def __init__(self, real: RealOdoo, lake: Path) -> None:
        self.real, self.lake = real, lake
        self.settings = real.settings(lake)
        self.client = real.client(lake)
        self.outcome: RangeOutcome = run_days([DATASET], REAL_DAYS, self.settings, self.client)
        self.summaries = {s["day"]: s for s in self.outcome.done}
        self.checks: dict[str, DayReconciliation] = {
            day.isoformat(): reconcile_pos_day(self.client, lake, day, self.settings.business_timezone)
            for day in REAL_DAYS}


@pytest.fixture(scope="module")
def loaded(real_odoo: RealOdoo, tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    return Loaded(real_odoo, tmp_path_factory.mktemp("real_pos_lake"))


def _quarantine_reasons(lake: Path, day: str) -> Counter:
    from datetime import date

    frame = read_published(lake, io_parquet.QUARANTINE, DATASET, date.fromisoformat(day))
    if frame is None or frame.height == 0:
        return Counter()
    return Counter(f"{model}: {reason}" for model, reason in frame.select("model", "reason").iter_rows())


def test_every_pos_day_loads_and_reconciles(loaded: Loaded, real_report: list[str]) -> None:
    header = f"{'day':<10} {'orders':>6} {'lines':>6} {'revenue (Odoo)':>16} {'revenue (lake)':>16} " \
             f"{'quar.':>5} {'raw rows':>8} {'fact rows':>9} ok"
    real_report += [f"POS sales (pos_order_lines) from real Odoo {loaded.real.version} at {loaded.real.url}", header]
    totals = Counter()
    problems: list[str] = []
    for day in REAL_DAYS:
        key = day.isoformat()
        check, summary = loaded.checks[key], loaded.summaries.get(key, {})
        quarantined = summary.get("quarantined", 0)
        raw, facts = summary.get("rows_in", 0), sum(summary.get("rows_out", {}).values())
        orders, lines, revenue = check.check("orders"), check.check("lines"), check.check("revenue")
        real_report.append(f"{key:<10} {orders.odoo:>6.0f} {lines.odoo:>6.0f} {revenue.odoo:>16,.2f} "
                           f"{revenue.lake:>16,.2f} {quarantined:>5} {raw:>8} {facts:>9} "
                           f"{'yes' if check.ok else 'NO'}")
        totals.update(orders=orders.odoo, lines=lines.odoo, revenue_odoo=revenue.odoo, revenue_lake=revenue.lake,
                      quarantined=quarantined, raw=raw, facts=facts, ok=int(check.ok))
        if not check.ok:
            problems.append(f"{key} does not reconcile: {check.differences()}")
        if quarantined:
            problems.append(f"{key} quarantined {quarantined} rows: {dict(_quarantine_reasons(loaded.lake, key))}")
    real_report.append(f"{'total':<10} {totals['orders']:>6.0f} {totals['lines']:>6.0f} "
                       f"{totals['revenue_odoo']:>16,.2f} {totals['revenue_lake']:>16,.2f} "
                       f"{totals['quarantined']:>5} {totals['raw']:>8} {totals['facts']:>9} "
                       f"{totals['ok']}/{len(REAL_DAYS)} days reconcile")
    assert loaded.outcome.failed == {}, loaded.outcome.failed
    assert not problems, "\n".join(problems)
    assert totals["orders"] > 0


def test_real_refunds_invoices_and_change_reach_the_lake(loaded: Loaded) -> None:
    """What real Odoo 17 does that the cleaner must accept: refund orders (negative qty, positive price_unit,
    refunded_orderline_id), POS-invoiced orders (state 'invoiced') and cash change (a negative is_change payment)."""
    client = loaded.client
    sales = pl.concat([fact(loaded.lake, "fact_sales", day) for day in REAL_DAYS])
    payments = pl.concat([fact(loaded.lake, "fact_payments", day) for day in REAL_DAYS])

    refunds = sales.filter(pl.col("is_refund"))
    assert refunds.height > 0
    assert (refunds["quantity"] < 0).all() and (refunds["revenue"] <= 0).all() and (refunds["price_unit"] >= 0).all()
    assert refunds["refunded_line_id"].is_not_null().all()

    invoiced = client.search_read_all("pos.order", [("state", "=", "invoiced")], ["account_move", "amount_total"])
    assert invoiced and all(order["account_move"] for order in invoiced)
    assert {order["id"] for order in invoiced} <= set(sales["order_id"].to_list())

    change = client.search_read_all("pos.payment", [("is_change", "=", True)], ["amount", "pos_order_id"])
    assert change and all(payment["amount"] < 0 for payment in change)
    kept = set(payments["payment_id"].to_list())
    in_window = [p for p in change if p["id"] in kept]
    assert in_window, "change payments should reach fact_payments"

    per_order = payments.group_by("order_id").agg(pl.sum("amount")).join(
        sales.group_by("order_id").agg(pl.sum("revenue")), on="order_id")
    assert per_order.filter((pl.col("amount") - pl.col("revenue")).abs() > 1.0).height == 0

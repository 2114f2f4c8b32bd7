"""Profit over the demo days: POS, invoices and purchases loaded from the demo Odoo 17, then profit built from the
lake alone (no Odoo client), checked against its independent recomputation; the operator commands without Odoo.
"""

from __future__ import annotations

import math
import subprocess
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from etl.day_manifest import read_manifest
from etl.extract.profit import COST_BOOKS, days_with_newer_inputs
from etl.pipelines.runs import nightly_days, run_days
from etl.reconcile.profit import reconcile_profit_day
from tests.conftest import DemoOdoo
from tests.support.demo_days import demo_days, fast_client
from tests.support.lake import fact
from tests.support.processes import PROJECT_ROOT, PYTHON, isolated_env

DATASET = "profit"
INPUTS = ["pos", "invoice_sales", "purchases"]
FIGURES = ("revenue_excl_tax", "cogs", "gross_profit")


@pytest.fixture(scope="module")
def loaded(demo_odoo17: DemoOdoo, tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoOdoo, Path]:
    """A lake with the demo days' inputs and their profit (built in this process without an Odoo client)."""
    lake = tmp_path_factory.mktemp("profit_lake")
    settings = demo_odoo17.settings(lake)
    days = demo_days(settings)
    run_days(INPUTS, days, settings, fast_client(settings)).raise_if_failed()
    COST_BOOKS.clear()
    run_days([DATASET], days, settings, None).raise_if_failed()
    return demo_odoo17, lake


def test_profit_days_reconcile_and_keep_their_invariants(loaded: tuple[DemoOdoo, Path]) -> None:
    demo, lake = loaded
    settings = demo.settings(lake)
    coverage_revenue = revenue = 0.0
    sources: set[str] = set()
    for day in demo_days(settings):
        check = reconcile_profit_day(None, lake, day, settings.business_timezone)
        assert check.ok, (day, check.differences())
        lines = fact(lake, "fact_sales_lines_profit", day)
        assert lines.height == fact(lake, "fact_sales", day).height + fact(lake, "fact_invoice_sales", day).height
        costed = lines.filter(pl.col("cogs").is_not_null())
        assert (costed["gross_profit"] == costed["revenue_excl_tax"] - costed["cogs"]).all()
        assert (costed["cogs"] == costed["unit_cost"] * costed["quantity"]).all()
        refunds = costed.filter(pl.col("quantity") < 0)
        assert (refunds["cogs"] < 0).all(), "a refund reverses its cost"
        for agg in ("agg_profit_daily", "agg_profit_daily_by_product"):
            sums = fact(lake, agg, day)
            for column in FIGURES:
                assert math.isclose(sums[column].sum(), lines[column].sum(), rel_tol=1e-12, abs_tol=1e-6), (agg, column)
        revenue += lines["revenue_excl_tax"].sum()
        coverage_revenue += costed["revenue_excl_tax"].sum()
        sources |= set(lines["cost_source"].to_list())
    assert coverage_revenue > 0 and revenue > 0
    assert "purchase" in sources, "the demo's vendor bills should cost some sales"


def test_a_bonus_line_never_becomes_a_cost(loaded: tuple[DemoOdoo, Path]) -> None:
    demo, lake = loaded
    days = demo_days(demo.settings(lake))
    purchases = pl.concat([fact(lake, "fact_purchases", day) for day in days])
    events = pl.concat([fact(lake, "fact_product_cost_events", day) for day in days])
    bonus = purchases.filter("is_bonus")
    assert bonus.height > 0, "the demo has free goods"
    assert not set(bonus["line_id"].to_list()) & set(events["line_id"].to_list())
    bills = purchases.filter(~pl.col("is_bonus") & (pl.col("move_type") == "in_invoice"))
    assert sorted(events["line_id"].to_list()) == sorted(bills["line_id"].to_list())
    assert (events["unit_cost_excl_tax"] > 0).all()
    # The demo lists a free line right after the paid one of the same product: had it been an event, its higher line
    # id would have set that product's cost for the day.
    paid = events.join(bonus.select("product_id", pl.col("date").alias("effective_date")),
                       on=["product_id", "effective_date"])
    for row in paid.iter_rows(named=True):
        sold = fact(lake, "fact_sales_lines_profit", row["effective_date"]).filter(
            pl.col("product_id") == row["product_id"])
        assert (sold["cost_source"] == "purchase").all() and (sold["unit_cost"] > 0).all()


def test_costs_carried_between_days_equal_costs_read_afresh(loaded: tuple[DemoOdoo, Path]) -> None:
    demo, lake = loaded
    last = demo_days(demo.settings(lake))[-1]
    carried, carried_versions = COST_BOOKS.before(lake, last)  # folded day by day while the days ran
    COST_BOOKS.clear()
    afresh, versions = COST_BOOKS.before(lake, last)
    assert afresh.sort("product_id").equals(carried.sort("product_id")) and versions == carried_versions
    assert carried["product_id"].is_unique().all() and carried.height > 0


def test_republished_inputs_make_later_profit_days_stale(loaded: tuple[DemoOdoo, Path]) -> None:
    demo, lake = loaded
    settings = demo.settings(lake)
    days = demo_days(settings)
    assert days_with_newer_inputs(lake, days) == []
    run_days(["purchases"], [days[3]], settings, fast_client(settings), refresh_first=False).raise_if_failed()
    assert days_with_newer_inputs(lake, days) == days[3:], "a purchase day sets the costs of every later day"
    assert nightly_days(DATASET, days[-1], settings, None) == days[3:], "the nightly run rebuilds them"
    run_days([DATASET], days[3:], settings, None).raise_if_failed()
    assert days_with_newer_inputs(lake, days) == []
    assert reconcile_profit_day(None, lake, days[3], settings.business_timezone).ok


def test_a_day_without_its_inputs_fails_and_publishes_nothing(loaded: tuple[DemoOdoo, Path]) -> None:
    demo, lake = loaded
    settings = demo.settings(lake)
    before = demo_days(settings)[0] - timedelta(days=1)
    outcome = run_days([DATASET], [before], settings, None)
    assert "InputsNotPublished" in outcome.failed[f"{DATASET} {before.isoformat()}"]
    assert "pos_order_lines (fact_sales)" in outcome.failed[f"{DATASET} {before.isoformat()}"]
    assert read_manifest(lake, DATASET, before) is None


def test_operator_commands_need_no_odoo(loaded: tuple[DemoOdoo, Path]) -> None:
    demo, lake = loaded
    env = isolated_env(DATA_LAKE_ROOT=str(lake), REDIS_URL="redis://127.0.0.1:6379/13")  # no ODOO_* at all
    days = demo_days(demo.settings(lake))
    span = ("--start-date", days[0].isoformat(), "--end-date", days[-1].isoformat())

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([PYTHON, "-m", *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                              timeout=180)

    built = run("scripts.run_profit_etl", *span)
    assert built.returncode == 0, built.stderr
    assert f"done: {len(days)} day(s) loaded, 0 failed" in built.stderr and "no Odoo calls" in built.stderr
    valid = run("scripts.validate_profit_etl", *span)
    assert valid.returncode == 0 and valid.stdout.count("  ok") == len(days), valid.stdout + valid.stderr
    assert "pos_gross_profit" in valid.stdout
    monitor = run("scripts.monitor_profit_performance", "--days", str(len(days)), "--verbose")
    assert monitor.returncode == 0, monitor.stdout + monitor.stderr
    assert monitor.stdout.count("coverage") >= len(days) and "lines_cost_purchase" in monitor.stdout
    assert run("scripts.monitor_profit_performance", "--days", "0").returncode == 2

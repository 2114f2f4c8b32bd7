"""Purchases from a (demo) Odoo over the real odoorpc client into the lake, for Odoo 16, 17 and 18.

Every demo day reconciles with Odoo's own vendor bills (etl/reconcile/purchases.py: totals, lines, quantities in
product UoM, bonus lines and a sample of unit costs); free goods are flagged; lines bought by the dozen become product
units; a bill posted late for an earlier day sends that day back to the nightly run.
"""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from etl.pipelines.runs import nightly_days, run_days
from etl.reconcile.purchases import reconcile_purchases_day
from etl.status import read_status
from odoorpc_connector import OdooClient
from tests.conftest import DemoOdoo
from tests.support.demo_days import demo_days, fast_client
from tests.support.lake import fact
from tests.support.processes import PROJECT_ROOT, PYTHON, isolated_env
from tests.support.reconciled import load_reconciled_days

DATASET = "purchases"


def dozen_uom(client: OdooClient) -> int:
    return client.call("uom.uom", "search", [[("name", "=", "Dozens")]])[0]


def lake_days(lake: Path, days: list[date]) -> pl.DataFrame:
    return pl.concat([fact(lake, "fact_purchases", day) for day in days])


def test_purchase_days_reconcile_with_odoo(demo_odoo: DemoOdoo, tmp_path: Path) -> None:
    loaded = load_reconciled_days(demo_odoo.settings(tmp_path), tmp_path, DATASET, reconcile_purchases_day)
    client, days = loaded.client, loaded.days
    lake = lake_days(tmp_path, days)
    assert lake.height > 0 and lake["line_id"].is_unique().all()
    assert read_status(tmp_path)["datasets"][DATASET]["last_processed_date"] == days[-1].isoformat()

    bonus = lake.filter("is_bonus")
    assert bonus.height > 0, "the demo's free goods should reach the lake flagged"
    assert bonus["unit_cost_excl_tax"].is_null().all() and (bonus["amount_excl_tax"] == 0).all()
    costed = lake.filter(~pl.col("is_bonus"))
    assert (costed["unit_cost_excl_tax"] > 0).all()
    refunds = lake.filter(pl.col("move_type") == "in_refund")
    assert refunds.height > 0 and (refunds["quantity"] < 0).all() and (refunds["amount_excl_tax"] < 0).all()

    # Bought by the dozen: 12 product units per Odoo quantity, at a twelfth of the (discounted) dozen price.
    by_line = {row["line_id"]: row for row in lake.iter_rows(named=True)}
    dozens = client.search_read_all("account.move.line", [("id", "in", list(by_line)),
                                                          ("product_uom_id", "=", dozen_uom(client))],
                                    ["quantity", "price_unit", "discount"])
    assert dozens, "the demo buys some products by the dozen"
    for line in dozens:
        row = by_line[line["id"]]
        assert abs(row["quantity"]) == 12 * line["quantity"]
        if not row["is_bonus"]:
            expected = line["price_unit"] * (1 - line["discount"] / 100) / 12
            assert abs(row["unit_cost_excl_tax"] - expected) < 1e-6 * expected


def late_bill(client: OdooClient, day: date) -> dict[str, Any]:
    """A vendor bill dated `day`: 2 dozens at 120 and 1 free dozen, amounts as Odoo would have computed them."""
    vendor = client.search_read_all("account.move", [("move_type", "=", "in_invoice")], ["partner_id"])[0]
    units = client.call("uom.uom", "search", [[("name", "=", "Units")]])[0]
    product = client.call("product.product", "search", [[("uom_id", "=", units)]], {"limit": 1})[0]

    def product_line(quantity: float, price: float) -> tuple:
        amount = quantity * price
        return (0, 0, {"display_type": "product", "product_id": product, "product_uom_id": dozen_uom(client),
                       "quantity": quantity, "price_unit": price, "price_subtotal": amount, "price_total": amount,
                       "balance": amount, "amount_currency": amount, "tax_ids": []})

    return {"move_type": "in_invoice", "partner_id": vendor["partner_id"][0], "invoice_date": day.isoformat(),
            "amount_untaxed": 240.0, "amount_total": 240.0, "amount_untaxed_signed": -240.0,
            "amount_total_signed": -240.0,
            "line_ids": [product_line(2.0, 120.0), product_line(1.0, 0.0),
                         (0, 0, {"display_type": "payment_term", "balance": -240.0, "amount_currency": -240.0})]}


def test_a_bill_posted_late_for_an_earlier_day_sends_that_day_back(demo_odoo17: DemoOdoo, tmp_path: Path) -> None:
    settings = demo_odoo17.settings(tmp_path)
    client = fast_client(settings)
    days = demo_days(settings)
    run_days([DATASET], days, settings, client, refresh_first=False).raise_if_failed()
    target, earlier = days[-1], days[2]
    assert nightly_days(DATASET, target, settings, client) == [target]

    move_id = client.call("account.move", "create", [late_bill(client, earlier)])
    assert nightly_days(DATASET, target, settings, client) == [target], "a draft bill is not a purchase yet"
    client.call("account.move", "action_post", [[move_id]])
    assert nightly_days(DATASET, target, settings, client) == [earlier, target]

    run_days([DATASET], [earlier], settings, client, refresh_first=False).raise_if_failed()
    assert reconcile_purchases_day(client, tmp_path, earlier, settings.business_timezone).ok
    rows = fact(tmp_path, "fact_purchases", earlier).filter(pl.col("move_id") == move_id).sort("line_id")
    assert rows["quantity"].to_list() == [24.0, 12.0] and rows["is_bonus"].to_list() == [False, True]
    assert rows["unit_cost_excl_tax"].to_list() == [10.0, None] and rows["amount_excl_tax"].sum() == 240.0
    assert nightly_days(DATASET, target, settings, client) == [target]


def test_rpc_calls_grow_with_pages_not_bills(demo_odoo17: DemoOdoo, tmp_path: Path) -> None:
    settings = demo_odoo17.settings(tmp_path, ODOO_PAGE_SIZE="10")
    days = demo_days(settings)
    run_days([DATASET], days, settings, fast_client(settings), refresh_first=False).raise_if_failed()
    busiest = max(days, key=lambda day: fact(tmp_path, "fact_purchases", day).height)
    rows = fact(tmp_path, "fact_purchases", busiest)
    client = fast_client(settings)
    run_days([DATASET], [busiest], settings, client, refresh_first=False).raise_if_failed()
    assert rows.height > 10
    assert client.stats.by_method["account.move.line.search_read"] == rows.height // 10 + 1
    assert client.stats.by_method["account.move.search_read"] == rows["move_id"].n_unique() // 10 + 1
    assert client.stats.by_method["product.product.search_read"] == rows["product_id"].n_unique() // 10 + 1


def test_operator_force_refresh_then_validate(demo_odoo17: DemoOdoo, tmp_path: Path) -> None:
    env = isolated_env(**demo_odoo17.env(tmp_path))
    days = demo_days(demo_odoo17.settings(tmp_path))
    span = ("--start", days[0].isoformat(), "--end", days[1].isoformat())

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([PYTHON, "-m", *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                              timeout=180)

    loaded = run("scripts.force_refresh_purchase_data", *span, "--no-dimensions")
    assert loaded.returncode == 0 and "done: 2 day(s) loaded, 0 failed" in loaded.stderr, loaded.stderr
    valid = run("scripts.validate_purchases", *span)
    assert valid.returncode == 0 and valid.stdout.count("  ok") == 2, valid.stdout + valid.stderr
    assert "unit_costs_sampled" in valid.stdout

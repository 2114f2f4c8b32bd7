"""Invoice sales from a (demo) Odoo over the real odoorpc client into the lake, for Odoo 16, 17 and 18.

Reconciliation follows DESIGN §6: per business day, Σ fact_invoice_sales.revenue equals Σ amount_total_signed of the
day's posted customer invoices and credit notes not created from POS orders, with exact invoice and line counts.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from etl.pipelines.runs import nightly_days, run_days
from etl.reconcile.invoice_sales import reconcile_invoice_sales_day
from odoorpc_connector import OdooClient
from tests.conftest import DemoOdoo
from tests.support.demo_days import demo_days, fast_client
from tests.support.lake import fact
from tests.support.reconciled import load_reconciled_days

DATASET = "invoice_sales"
FACT = "fact_invoice_sales"


def customer_invoices(client: OdooClient, days: list[date], *extra: tuple) -> list[dict]:
    domain = [("move_type", "in", ["out_invoice", "out_refund"]), ("state", "=", "posted"),
              ("invoice_date", ">=", days[0].isoformat()), ("invoice_date", "<=", days[-1].isoformat()), *extra]
    return client.search_read_all("account.move", domain, ["invoice_date", "currency_id", "company_id",
                                                           "amount_total_signed"])


def test_invoice_days_reconcile_with_odoo(demo_odoo: DemoOdoo, tmp_path: Path) -> None:
    loaded = load_reconciled_days(demo_odoo.settings(tmp_path), tmp_path, "invoices", reconcile_invoice_sales_day)
    client, days, outcome = loaded.client, loaded.days, loaded.outcome
    sales = pl.concat([fact(tmp_path, FACT, day) for day in days])
    assert sales.height > 0 and sales["line_id"].is_unique().all()
    refunds = sales.filter(pl.col("move_type") == "out_refund")
    assert refunds.height > 0
    assert (refunds["revenue"] < 0).all() and (refunds["quantity"] < 0).all() and (refunds["tax_amount"] <= 0).all()
    invoices = sales.filter(pl.col("move_type") == "out_invoice")
    assert (invoices["revenue"] > 0).all() and (invoices["quantity"] > 0).all()

    from_pos = {move["id"] for move in customer_invoices(client, days, ("pos_order_ids", "!=", False))}
    assert from_pos, "the demo's POS-invoiced orders should be in the range"
    assert from_pos.isdisjoint(sales["move_id"].to_list())
    metrics = [summary["metrics"] for summary in outcome.done]
    assert sum(m["moves_from_pos"] for m in metrics) == len(from_pos)
    assert sum(m["moves_quarantined"] for m in metrics) == 0

    company_currency = customer_invoices(client, days[:1])[0]["currency_id"][0]
    foreign = [move for move in customer_invoices(client, days) if move["currency_id"][0] != company_currency]
    assert foreign, "the demo's foreign-currency invoices should be in the range"
    assert sum(m["lines_other_currency"] for m in metrics) > 0


def unit(client: OdooClient, name: str) -> int:
    return client.call("uom.uom", "search", [[("name", "=", name)]])[0]


def credit_note(client: OdooClient, day: date, partner: int) -> int:
    """A posted credit note dated `day` for one dozen of a product sold by the unit (100 000 + 11 % tax), written as
    Odoo stores it."""
    product = client.call("product.product", "search", [[("uom_id", "=", unit(client, "Units"))]], {"limit": 1})[0]
    lines = [
        {"display_type": "product", "product_id": product, "product_uom_id": unit(client, "Dozens"), "quantity": 1.0,
         "price_unit": 100_000.0, "price_subtotal": 100_000.0, "price_total": 111_000.0, "balance": 100_000.0,
         "amount_currency": 100_000.0},
        {"display_type": "tax", "name": "PPN 11%", "balance": 11_000.0, "amount_currency": 11_000.0},
        {"display_type": "payment_term", "name": "", "balance": -111_000.0, "amount_currency": -111_000.0},
    ]
    move = client.call("account.move", "create", [{
        "move_type": "out_refund", "partner_id": partner, "invoice_date": day.isoformat(), "date": day.isoformat(),
        "amount_untaxed": 100_000.0, "amount_tax": 11_000.0, "amount_total": 111_000.0,
        "amount_untaxed_signed": -100_000.0, "amount_total_signed": -111_000.0,
        "line_ids": [(0, 0, line) for line in lines]}])
    client.call("account.move", "action_post", [[move]])
    return move


def test_late_credit_notes_and_resets_move_their_days_fingerprint(demo_odoo17: DemoOdoo, tmp_path: Path) -> None:
    settings = demo_odoo17.settings(tmp_path)
    client = fast_client(settings)
    days = demo_days(settings)
    run_days([DATASET], days, settings, client).raise_if_failed()
    target = days[-1]
    assert nightly_days(DATASET, target, settings, client) == [target]

    earlier, reset_day = [day for day in days[:-1] if fact(tmp_path, FACT, day).height][:2]
    sale = fact(tmp_path, FACT, earlier).row(0, named=True)
    refund = credit_note(client, earlier, sale["customer_id"])
    reset = fact(tmp_path, FACT, reset_day)["move_id"][0]
    client.call("account.move", "button_draft", [[reset]])
    assert nightly_days(DATASET, target, settings, client) == [earlier, reset_day, target]

    run_days([DATASET], [earlier, reset_day], settings, client, refresh_first=False).raise_if_failed()
    refund_rows = fact(tmp_path, FACT, earlier).filter(pl.col("move_id") == refund)
    assert refund_rows["revenue"].to_list() == [-111_000.0] and refund_rows["quantity"].to_list() == [-12.0]
    assert refund_rows["price_unit"].to_list() == [pytest.approx(100_000.0 / 12)]  # per product unit
    assert reset not in fact(tmp_path, FACT, reset_day)["move_id"].to_list()
    for day in (earlier, reset_day):
        assert reconcile_invoice_sales_day(client, tmp_path, day, settings.business_timezone).ok
    assert nightly_days(DATASET, target, settings, client) == [target]


def test_rpc_calls_grow_with_pages_not_invoices(demo_odoo17: DemoOdoo, tmp_path: Path) -> None:
    settings = demo_odoo17.settings(tmp_path, ODOO_PAGE_SIZE="10")
    client = fast_client(settings)
    days = demo_days(settings)
    outcome = run_days([DATASET], days, settings, client, refresh_first=False)
    outcome.raise_if_failed()
    records = sum(summary["rows_in"] for summary in outcome.done)  # invoices, lines, their products and units read
    assert records > 10 * len(days)
    chains = ("account.move", "account.move.line", "product.product", "uom.uom")
    calls = sum(client.stats.by_method.get(f"{model}.search_read", 0) for model in chains)
    assert client.stats.by_method["product.product.search_read"] > 0
    assert calls <= records // 10 + len(chains) * len(days)

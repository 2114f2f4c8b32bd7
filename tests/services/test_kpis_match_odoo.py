"""The dashboard's sales KPIs on demo data equal what Odoo says (DESIGN §6), read from Odoo here over RPC.

The demo's days of POS orders and customer invoices are loaded through the ETL into a lake; the KPIs the Sales and
Overview pages show (services.sales_metrics over the serving layer) are compared with sums over Odoo's own records:
pos.order / pos.order.line for the POS channel, posted non-POS account.move for invoices.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from etl.pipelines.runs import run_days
from odoorpc_connector import OdooClient
from services.duckdb_connector import Lake
from services.sales_metrics import SalesFilters, kpi_comparison
from tests.conftest import DemoOdoo
from tests.support.demo_days import demo_days, fast_client

POS_DONE = ["paid", "done", "invoiced"]


def _utc(day: date, zone: ZoneInfo) -> str:
    """Odoo's UTC text of the start of business day `day`."""
    start = datetime.combine(day, time.min, zone).astimezone(timezone.utc)
    return start.strftime("%Y-%m-%d %H:%M:%S")


def odoo_sales(client: OdooClient, days: list[date], zone: ZoneInfo) -> dict[str, float]:
    """Revenue, net sales, orders and refunds of `days` from Odoo's records, as docs/KPIS.md defines them."""
    orders = client.search_read_all("pos.order", [
        ("state", "in", POS_DONE), ("date_order", ">=", _utc(days[0], zone)),
        ("date_order", "<", _utc(days[-1] + timedelta(days=1), zone))], ["amount_total"])
    lines = client.search_read_all(
        "pos.order.line", [("order_id", "in", [order["id"] for order in orders])],
        ["order_id", "qty", "price_subtotal", "price_subtotal_incl", "refunded_orderline_id"])
    refund_line = [bool(line["refunded_orderline_id"]) or line["qty"] < 0 for line in lines]
    invoices = client.search_read_all("account.move", [
        ("move_type", "in", ["out_invoice", "out_refund"]), ("state", "=", "posted"),
        ("invoice_date", ">=", days[0].isoformat()), ("invoice_date", "<=", days[-1].isoformat()),
        ("pos_order_ids", "=", False)], ["move_type", "amount_total_signed", "amount_untaxed_signed"])
    return {
        "revenue": sum(order["amount_total"] for order in orders)
        + sum(move["amount_total_signed"] for move in invoices),
        "net_sales": sum(line["price_subtotal"] for line in lines)
        + sum(move["amount_untaxed_signed"] for move in invoices),
        "orders": len({line["order_id"][0] for line, refund in zip(lines, refund_line) if not refund})
        + sum(move["move_type"] == "out_invoice" for move in invoices),
        "refunds": sum(line["price_subtotal_incl"] for line, refund in zip(lines, refund_line) if refund)
        + sum(move["amount_total_signed"] for move in invoices if move["move_type"] == "out_refund"),
    }


def test_sales_kpis_equal_odoo(demo_odoo17: DemoOdoo, tmp_path: Path) -> None:
    settings = demo_odoo17.settings(tmp_path)
    client, days = fast_client(settings), demo_days(settings)
    outcome = run_days(["pos", "invoices"], days, settings, client)
    assert outcome.failed == {}
    expected = odoo_sales(client, days, settings.business_timezone)
    assert expected["orders"] > 0 and expected["refunds"] < 0
    lake = Lake(tmp_path, cache_ttl_seconds=0)
    try:
        kpis = kpi_comparison(lake, SalesFilters(days[0], days[-1]))
    finally:
        lake.close()
    assert kpis["orders"].value == expected["orders"]
    for name in ("revenue", "net_sales", "refunds"):  # Odoo rounds each order's total; the lines carry the rest
        assert kpis[name].value == pytest.approx(expected[name], abs=0.01 * expected["orders"]), name

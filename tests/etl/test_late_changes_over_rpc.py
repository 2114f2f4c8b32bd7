"""Late changes made in Odoo over RPC, as a shop makes them, reach their business day on the next nightly run,
whatever other runs succeeded in between (per-day change detection, DESIGN §4)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from etl.dates import ODOO_DATETIME_FORMAT
from etl.extract.pos_order_lines import pos_day_domains
from etl.pipelines.runs import nightly_days, run_days
from etl.reconcile.pos_order_lines import reconcile_pos_day
from tests.conftest import DemoOdoo
from tests.support.demo_days import demo_days, fast_client
from tests.support.lake import fact

DATASET = "pos_order_lines"


def refund_first_line(client, day, tz) -> int:
    """Create, for business day `day`, a refund order of the first line of that day's first sale order; its id."""
    order = client.search_read_all("pos.order", pos_day_domains(day, tz)["pos.order"],
                                   ["date_order", "session_id", "config_id", "company_id"])[0]
    line = client.call("pos.order.line", "search_read", [[("order_id", "=", order["id"])]],
                       {"fields": ["product_id", "qty", "price_unit", "price_subtotal", "price_subtotal_incl"],
                        "limit": 1})[0]
    method = client.call("pos.payment", "search_read", [[("pos_order_id", "=", order["id"])]],
                         {"fields": ["payment_method_id"], "limit": 1})[0]["payment_method_id"][0]
    when = (datetime.strptime(order["date_order"], ODOO_DATETIME_FORMAT) + timedelta(minutes=1))
    total = -line["price_subtotal_incl"]
    refund = client.call("pos.order", "create", [{
        "name": "LATE REFUND", "date_order": when.strftime(ODOO_DATETIME_FORMAT), "state": "paid",
        "session_id": order["session_id"][0], "config_id": order["config_id"][0],
        "company_id": order["company_id"][0], "amount_total": total, "amount_paid": total, "amount_tax": 0.0}])
    client.call("pos.order.line", "create", [{
        "order_id": refund, "product_id": line["product_id"][0], "qty": -line["qty"],
        "price_unit": line["price_unit"], "price_subtotal": -line["price_subtotal"],
        "price_subtotal_incl": total, "refunded_orderline_id": line["id"]}])
    client.call("pos.payment", "create", [{"pos_order_id": refund, "payment_method_id": method, "amount": total}])
    return refund


def test_a_late_refund_reaches_its_day_after_an_unrelated_successful_run(writable_demo17: DemoOdoo,
                                                                         tmp_path: Path) -> None:
    settings = writable_demo17.settings(tmp_path)
    client = fast_client(settings)
    days = demo_days(settings)
    refunded_day, other_day, target = days[-4], days[-3], days[-1]
    run_days([DATASET], [refunded_day, other_day], settings, client).raise_if_failed()
    refund = refund_first_line(client, refunded_day, settings.business_timezone)
    run_days([DATASET], [other_day], settings, client, refresh_first=False).raise_if_failed()  # unrelated success
    to_run = nightly_days(DATASET, target, settings, client)
    assert to_run == [refunded_day, target]
    run_days([DATASET], to_run, settings, client, refresh_first=False).raise_if_failed()
    assert refund in fact(tmp_path, "fact_sales", refunded_day)["order_id"].to_list()
    assert reconcile_pos_day(client, tmp_path, refunded_day, settings.business_timezone).ok
    assert nightly_days(DATASET, target, settings, client) == [target], "converged: nothing left to redo"

"""Where the demo follows Odoo's own rules: move-line quantities in the units' rounding and `quantity_product_uom`
(17+), quants for storable products only, vendor refunds that refund what was returned, POS pickings at session
closing (invoiced orders at payment), the accounting `date` derived from `invoice_date`, many2one paths searched
without the active test, and the account fields / currency rates real Odoo serves."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

import odoorpc
import pytest

from demo_odoo.generate import round_money
from demo_odoo.server import DemoOdoo
from tests.demo_odoo.test_writes import first, odoo_error

INVOICES = ["out_invoice", "out_refund", "in_invoice", "in_refund"]
WIB = timezone(timedelta(hours=7))


def half_up(value: float, rounding: float) -> float:
    """float_round(value, precision_rounding=rounding, rounding_method='HALF-UP'); every demo unit rounds to 0.01."""
    assert rounding == 0.01
    return float(round_money(value))


def wib_day(stamp: str) -> str:
    return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc).astimezone(WIB).date().isoformat()


def read_all(odoo: odoorpc.ODOO, model: str, domain: list, fields: list[str], **kw: Any) -> list[dict]:
    return odoo.execute_kw(model, "search_read", [domain], {"fields": fields, **kw})


# ---------------------------------------------------------------- generated data
def test_move_line_quantities_respect_the_units_rounding(odoo: odoorpc.ODOO, demo_server: DemoOdoo) -> None:
    version = demo_server.config.odoo_version
    qty = "qty_done" if version == 16 else "quantity"
    fields = ["product_id", "product_uom_id", qty] + (["quantity_product_uom"] if version >= 17 else [])
    lines = read_all(odoo, "stock.move.line", [("state", "=", "done")], fields)
    uoms = {u["id"]: u for u in read_all(odoo, "uom.uom", [], ["factor", "rounding"])}
    product_uom = {p["id"]: p["uom_id"][0] for p in read_all(odoo, "product.product", [], ["uom_id"],
                                                              context={"active_test": False})}
    assert lines and all(ln[qty] == half_up(ln[qty], uoms[ln["product_uom_id"][0]]["rounding"]) for ln in lines)
    if version >= 17:  # _compute_quantity_product_uom: factors, then HALF-UP to the product unit's rounding
        for ln in lines:
            src, dst = uoms[ln["product_uom_id"][0]], uoms[product_uom[ln["product_id"][0]]]
            assert ln["quantity_product_uom"] == half_up(ln[qty] / src["factor"] * dst["factor"], dst["rounding"])
    weighed = read_all(odoo, "pos.order.line", [("product_id.uom_id.name", "=", "kg")], ["qty"])
    assert weighed and all(ln["qty"] == round(ln["qty"], 2) for ln in weighed)
    assert any(ln["qty"] != int(ln["qty"]) for ln in weighed)


def test_pos_pickings_at_session_closing_and_invoiced_orders_at_payment(odoo: odoorpc.ODOO) -> None:
    company = read_all(odoo, "res.company", [], ["point_of_sale_update_stock_quantities", "anglo_saxon_accounting"])[0]
    assert company["point_of_sale_update_stock_quantities"] == "closing" and company["anglo_saxon_accounting"]
    sessions = {s["id"]: s for s in read_all(odoo, "pos.session", [], ["name", "stop_at", "state",
                                                                        "update_stock_at_closing"])}
    assert all(s["update_stock_at_closing"] for s in sessions.values())
    orders = {o["id"]: o for o in read_all(odoo, "pos.order", [("state", "in", ["paid", "done", "invoiced"])],
                                           ["name", "state", "session_id", "date_order", "create_date", "partner_id"])}
    pickings = {p["id"]: p for p in read_all(odoo, "stock.picking", [("pos_session_id", "!=", False)], [
        "pos_session_id", "pos_order_id", "date_done", "origin", "partner_id", "location_id"])}
    expected: dict[Any, float] = defaultdict(float)
    for ln in read_all(odoo, "pos.order.line", [("order_id", "in", list(orders))], ["order_id", "product_id", "qty"]):
        order = orders[ln["order_id"][0]]
        session = sessions[order["session_id"][0]]
        if order["state"] == "invoiced":
            expected[("order", order["id"], ln["product_id"][0])] += ln["qty"]
        elif session["state"] == "closed":
            expected[("session", session["id"], ln["product_id"][0])] += ln["qty"]
    moved: dict[Any, float] = defaultdict(float)
    customers = set(odoo.execute_kw("stock.location", "search", [[("usage", "=", "customer")]]))
    for mv in read_all(odoo, "stock.move", [("picking_id", "in", list(pickings))], ["picking_id", "product_id",
                                                                                     "product_uom_qty", "date"]):
        pk = pickings[mv["picking_id"][0]]
        sign = -1 if pk["location_id"][0] in customers else 1  # customer returns come back from the customer
        assert mv["date"] == pk["date_done"]
        if pk["pos_order_id"]:
            order = orders[pk["pos_order_id"][0]]
            assert order["state"] == "invoiced" and pk["origin"] == order["name"]
            assert pk["partner_id"] == order["partner_id"]
            assert order["date_order"] <= pk["date_done"] <= order["create_date"]  # created when the order is synced
            moved[("order", order["id"], mv["product_id"][0])] += sign * mv["product_uom_qty"]
        else:
            session = sessions[pk["pos_session_id"][0]]
            assert pk["date_done"] == session["stop_at"] and pk["origin"] == session["name"] and not pk["partner_id"]
            moved[("session", session["id"], mv["product_id"][0])] += sign * mv["product_uom_qty"]
    assert any(k[0] == "order" for k in moved) and any(k[0] == "session" for k in moved)
    keys = {k for k, v in [*expected.items(), *moved.items()] if abs(v) > 1e-9}  # sold and returned: net 0
    assert keys and all(abs(moved.get(k, 0.0) - expected.get(k, 0.0)) < 1e-6 for k in keys)


def test_vendor_refunds_refund_what_was_returned(odoo: odoorpc.ODOO) -> None:
    refunds = {m["id"]: m for m in read_all(odoo, "account.move", [("move_type", "=", "in_refund"),
                                                                    ("state", "=", "posted")],
                                            ["partner_id", "invoice_date", "reversed_entry_id"])}
    assert refunds
    refunded = {(refunds[ln["move_id"][0]]["partner_id"][0], refunds[ln["move_id"][0]]["invoice_date"],
                 ln["product_id"][0], ln["quantity"], ln["product_uom_id"][0])
                for ln in read_all(odoo, "account.move.line", [("move_id", "in", list(refunds)),
                                                               ("display_type", "=", "product")],
                                   ["move_id", "product_id", "quantity", "product_uom_id"])}
    returns = read_all(odoo, "stock.move", [("location_dest_id.usage", "=", "supplier")],
                       ["picking_id", "product_id", "product_uom_qty", "product_uom", "date"])
    partner = {p["id"]: p["partner_id"][0] for p in odoo.execute_kw(
        "stock.picking", "read", [list({mv["picking_id"][0] for mv in returns})], {"fields": ["partner_id"]})}
    returned = {(partner[mv["picking_id"][0]], wib_day(mv["date"]), mv["product_id"][0], mv["product_uom_qty"],
                 mv["product_uom"][0]) for mv in returns}
    assert refunded == returned
    bill_lines = {(ln["move_id"][0], ln["product_id"][0]): ln["quantity"] for ln in read_all(
        odoo, "account.move.line", [("move_id", "in", [m["reversed_entry_id"][0] for m in refunds.values()]),
                                    ("display_type", "=", "product"), ("price_unit", "!=", 0)],
        ["move_id", "product_id", "quantity"])}
    for ln in read_all(odoo, "account.move.line", [("move_id", "in", list(refunds)), ("display_type", "=", "product")],
                       ["move_id", "product_id", "quantity"]):
        bill = refunds[ln["move_id"][0]]["reversed_entry_id"][0]
        assert 0 < ln["quantity"] <= bill_lines[(bill, ln["product_id"][0])]


def test_invoice_signed_amounts_partners_and_tax_distribution(odoo: odoorpc.ODOO) -> None:
    moves = {m["id"]: m for m in read_all(odoo, "account.move", [("move_type", "in", INVOICES)], [
        "move_type", "amount_total", "amount_total_signed", "amount_untaxed_signed", "amount_tax_signed",
        "amount_total_in_currency_signed", "partner_id", "commercial_partner_id", "company_currency_id"])}
    idr = read_all(odoo, "res.company", [], ["currency_id"])[0]["currency_id"]
    tax_balance: dict[int, float] = defaultdict(float)
    for m in moves.values():
        sign = 1 if m["move_type"] in ("out_invoice", "in_refund") else -1
        assert abs(m["amount_tax_signed"] - (m["amount_total_signed"] - m["amount_untaxed_signed"])) < 0.005
        assert m["amount_total_in_currency_signed"] == sign * m["amount_total"]
        assert m["commercial_partner_id"] == m["partner_id"] and m["company_currency_id"] == idr
    repartition = {r["id"]: r for r in read_all(odoo, "account.tax.repartition.line", [], [
        "tax_id", "document_type", "repartition_type"])}
    assert len(repartition) == 4 * odoo.execute_kw("account.tax", "search_count", [[]],
                                                   {"context": {"active_test": False}})
    lines = read_all(odoo, "account.move.line", [("move_id", "in", list(moves))], [
        "move_id", "display_type", "tax_line_id", "tax_repartition_line_id", "balance", "company_currency_id"])
    for ln in lines:
        assert ln["company_currency_id"] == idr
        if ln["display_type"] != "tax":
            assert ln["tax_repartition_line_id"] is False
            continue
        rep = repartition[ln["tax_repartition_line_id"][0]]
        refund = moves[ln["move_id"][0]]["move_type"].endswith("_refund")
        assert rep["tax_id"] == ln["tax_line_id"] and rep["repartition_type"] == "tax"
        assert rep["document_type"] == ("refund" if refund else "invoice")
        tax_balance[ln["move_id"][0]] += ln["balance"]
    assert tax_balance and all(abs(-tax_balance.get(i, 0.0) - m["amount_tax_signed"]) < 0.005 for i, m in moves.items())


def test_foreign_invoices_use_the_served_currency_rates(odoo: odoorpc.ODOO) -> None:
    usd = odoo.execute_kw("res.currency", "search", [[("name", "=", "USD")]])[0]
    rates = {r["name"]: r for r in read_all(odoo, "res.currency.rate", [("currency_id", "=", usd)], [
        "name", "rate", "company_rate", "inverse_company_rate", "display_name"])}
    assert rates and all(abs(r["rate"] * r["inverse_company_rate"] - 1) < 1e-12 and r["rate"] == r["company_rate"]
                         and r["display_name"] == r["name"] for r in rates.values())
    assert sorted(odoo.execute_kw("res.currency", "read", [[usd]], {"fields": ["rate_ids"]})[0]["rate_ids"]) == \
        sorted(odoo.execute_kw("res.currency.rate", "search", [[("currency_id", "=", usd)]]))
    moves = {m["id"]: m for m in read_all(odoo, "account.move", [("currency_id", "=", usd)], ["invoice_date"])}
    assert moves
    for ln in read_all(odoo, "account.move.line", [("move_id", "in", list(moves)),
                                                   ("display_type", "in", ["product", "tax"])],
                       ["move_id", "balance", "amount_currency"]):
        rate = rates[moves[ln["move_id"][0]]["invoice_date"]]["inverse_company_rate"]
        assert ln["balance"] == float(round_money(ln["amount_currency"] * rate))


# ---------------------------------------------------------------- over RPC
@pytest.fixture()
def fixed_clock(scratch_server: DemoOdoo) -> Iterator[datetime]:
    """The server's clock stopped at 2025-06-15 03:00 UTC (10:00 WIB)."""
    now = datetime(2025, 6, 15, 3, 0, tzinfo=timezone.utc)
    saved = scratch_server.db.clock
    scratch_server.db.clock = lambda: now.timestamp()
    try:
        yield now
    finally:
        scratch_server.db.clock = saved


def test_quantity_product_uom_is_computed_on_create_and_write(scratch: odoorpc.ODOO, scratch_server: DemoOdoo) -> None:
    version = scratch_server.config.odoo_version
    fields = scratch.execute_kw("stock.move.line", "fields_get", [], {"attributes": ["type"]})
    assert ("quantity_product_uom" in fields) == (version >= 17)
    if version == 16:
        return
    loc = scratch.execute_kw("stock.location", "search", [[("usage", "=", "internal")]], {"limit": 2})
    kg_product = first(scratch, "product.product", [("uom_id.name", "=", "kg")], ["uom_id"])["id"]
    unit_product = first(scratch, "product.product", [("uom_id.name", "=", "Units")], ["uom_id"])["id"]
    grams, dozens = (scratch.execute_kw("uom.uom", "search", [[("name", "=", name)]])[0] for name in ("g", "Dozens"))
    base = {"location_id": loc[0], "location_dest_id": loc[1]}
    ml = scratch.execute_kw("stock.move.line", "create", [{**base, "product_id": kg_product, "product_uom_id": grams,
                                                           "quantity": 1235.0}])

    def product_qty() -> float:
        return scratch.execute_kw("stock.move.line", "read", [[ml]], {"fields": ["quantity_product_uom"]})[0][
            "quantity_product_uom"]

    assert product_qty() == 1.24  # 1.235 kg, HALF-UP to the kg rounding (0.01)
    scratch.execute_kw("stock.move.line", "write", [[ml], {"quantity": 250.0}])
    assert product_qty() == 0.25
    scratch.execute_kw("stock.move.line", "write", [[ml], {"product_id": unit_product, "product_uom_id": dozens,
                                                           "quantity": 2.0}])
    assert product_qty() == 24.0
    other = scratch.execute_kw("stock.move.line", "create", [{**base, "product_id": unit_product, "quantity": 3.0}])
    assert scratch.execute_kw("stock.move.line", "read", [[other]], {"fields": ["quantity_product_uom"]})[0][
        "quantity_product_uom"] == 3.0
    count = scratch.execute_kw("stock.move.line", "search_count", [[]])
    with odoo_error("odoo.exceptions.UserError", "doesn't belong to the same category"):
        scratch.execute_kw("stock.move.line", "create", [{**base, "product_id": kg_product, "product_uom_id": dozens,
                                                          "quantity": 1.0}])
    with odoo_error("odoo.exceptions.UserError", "doesn't belong to the same category"):
        scratch.execute_kw("stock.move.line", "write", [[other], {"product_uom_id": grams}])
    assert scratch.execute_kw("stock.move.line", "search_count", [[]]) == count
    assert scratch.execute_kw("stock.move.line", "read", [[other]], {"fields": ["product_uom_id"], "load": None})[0][
        "product_uom_id"] != grams


def test_invoice_date_sets_the_accounting_date(scratch: odoorpc.ODOO, fixed_clock: datetime) -> None:
    partner = first(scratch, "res.partner", [("ref", "=like", "VND%")], ["name"])["id"]

    def create(move_type: str, **vals: Any) -> dict:
        move = scratch.execute_kw("account.move", "create", [{"move_type": move_type, "partner_id": partner, **vals}])
        return scratch.execute_kw("account.move", "read", [[move]], {"fields": ["date", "invoice_date"]})[0]

    assert create("out_invoice", invoice_date="2025-03-10")["date"] == "2025-03-10"  # a sale: its invoice date
    assert create("out_refund", invoice_date="2025-06-20")["date"] == "2025-06-20"
    assert create("in_invoice", invoice_date="2025-03-10")["date"] == "2025-03-31"  # an earlier month: its last day
    assert create("in_invoice", invoice_date="2025-06-02")["date"] == "2025-06-15"  # this month: max(date, today)
    assert create("in_refund", invoice_date="2025-06-20")["date"] == "2025-06-20"
    assert create("in_invoice", invoice_date="2025-03-10", date="2025-03-12")["date"] == "2025-03-12"  # given: kept
    assert create("in_invoice")["date"] == "2025-06-15"  # no invoice date: today
    bill = create("in_invoice")
    line = scratch.execute_kw("account.move.line", "create", [{"move_id": bill["id"], "name": "x", "quantity": 1}])
    scratch.execute_kw("account.move", "write", [[bill["id"]], {"invoice_date": "2025-05-07"}])
    assert scratch.execute_kw("account.move", "read", [[bill["id"]]], {"fields": ["date"]})[0]["date"] == "2025-05-31"
    assert scratch.execute_kw("account.move.line", "read", [[line]], {"fields": ["date"]})[0]["date"] == "2025-05-31"
    scratch.execute_kw("account.move", "write", [[bill["id"]], {"invoice_date": False}])  # no invoice date: kept
    assert scratch.execute_kw("account.move", "read", [[bill["id"]]], {"fields": ["date"]})[0]["date"] == "2025-05-31"


def test_many2one_paths_ignore_the_active_test(scratch: odoorpc.ODOO) -> None:
    line = first(scratch, "pos.order.line", [("product_id.default_code", "!=", False)], ["product_id"])
    product = scratch.execute_kw("product.product", "read", [[line["product_id"][0]]], {"fields": ["default_code"]})[0]
    sold = scratch.execute_kw("pos.order.line", "search_count", [[("product_id", "=", product["id"])]])
    scratch.execute_kw("product.product", "action_archive", [[product["id"]]])
    try:
        path = [("product_id.default_code", "=", product["default_code"])]
        assert scratch.execute_kw("pos.order.line", "search_count", [path]) == sold > 0
        assert scratch.execute_kw("pos.order.line", "search_count", [[("product_id.active", "=", False)]]) >= sold
        assert scratch.execute_kw("product.product", "search_count", [[("default_code", "=",
                                                                        product["default_code"])]]) == 0
    finally:
        scratch.execute_kw("product.product", "action_unarchive", [[product["id"]]])


def test_rates_repartition_lines_and_commercial_partners_over_rpc(scratch: odoorpc.ODOO) -> None:
    usd = scratch.execute_kw("res.currency", "search", [[("name", "=", "USD")]])[0]
    rate = scratch.execute_kw("res.currency.rate", "create", [{"currency_id": usd, "name": "2030-01-02",
                                                               "inverse_company_rate": 16_000.0}])
    got = scratch.execute_kw("res.currency.rate", "read", [[rate]], {"fields": [
        "rate", "company_rate", "inverse_company_rate", "display_name"]})[0]
    assert got["rate"] == got["company_rate"] == 1 / 16_000.0 and got["display_name"] == "2030-01-02"
    scratch.execute_kw("res.currency.rate", "write", [[rate], {"rate": 1 / 15_000.0}])
    got = scratch.execute_kw("res.currency.rate", "read", [[rate]], {"fields": ["inverse_company_rate"]})[0]
    assert abs(got["inverse_company_rate"] - 15_000.0) < 1e-6
    company = first(scratch, "res.partner", [("ref", "=like", "B2B%")], ["name"])["id"]
    contact = scratch.execute_kw("res.partner", "create", [{"name": "Pembeli", "parent_id": company}])
    move = scratch.execute_kw("account.move", "create", [{"move_type": "out_invoice", "partner_id": contact}])
    read = scratch.execute_kw("account.move", "read", [[move]], {"fields": ["commercial_partner_id",
                                                                          "company_currency_id"], "load": None})[0]
    assert read["commercial_partner_id"] == company and read["company_currency_id"]
    tax_rep = first(scratch, "account.tax.repartition.line", [("repartition_type", "=", "tax"),
                                                              ("document_type", "=", "invoice")], ["tax_id"])
    line = scratch.execute_kw("account.move.line", "create", [{"move_id": move, "name": "PPN", "display_type": "tax",
                                                               "tax_repartition_line_id": tax_rep["id"]}])
    got = scratch.execute_kw("account.move.line", "read", [[line]], {"fields": [
        "tax_line_id", "company_currency_id"], "load": None})[0]
    assert got["tax_line_id"] == tax_rep["tax_id"][0] and got["company_currency_id"] == read["company_currency_id"]
    with odoo_error("odoo.exceptions.ValidationError", "account_move_line_tax_repartition_line_id_fkey"):
        scratch.execute_kw("account.tax.repartition.line", "unlink", [[tax_rep["id"]]])

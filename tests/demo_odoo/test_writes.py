"""Write methods over RPC: create / write / unlink, the record actions, log-access dates, ondelete policies,
late changes a shop makes (refund for an earlier day, invoice posted / reset, move line done, product renamed
or archived, records deleted) and column growth for every column type.  Each Odoo version, with odoorpc."""
from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Iterator

import odoorpc
import pytest

from demo_odoo.server import DemoOdoo
from tests.demo_odoo.conftest import login

STAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


@contextmanager
def odoo_error(name: str, message: str = "") -> Iterator[None]:
    """Expect an Odoo error envelope with ``data.name == name`` whose message contains ``message``."""
    with pytest.raises(odoorpc.error.RPCError) as err:
        yield
    assert err.value.info["code"] == 200 and err.value.info["data"]["name"] == name
    assert message in err.value.info["data"]["message"]


def first(odoo: odoorpc.ODOO, model: str, domain: list, fields: list[str], order: str = "id") -> dict[str, Any]:
    return odoo.execute_kw(model, "search_read", [domain], {"fields": fields, "limit": 1, "order": order})[0]


def test_create_returns_ids_and_records_are_searchable(scratch: odoorpc.ODOO) -> None:
    before = utc_now()
    one = scratch.execute_kw("res.partner", "create", [{"name": "Writer One", "city": "Bogor", "customer_rank": 3}])
    many = scratch.execute_kw("res.partner", "create", [[{"name": "Writer Two"}, {"name": "Writer Three",
                                                                                   "is_company": True}]])
    after = utc_now()
    assert isinstance(one, int) and isinstance(many, list) and len(many) == 2 and one < many[0] < many[1]
    found = scratch.execute_kw("res.partner", "search_read", [[("name", "=like", "Writer %")]],
                               {"fields": ["name", "complete_name", "create_date", "write_date", "create_uid",
                                           "active", "is_company", "customer_rank"], "order": "name"})
    assert [r["name"] for r in found] == ["Writer One", "Writer Three", "Writer Two"]
    for rec in found:
        assert STAMP.fullmatch(rec["create_date"]) and before <= rec["create_date"] <= after
        assert rec["write_date"] == rec["create_date"] and rec["create_uid"][0] == 2 and rec["active"]
        assert rec["complete_name"] == rec["name"]
    assert scratch.execute_kw("res.partner", "search_count", [[("city", "=", "Bogor"), ("customer_rank", "=", 3)]]) >= 1
    assert scratch.execute_kw("res.partner", "search", [[("create_date", ">=", before)]], {"order": "id"}) == [one] + many


def test_write_moves_write_date_and_ignores_log_fields(scratch: odoorpc.ODOO) -> None:
    order = first(scratch, "pos.order", [("state", "=", "done")], ["create_date", "write_date", "partner_id"])
    member = first(scratch, "res.partner", [("ref", "=like", "MBR%")], ["name"])
    before = utc_now()
    assert scratch.execute_kw("pos.order", "write", [[order["id"]], {
        "partner_id": member["id"], "write_date": "2000-01-01 00:00:00", "create_date": "2000-01-01 00:00:00"}]) is True
    got = scratch.execute_kw("pos.order", "read", [[order["id"]]], {"fields": ["create_date", "write_date", "partner_id"]})[0]
    assert got["create_date"] == order["create_date"] and before <= got["write_date"] <= utc_now()
    assert got["write_date"] > order["write_date"] and got["partner_id"][0] == member["id"]
    changed = scratch.execute_kw("pos.order", "search", [[("write_date", ">=", before)]])
    assert changed == [order["id"]]


@pytest.mark.parametrize("method, args, name, message", [
    ("create", [{"no_such_field": 1}], "builtins.ValueError", "Invalid field 'no_such_field' on model 'res.partner'"),
    ("write", [[1], {"no_such_field": 1}], "builtins.ValueError", "Invalid field 'no_such_field' on model 'res.partner'"),
    ("create", [{"name": "x", "type": "nonsense"}], "builtins.ValueError", "Wrong value for res.partner.type"),
    ("create", [{"name": "x", "parent_id": 987654}], "odoo.exceptions.ValidationError", "res_partner_parent_id_fkey"),
    ("write", [[987654], {"name": "x"}], "odoo.exceptions.MissingError", "Record does not exist"),
])
def test_bad_values_raise_odoo_errors(scratch: odoorpc.ODOO, method: str, args: list, name: str, message: str) -> None:
    with odoo_error(name, message):
        scratch.execute_kw("res.partner", method, args)


def test_required_fields_and_write_methods_per_model(scratch: odoorpc.ODOO) -> None:
    with odoo_error("odoo.exceptions.ValidationError", "Field: Order Ref (order_id)"):
        scratch.execute_kw("pos.order.line", "create", [{"product_id": 1, "qty": 1}])
    with odoo_error("builtins.AttributeError", "'action_post' does not exist on the model 'pos.order'"):
        scratch.execute_kw("pos.order", "action_post", [[1]])
    with odoo_error("builtins.AssertionError", "No 'active' field"):
        scratch.execute_kw("pos.order", "action_archive", [[1]])


def test_refund_order_for_an_earlier_day(scratch: odoorpc.ODOO, scratch_server: DemoOdoo) -> None:
    v = scratch_server.config.odoo_version
    original = first(scratch, "pos.order", [("state", "=", "done"), ("is_refunded", "=", False)],
                     ["name", "session_id", "date_order", "lines", "partner_id"])
    line = scratch.execute_kw("pos.order.line", "read", [original["lines"][:1]], {"fields": [
        "product_id", "qty", "price_unit", "price_subtotal", "price_subtotal_incl", "tax_ids"]})[0]
    day_start = original["date_order"][:10] + " 00:00:00"
    counted = scratch.execute_kw("pos.order", "search_count", [[("date_order", ">=", day_start)]])
    total = -line["price_subtotal_incl"]
    refund_id = scratch.execute_kw("pos.order", "create", [{
        "name": original["name"] + " REFUND", "session_id": original["session_id"][0], "state": "done",
        "date_order": original["date_order"], "amount_total": total, "amount_paid": total,
        "amount_tax": total - -line["price_subtotal"], "partner_id": original["partner_id"] and original["partner_id"][0],
        "lines": [(0, 0, {"product_id": line["product_id"][0], "qty": -line["qty"], "price_unit": line["price_unit"],
                          "price_subtotal": -line["price_subtotal"], "price_subtotal_incl": total,
                          "tax_ids": [(6, 0, line["tax_ids"])], "refunded_orderline_id": line["id"]})]}])
    method = first(scratch, "pos.payment.method", [("is_cash_count", "=", True)], ["name"])
    payment_id = scratch.execute_kw("pos.payment", "create", [{"pos_order_id": refund_id, "amount": total,
                                                               "payment_method_id": method["id"],
                                                               "payment_date": original["date_order"]}])
    refund = scratch.execute_kw("pos.order", "read", [[refund_id]], {"fields": [
        "lines", "payment_ids", "config_id", "date_order", "amount_total", "create_date", "currency_id"]})[0]
    assert refund["payment_ids"] == [payment_id] and len(refund["lines"]) == 1 and refund["config_id"]
    assert refund["date_order"] == original["date_order"] and refund["create_date"] > original["date_order"]
    assert scratch.execute_kw("pos.order", "search_count", [[("date_order", ">=", day_start)]]) == counted + 1
    new_line = scratch.execute_kw("pos.order.line", "search_read", [[("order_id.name", "=", original["name"] + " REFUND")]],
                                  {"fields": ["qty", "refunded_orderline_id", "tax_ids", "name", "product_uom_id"]})
    assert [ln["id"] for ln in new_line] == refund["lines"] and new_line[0]["qty"] == -line["qty"]
    assert new_line[0]["refunded_orderline_id"][0] == line["id"] and new_line[0]["tax_ids"] == line["tax_ids"]
    assert new_line[0]["name"] and new_line[0]["product_uom_id"]
    flags = scratch.execute_kw("pos.order", "read", [[original["id"]]], {"fields": ["is_refunded", "refund_orders_count"]})
    assert flags[0]["is_refunded"] and flags[0]["refund_orders_count"] == 1
    link = "refunded_order_id" if v >= 18 else "refunded_order_ids"
    linked = scratch.execute_kw("pos.order", "read", [[refund_id]], {"fields": [link], "load": None})[0][link]
    assert linked == (original["id"] if v >= 18 else [original["id"]])
    pay = scratch.execute_kw("pos.payment", "read", [[payment_id]], {"fields": ["session_id", "payment_date"]})[0]
    assert pay["session_id"] == original["session_id"] and pay["payment_date"] == original["date_order"]


def test_invoice_posted_and_reset_to_draft(scratch: odoorpc.ODOO) -> None:
    partner = first(scratch, "res.partner", [("ref", "=like", "B2B%")], ["name"])
    product = first(scratch, "product.product", [("sale_ok", "=", True)], ["name"])
    move_id = scratch.execute_kw("account.move", "create", [{"move_type": "out_invoice", "partner_id": partner["id"]}])
    draft = scratch.execute_kw("account.move", "read", [[move_id]], {"fields": [
        "name", "state", "display_name", "journal_id", "date", "invoice_date", "currency_id"]})[0]
    assert draft["name"] == "/" and draft["state"] == "draft" and draft["display_name"] == f"Draft Invoice (* {move_id})"
    assert draft["journal_id"] and draft["currency_id"] and draft["invoice_date"] is False
    with odoo_error("odoo.exceptions.UserError", "You need to add a line before posting."):
        scratch.execute_kw("account.move", "action_post", [[move_id]])
    line_id = scratch.execute_kw("account.move.line", "create", [{"move_id": move_id, "product_id": product["id"],
                                                                  "quantity": 2, "price_unit": 5000, "name": "x"}])
    assert scratch.execute_kw("account.move", "action_post", [[move_id]]) is False
    posted = scratch.execute_kw("account.move", "read", [[move_id]], {"fields": [
        "name", "state", "display_name", "invoice_date", "line_ids", "write_date"]})[0]
    assert posted["state"] == "posted" and re.fullmatch(r"INV/\d{4}/\d{5}", posted["name"])
    assert posted["display_name"] == posted["name"] and posted["invoice_date"] and posted["line_ids"] == [line_id]
    line = scratch.execute_kw("account.move.line", "read", [[line_id]], {"fields": ["parent_state", "move_name",
                                                                                    "partner_id", "write_date"]})[0]
    assert line["parent_state"] == "posted" and line["move_name"] == posted["name"]
    assert line["partner_id"][0] == partner["id"] and line["write_date"] == posted["write_date"]
    with odoo_error("odoo.exceptions.UserError", "is already posted"):
        scratch.execute_kw("account.move", "action_post", [[move_id]])
    existing = first(scratch, "account.move", [("state", "=", "posted"), ("move_type", "=", "out_invoice")],
                     ["name", "write_date"])
    assert scratch.execute_kw("account.move", "button_draft", [[existing["id"]]]) is None
    reset = scratch.execute_kw("account.move", "read", [[existing["id"]]], {"fields": ["state", "name", "display_name",
                                                                                       "write_date"]})[0]
    assert reset["state"] == "draft" and reset["name"] == existing["name"]
    assert reset["display_name"] == f"Draft Invoice {existing['name']}" and reset["write_date"] > existing["write_date"]
    assert scratch.execute_kw("account.move.line", "search_count", [[("move_id", "=", existing["id"]),
                                                                     ("parent_state", "!=", "draft")]]) == 0
    with odoo_error("odoo.exceptions.UserError", "Only posted/cancelled journal entries can be reset to draft."):
        scratch.execute_kw("account.move", "button_draft", [[existing["id"]]])


def test_stock_move_line_set_done(scratch: odoorpc.ODOO, scratch_server: DemoOdoo) -> None:
    qty = "qty_done" if scratch_server.config.odoo_version == 16 else "quantity"
    internal = scratch.execute_kw("stock.location", "search", [[("usage", "=", "internal")]], {"limit": 2})
    product = first(scratch, "product.product", [("sale_ok", "=", True)], ["uom_id"])
    move = scratch.execute_kw("stock.move", "create", [{"name": "late transfer", "product_id": product["id"],
                                                        "product_uom_qty": 3, "location_id": internal[0],
                                                        "location_dest_id": internal[1]}])
    ml = scratch.execute_kw("stock.move.line", "create", [{"move_id": move, "product_id": product["id"],
                                                           "location_id": internal[0], "location_dest_id": internal[1]}])
    created = scratch.execute_kw("stock.move.line", "read", [[ml]], {"fields": ["state", "product_uom_id", "write_date"]})[0]
    assert created["state"] == "draft" and created["product_uom_id"] == product["uom_id"]
    scratch.execute_kw("stock.move.line", "write", [[ml], {qty: 3.0, "state": "done"}])
    assert ml in scratch.execute_kw("stock.move.line", "search", [[("state", "=", "done"), (qty, "=", 3.0)]])
    scratch.execute_kw("stock.move", "write", [[move], {"state": "cancel"}])  # a stored related field follows its move
    assert scratch.execute_kw("stock.move.line", "read", [[ml]], {"fields": ["state"]})[0]["state"] == "cancel"


def test_product_renamed_archived_and_unarchived(scratch: odoorpc.ODOO) -> None:
    product = first(scratch, "product.product", [("default_code", "!=", False)],
                    ["name", "default_code", "product_tmpl_id", "write_date"])
    template_id = product["product_tmpl_id"][0]
    scratch.execute_kw("product.product", "write", [[product["id"]], {"name": "Renamed Kopi"}])
    got = scratch.execute_kw("product.product", "read", [[product["id"]]], {"fields": ["name", "display_name", "write_date"]})[0]
    assert got["name"] == "Renamed Kopi" and got["display_name"] == f"[{product['default_code']}] Renamed Kopi"
    assert got["write_date"] > product["write_date"]
    template = scratch.execute_kw("product.template", "read", [[template_id]], {"fields": ["name", "display_name"]})[0]
    assert template["name"] == "Renamed Kopi" and template["display_name"].endswith("Renamed Kopi")
    lines = scratch.execute_kw("pos.order.line", "search_count", [[("product_id.name", "=", "Renamed Kopi")]])
    assert lines == scratch.execute_kw("pos.order.line", "search_count", [[("product_id", "=", product["id"])]])
    assert scratch.execute_kw("product.product", "action_archive", [[product["id"]]]) is None
    assert scratch.execute_kw("product.product", "search", [[("id", "=", product["id"])]]) == []
    archived = scratch.execute_kw("product.product", "search_read", [[("active", "=", False), ("id", "=", product["id"])]],
                                  {"fields": ["active"]})
    assert archived == [{"id": product["id"], "active": False}]
    siblings = scratch.execute_kw("product.product", "search_count", [[("product_tmpl_id", "=", template_id)]])
    tmpl_active = scratch.execute_kw("product.template", "search_count", [[("id", "=", template_id)]])
    assert tmpl_active == (1 if siblings else 0)  # a template without active variants is archived with them
    scratch.execute_kw("product.product", "action_unarchive", [[product["id"]]])
    assert scratch.execute_kw("product.template", "search", [[("id", "=", template_id)]]) == [template_id]


def test_new_template_gets_a_variant(scratch: odoorpc.ODOO) -> None:
    template_id = scratch.execute_kw("product.template", "create", [{"name": "Kopi Susu Gula Aren",
                                                                     "default_code": "KSGA", "list_price": 18000}])
    template = scratch.execute_kw("product.template", "read", [[template_id]], {"fields": [
        "product_variant_ids", "categ_id", "uom_id", "display_name"]})[0]
    assert len(template["product_variant_ids"]) == 1 and template["categ_id"] and template["uom_id"]
    variant = scratch.execute_kw("product.product", "read", [template["product_variant_ids"]], {"fields": [
        "name", "default_code", "list_price", "display_name", "product_tmpl_id"]})[0]
    assert variant["display_name"] == template["display_name"] == "[KSGA] Kopi Susu Gula Aren"
    assert variant["list_price"] == 18000 and variant["product_tmpl_id"][0] == template_id
    scratch.execute_kw("product.template", "action_archive", [[template_id]])  # its variants follow
    assert scratch.execute_kw("product.product", "search", [[("product_tmpl_id", "=", template_id)]]) == []
    product_id = scratch.execute_kw("product.product", "create", [{"name": "Teh Melati", "list_price": 5000}])
    tmpl = scratch.execute_kw("product.product", "read", [[product_id]], {"fields": ["product_tmpl_id"]})[0]
    assert scratch.execute_kw("product.template", "read", [[tmpl["product_tmpl_id"][0]]], {"fields": [
        "name", "product_variant_ids"]})[0] == {"id": tmpl["product_tmpl_id"][0], "name": "Teh Melati",
                                                "product_variant_ids": [product_id]}
    scratch.execute_kw("product.product", "unlink", [[product_id]])  # the last variant takes its template along
    assert scratch.execute_kw("product.template", "search", [[("name", "=", "Teh Melati")]],
                              {"context": {"active_test": False}}) == []


def test_unlink_hides_records_everywhere(scratch: odoorpc.ODOO) -> None:
    order = first(scratch, "pos.order", [("state", "=", "done"), ("payment_ids", "!=", False)],
                  ["lines", "payment_ids", "session_id"], order="id desc")
    with odoo_error("odoo.exceptions.ValidationError", "Constraint: pos_payment_pos_order_id_fkey"):
        scratch.execute_kw("pos.order", "unlink", [[order["id"]]])
    payment, line = order["payment_ids"][0], order["lines"][0]
    assert scratch.execute_kw("pos.payment", "unlink", [[payment]]) is True
    assert scratch.execute_kw("pos.payment", "search", [[("id", "=", payment)]]) == []
    assert scratch.execute_kw("pos.payment", "search_count", [[("pos_order_id", "=", order["id"])]]) == \
        len(order["payment_ids"]) - 1
    with odoo_error("odoo.exceptions.MissingError", f"pos.payment({payment},)"):
        scratch.execute_kw("pos.payment", "read", [[payment]], {"fields": ["amount"]})
    with odoo_error("odoo.exceptions.MissingError"):
        scratch.execute_kw("pos.payment", "unlink", [[payment]])
    scratch.execute_kw("pos.order.line", "unlink", [[line]])
    again = scratch.execute_kw("pos.order", "read", [[order["id"]]], {"fields": ["lines", "payment_ids"]})[0]
    assert line not in again["lines"] and payment not in again["payment_ids"]
    assert scratch.execute_kw("pos.order", "search", [[("lines", "=", line)]]) == []
    scratch.execute_kw("pos.payment", "unlink", [order["payment_ids"][1:]])
    scratch.execute_kw("pos.order", "unlink", [[order["id"]]])  # its lines go with it (ondelete cascade)
    assert scratch.execute_kw("pos.order.line", "search", [[("id", "in", order["lines"])]]) == []
    assert scratch.execute_kw("pos.order", "search_count", [[("id", "=", order["id"])]],
                              {"context": {"active_test": False}}) == 0
    assert order["id"] not in scratch.execute_kw("pos.session", "read", [[order["session_id"][0]]],
                                                 {"fields": ["order_ids"]})[0]["order_ids"]


def test_every_listed_model_creates_writes_and_unlinks(scratch: odoorpc.ODOO, scratch_server: DemoOdoo) -> None:
    v = scratch_server.config.odoo_version
    qty = "qty_done" if v == 16 else "quantity"
    session = first(scratch, "pos.session", [], ["name"])["id"]
    product = first(scratch, "product.product", [("sale_ok", "=", True)], ["name"])["id"]
    loc = scratch.execute_kw("stock.location", "search", [[("usage", "=", "internal")]], {"limit": 2})
    method = first(scratch, "pos.payment.method", [], ["name"])["id"]
    made: list[tuple[str, int]] = []

    def make(model: str, vals: dict[str, Any], change: dict[str, Any]) -> int:
        record = scratch.execute_kw(model, "create", [vals])
        assert scratch.execute_kw(model, "write", [[record], change]) is True
        got = scratch.execute_kw(model, "read", [[record]], {"fields": list(change), "load": None})[0]
        assert {k: got[k] for k in change} == change, model
        made.append((model, record))
        return record

    order = make("pos.order", {"session_id": session, "name": "T/0001"}, {"amount_total": 1000.0})
    make("pos.order.line", {"order_id": order, "product_id": product, "qty": 1}, {"price_subtotal_incl": 1000.0})
    make("pos.payment", {"pos_order_id": order, "payment_method_id": method, "amount": 1.0}, {"amount": 1000.0})
    move = make("account.move", {"move_type": "entry"}, {"ref": "late entry"})
    make("account.move.line", {"move_id": move, "name": "x"}, {"balance": 10.0})
    smove = make("stock.move", {"name": "x", "product_id": product, "location_id": loc[0], "location_dest_id": loc[1]},
                 {"product_uom_qty": 2.0})
    make("stock.move.line", {"move_id": smove, "product_id": product, "location_id": loc[0],
                             "location_dest_id": loc[1]}, {qty: 2.0})
    make("stock.quant", {"product_id": product, "location_id": loc[0]}, {"inventory_quantity": 4.0})
    template = make("product.template", {"name": "T tmpl"}, {"list_price": 7.0})
    make("product.product", {"name": "T prod", "product_tmpl_id": template}, {"default_code": "T-PROD"})
    parent = make("product.category", {"name": "T cat"}, {"name": "T cat 2"})
    make("res.partner", {"name": "T partner"}, {"email": "t@example.com"})
    child = scratch.execute_kw("product.category", "create", [{"name": "T sub", "parent_id": parent}])
    assert scratch.execute_kw("product.category", "read", [[child]], {"fields": ["complete_name"]})[0][
        "complete_name"] == "T cat 2 / T sub"
    for model, record in reversed(made):
        assert scratch.execute_kw(model, "unlink", [[record]]) is True
        assert scratch.execute_kw(model, "search", [[("id", "=", record)]], {"context": {"active_test": False}}) == []
    assert scratch.execute_kw("product.category", "search", [[("id", "=", child)]]) == []  # cascade from its parent


def test_new_rows_in_every_column_type_are_searchable_and_sorted(scratch: odoorpc.ODOO) -> None:
    taxes = scratch.execute_kw("account.tax", "search", [[("type_tax_use", "=", "sale")]])
    partner = first(scratch, "res.partner", [("ref", "=like", "B2B%")], ["name"])["id"]
    old = scratch.execute_kw("account.move.line", "search_read", [[("id", "<", 60)]], {"fields": ["tax_ids"]})
    ids = scratch.execute_kw("account.move", "create", [[
        {"move_type": "out_invoice", "partner_id": partner, "ref": f"GROW-{k}", "invoice_date": f"2024-01-0{k + 1}",
         "amount_total": 100.0 * k, "state": "cancel" if k == 2 else "draft"} for k in range(3)]])
    line_ids = scratch.execute_kw("account.move.line", "create", [[
        {"move_id": ids[k], "name": f"grow {k}", "tax_ids": [(6, 0, taxes[:k])], "display_type": "product"}
        for k in range(3)]])
    found = scratch.execute_kw("account.move", "search_read", [[("ref", "=like", "GROW-%")]],
                               {"fields": ["invoice_date", "amount_total", "state", "ref"], "order": "invoice_date desc"})
    assert [r["id"] for r in found] == ids[::-1] and [r["invoice_date"] for r in found] == ["2024-01-03", "2024-01-02",
                                                                                           "2024-01-01"]
    assert scratch.execute_kw("account.move", "search", [[("invoice_date", "<", "2024-01-02")]]) == [ids[0]]
    assert scratch.execute_kw("account.move", "search", [[("amount_total", ">", 150), ("ref", "like", "GROW")]]) == [ids[2]]
    assert scratch.execute_kw("account.move", "search", [[("state", "=", "cancel"), ("ref", "like", "GROW")]]) == [ids[2]]
    with_tax = scratch.execute_kw("account.move.line", "search", [[("tax_ids", "in", taxes[:1]),
                                                                   ("name", "=like", "grow %")]])
    assert with_tax == line_ids[:0:-1]  # _order "date desc, …": each line has its invoice's date (its invoice_date)
    assert scratch.execute_kw("account.move.line", "read", [line_ids], {"fields": ["tax_ids"]}) == [
        {"id": i, "tax_ids": taxes[:k]} for k, i in enumerate(line_ids)]
    scratch.execute_kw("account.move.line", "write", [[line_ids[2]], {"tax_ids": [(3, taxes[0])]}])
    assert scratch.execute_kw("account.move.line", "read", [[line_ids[2]]], {"fields": ["tax_ids"]})[0]["tax_ids"] == [taxes[1]]
    page = scratch.execute_kw("account.move", "search", [[]], {"order": "id desc", "limit": 3})
    assert page == ids[::-1]
    assert scratch.execute_kw("account.move.line", "search_read", [[("id", "<", 60)]], {"fields": ["tax_ids"]}) == old


def test_concurrent_creates_get_distinct_ids(scratch_server: DemoOdoo) -> None:
    results: list[int] = []
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            client = login(scratch_server)
            for i in range(10):
                results.append(client.execute_kw("res.partner", "create", [{"name": f"Thread {k}-{i}"}]))
                client.execute_kw("res.partner", "search_count", [[("name", "=like", "Thread %")]])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(set(results)) == 60
    client = login(scratch_server)
    assert sorted(client.execute_kw("res.partner", "search", [[("name", "=like", "Thread %")]])) == sorted(results)

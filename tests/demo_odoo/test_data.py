"""Synthetic data: amounts add up like Odoo's, refunds link back, invoices link POS orders, stock is consistent,
generation is deterministic."""
from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date, datetime, timezone

import numpy as np
import odoorpc

from demo_odoo.generate import GenParams, generate, round_money
from demo_odoo.orm import M2MCol, StrCol
from demo_odoo.server import DemoOdoo


def test_order_amounts_and_payments(odoo: odoorpc.ODOO) -> None:
    orders = odoo.execute_kw("pos.order", "search_read", [[("state", "in", ["paid", "done", "invoiced"])]],
                             {"fields": ["amount_total", "amount_tax", "amount_paid", "amount_return", "lines",
                                         "payment_ids"], "limit": 400, "order": "id"})
    line_ids = [i for o in orders for i in o["lines"]]
    lines = {ln["id"]: ln for ln in odoo.execute_kw("pos.order.line", "read", [line_ids], {
        "fields": ["qty", "price_unit", "discount", "price_subtotal", "price_subtotal_incl", "tax_ids"]})}
    pays = {p["id"]: p for p in odoo.execute_kw("pos.payment", "read", [[i for o in orders for i in o["payment_ids"]]],
                                                 {"fields": ["amount", "is_change"]})}
    taxes = {t["id"]: t for t in odoo.execute_kw("account.tax", "search_read", [[]],
                                                  {"fields": ["amount", "price_include"],
                                                   "context": {"active_test": False}})}
    for o in orders:
        ls = [lines[i] for i in o["lines"]]
        assert abs(sum(ln["price_subtotal_incl"] for ln in ls) - o["amount_total"]) < 0.005
        assert abs(sum(ln["price_subtotal_incl"] - ln["price_subtotal"] for ln in ls) - o["amount_tax"]) < 0.005
        assert abs(sum(pays[p]["amount"] for p in o["payment_ids"]) - o["amount_paid"]) < 0.005
        assert abs(o["amount_paid"] - o["amount_total"]) < 0.005
        change = -sum(pays[p]["amount"] for p in o["payment_ids"] if pays[p]["is_change"])
        assert abs(change - o["amount_return"]) < 0.005
        for ln in ls:
            base = float(round_money(ln["price_unit"] * (1 - ln["discount"] / 100) * ln["qty"]))
            tax = taxes[ln["tax_ids"][0]]
            expected_incl = base if tax["price_include"] else float(round_money(base * (1 + tax["amount"] / 100)))
            assert abs(ln["price_subtotal_incl"] - expected_incl) < 0.005


def test_states_and_cashiers(odoo: odoorpc.ODOO) -> None:
    states = {s for s in (r["state"] for r in odoo.execute_kw("pos.order", "search_read", [[]], {"fields": ["state"]}))}
    assert {"done", "cancel", "invoiced", "paid"} <= states
    assert odoo.execute_kw("pos.order", "search_count", [[("employee_id", "!=", False)]]) > 0
    unsettled = odoo.execute_kw("pos.order", "search_read", [[("state", "in", ["draft", "cancel"])]],
                                {"fields": ["amount_paid", "payment_ids"]})
    assert unsettled and all(o["amount_paid"] == 0 and not o["payment_ids"] for o in unsettled)
    hours = {r["date_order"][11:13] for r in odoo.execute_kw("pos.order", "search_read", [[]],
                                                             {"fields": ["date_order"]})}
    assert {"16", "17"} <= hours  # 23:xx and 00:xx WIB: the business day differs from the UTC day


def test_refunds_link_to_original_lines(odoo: odoorpc.ODOO, demo_server: DemoOdoo) -> None:
    refund_lines = odoo.execute_kw("pos.order.line", "search_read", [[("refunded_orderline_id", "!=", False)]],
                                   {"fields": ["qty", "order_id", "refunded_orderline_id", "product_id"]})
    assert refund_lines
    originals = {ln["id"]: ln for ln in odoo.execute_kw("pos.order.line", "read", [
        [ln["refunded_orderline_id"][0] for ln in refund_lines]], {"fields": ["qty", "order_id", "product_id",
                                                                         "refund_orderline_ids"]})}
    order_ids = {ln["order_id"][0] for ln in refund_lines} | {o["order_id"][0] for o in originals.values()}
    orders = {o["id"]: o for o in odoo.execute_kw("pos.order", "read", [list(order_ids)],
                                                  {"fields": ["date_order", "name", "is_refunded"]})}
    for ln in refund_lines:
        orig = originals[ln["refunded_orderline_id"][0]]
        assert ln["qty"] < 0 and -ln["qty"] <= orig["qty"] and ln["product_id"] == orig["product_id"]
        assert ln["id"] in orig["refund_orderline_ids"]
        refund, original = orders[ln["order_id"][0]], orders[orig["order_id"][0]]
        assert refund["date_order"][:10] > original["date_order"][:10]
        assert refund["name"] == original["name"] + " REFUND" and original["is_refunded"]


def test_invoiced_pos_orders_link_both_ways(odoo: odoorpc.ODOO) -> None:
    orders = odoo.execute_kw("pos.order", "search_read", [[("state", "=", "invoiced")]],
                             {"fields": ["account_move", "amount_total", "partner_id"]})
    assert orders
    moves = {m["id"]: m for m in odoo.execute_kw("account.move", "read", [[o["account_move"][0] for o in orders]], {
        "fields": ["pos_order_ids", "move_type", "amount_total", "state", "partner_id", "invoice_line_ids", "line_ids"]})}
    for o in orders:
        move = moves[o["account_move"][0]]
        assert move["pos_order_ids"] == [o["id"]] and move["move_type"] == "out_invoice" and move["state"] == "posted"
        assert abs(move["amount_total"] - o["amount_total"]) < 0.005 and move["partner_id"] == o["partner_id"]
        assert set(move["invoice_line_ids"]) < set(move["line_ids"])


def test_account_moves_balance(odoo: odoorpc.ODOO) -> None:
    lines = odoo.execute_kw("account.move.line", "search_read", [[]], {"fields": ["move_id", "balance"]})
    per_move: dict[int, float] = defaultdict(float)
    for ln in lines:
        per_move[ln["move_id"][0]] += ln["balance"]
    assert all(abs(v) < 0.01 for v in per_move.values())
    types = {m["move_type"] for m in odoo.execute_kw("account.move", "search_read", [[]], {"fields": ["move_type"]})}
    assert {"out_invoice", "out_refund", "in_invoice", "in_refund"} <= types
    bonus = odoo.execute_kw("account.move.line", "search_count", [[("move_id.move_type", "=", "in_invoice"),
                                                                   ("display_type", "=", "product"),
                                                                   ("price_unit", "=", 0)]])
    dozens = odoo.execute_kw("account.move.line", "search_count", [[("product_uom_id.name", "=", "Dozens")]])
    assert bonus > 0 and dozens > 0


def _storable(odoo: odoorpc.ODOO, version: int) -> set[int]:
    """Products that have quants: Odoo 16/17 type 'product', 18 is_storable."""
    leaf = ("is_storable", "=", True) if version >= 18 else ("type", "=", "product")
    return set(odoo.execute_kw("product.product", "search", [[leaf]], {"context": {"active_test": False}}))


def test_quants_match_done_move_lines(odoo: odoorpc.ODOO, demo_server: DemoOdoo) -> None:
    version = demo_server.config.odoo_version
    qty_field = "qty_done" if version == 16 else "quantity"
    internal = set(odoo.execute_kw("stock.location", "search", [[("usage", "=", "internal")]]))
    uoms = {u["id"]: u["factor"] for u in odoo.execute_kw("uom.uom", "search_read", [[]], {"fields": ["factor"]})}
    storable = _storable(odoo, version)
    expected: dict[tuple[int, int], float] = defaultdict(float)
    consumable_moves = 0
    for ml in odoo.execute_kw("stock.move.line", "search_read", [[("state", "=", "done")]], {"fields": [
            "product_id", "location_id", "location_dest_id", qty_field, "product_uom_id"]}):
        if ml["product_id"][0] not in storable:  # consumables move, but have no quants
            consumable_moves += 1
            continue
        qty = ml[qty_field] / uoms[ml["product_uom_id"][0]]
        if ml["location_dest_id"][0] in internal:
            expected[(ml["product_id"][0], ml["location_dest_id"][0])] += qty
        if ml["location_id"][0] in internal:
            expected[(ml["product_id"][0], ml["location_id"][0])] -= qty
    quants = odoo.execute_kw("stock.quant", "search_read", [[]], {"fields": ["product_id", "location_id", "quantity"]})
    got = {(q["product_id"][0], q["location_id"][0]): q["quantity"] for q in quants}
    assert consumable_moves > 0 and {p for p, _ in got} <= storable
    assert got.keys() == {k for k, v in expected.items() if abs(v) > 1e-6}
    assert all(abs(got[k] - expected[k]) < 1e-6 for k in got)
    assert all(q == round(q, 2) for q in got.values())  # Σ of quantities rounded to the units' 0.01
    usages = {loc["usage"] for loc in odoo.execute_kw("stock.location", "search_read", [[]], {"fields": ["usage"]})}
    assert {"supplier", "customer", "internal", "inventory", "production", "view", "transit"} <= usages
    assert odoo.execute_kw("stock.move", "search_count", [[("is_inventory", "=", True)]]) > 0
    assert odoo.execute_kw("stock.move", "search_count", [[("raw_material_production_id", "!=", False)]]) > 0


def _fingerprint(params: GenParams) -> str:
    digest = hashlib.sha256()
    db = generate(params)
    for model in sorted(db.tables):
        table = db.tables[model]
        for name in sorted(table.columns):
            col = table.columns[name]
            digest.update(f"{model}.{name}".encode())
            if isinstance(col, StrCol):
                digest.update(col.codes.tobytes())
                digest.update("\x00".join(map(str, col.values)).encode())
            elif isinstance(col, M2MCol):
                digest.update(col.offsets.tobytes() + col.flat.tobytes())
            else:
                digest.update(np.ascontiguousarray(col).tobytes())
    return digest.hexdigest()


def test_generation_is_deterministic() -> None:
    params = GenParams(version=17, days=10, seed=3, end_date=date(2025, 1, 31))
    assert _fingerprint(params) == _fingerprint(params)
    assert _fingerprint(params) != _fingerprint(GenParams(version=17, days=10, seed=4, end_date=date(2025, 1, 31)))


def test_pos_lines_size_knob() -> None:
    db = generate(GenParams(version=18, days=30, seed=1, pos_lines=20_000, end_date=date(2025, 1, 31)))
    assert 18_000 <= db.tables["pos.order.line"].n <= 22_000


def test_nothing_is_written_after_the_last_business_day() -> None:
    end = date(2025, 1, 31)
    horizon = int(datetime(2025, 1, 31, 17, 0, tzinfo=timezone.utc).timestamp())  # 1 Feb 00:00 WIB
    db = generate(GenParams(version=17, days=10, seed=5, end_date=end))
    for name, table in db.tables.items():
        for field in ("create_date", "write_date"):
            if field in table.columns:
                assert int(np.max(table.columns[field], initial=0)) < horizon, (name, field)


def test_a_demo_started_before_the_last_sessions_close_has_them_in_progress() -> None:
    """The last day's sessions close after midnight: a demo started before that has them open, and no stock move
    done after its present (quants read then would hold moves that have not happened)."""
    end = date(2025, 1, 31)
    now = int(datetime(2025, 1, 31, 17, 30, tzinfo=timezone.utc).timestamp())  # 1 Feb 00:30 WIB
    db = generate(GenParams(version=17, days=10, seed=5, end_date=end, now=now))
    sessions = db.tables["pos.session"].columns
    last_day = sessions["start_at"] >= now - 36 * 3600  # opened just before 31 Jan 00:00 WIB
    state = np.array(sessions["state"].get(np.arange(len(last_day))))
    assert last_day.sum() > 1 and (state[last_day] == "opened").all() and (state[~last_day] == "closed").all()
    done = db.tables["stock.move.line"].columns
    assert int(np.max(done["date"])) <= now

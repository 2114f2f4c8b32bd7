"""The ``bad_records`` fault knob over HTTP: each kind of odd POS record appears in the order, line and payment
answers of a business day (consistently, whatever the keyset paging), and ``GET /demo/bad_records`` reports
exactly what was served."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import date, datetime, timedelta
from typing import Any

import odoorpc
import pytest

from demo_odoo.bad_records import KINDS
from demo_odoo.server import DemoOdoo
from tests.support.demo_control import bad_records_report, faults

DAY = date(2025, 3, 30)
ORDER_FIELDS = ["date_order", "amount_total", "amount_paid", "amount_tax", "state", "name"]
LINE_FIELDS = ["order_id", "product_id", "qty", "price_unit", "price_subtotal", "price_subtotal_incl"]
PAYMENT_FIELDS = ["pos_order_id", "payment_method_id", "amount", "is_change"]
GHOST = 987654321


def utc_range(day: date) -> list[tuple[str, str, str]]:
    """Domain of the orders of the Asia/Jakarta business day ``day``."""
    start = datetime(day.year, day.month, day.day) - timedelta(hours=7)
    fmt = "%Y-%m-%d %H:%M:%S"
    return [("date_order", ">=", start.strftime(fmt)), ("date_order", "<", (start + timedelta(days=1)).strftime(fmt))]


def keyset(odoo: odoorpc.ODOO, model: str, domain: list, fields: list[str], page: int) -> list[list[dict[str, Any]]]:
    """All pages of ``model`` by id keyset (``id > last id``), ``page`` rows at a time."""
    pages: list[list[dict[str, Any]]] = []
    last = 0
    while True:
        rows = odoo.execute_kw(model, "search_read", [domain + [("id", ">", last)]],
                               {"fields": fields, "order": "id", "limit": page})
        if not rows:
            return pages
        pages.append(rows)
        last = rows[-1]["id"]


def fetch_day(odoo: odoorpc.ODOO, page: int) -> dict[str, list[dict[str, Any]]]:
    orders = [r for p in keyset(odoo, "pos.order", utc_range(DAY), ORDER_FIELDS, page) for r in p]
    order_ids = sorted({o["id"] for o in orders})
    lines = keyset(odoo, "pos.order.line", [("order_id", "in", order_ids)], LINE_FIELDS, page)
    payments = keyset(odoo, "pos.payment", [("pos_order_id", "in", order_ids)], PAYMENT_FIELDS, page)
    for pages in (lines, payments):
        for rows in pages:  # a duplicate follows its original: ids never go down within a page
            assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)
    return {"orders": orders, "lines": [r for p in lines for r in p], "payments": [r for p in payments for r in p]}


def by_id(rows: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        found.setdefault(row["id"], []).append(row)
    return found


@pytest.fixture()
def clean(scratch: odoorpc.ODOO) -> dict[str, list[dict[str, Any]]]:
    return fetch_day(scratch, 2000)


def test_every_kind_hits_its_order_and_is_reported(scratch: odoorpc.ODOO, scratch_server: DemoOdoo,
                                                   clean: dict[str, list[dict[str, Any]]]) -> None:
    url = scratch_server.url
    sale = sorted(o["id"] for o in clean["orders"] if o["state"] in ("paid", "done", "invoiced"))
    with faults(url, bad_records=list(KINDS)):
        planned = _get(url, f"/demo/bad_records?day={DAY}")["targets"]
        assert [planned[kind]["order_id"] for kind in KINDS] == sale[:len(KINDS)]
        assert bad_records_report(url)["served"] == {kind: [] for kind in KINDS}
        for page in (2000, 37):  # the same records are hit whatever the paging
            got = fetch_day(scratch, page)
            _check_kinds(planned, clean, got)
        report = bad_records_report(url)
    assert report["kinds"] == list(KINDS)
    for kind in KINDS:
        entry = {k: planned[kind][k] for k in ("day", "model", "order_id", "line_id", "payment_id")}
        assert report["served"][kind] == [entry], kind
    served_days = {e["day"] for entries in report["served"].values() for e in entries}
    assert served_days == {DAY.isoformat()}
    assert bad_records_report(url)["served"] == {}  # faults() switched the knob off and started a new log


def _check_kinds(planned: dict[str, dict[str, Any]], clean: dict[str, list[dict[str, Any]]],
                 got: dict[str, list[dict[str, Any]]]) -> None:
    target = {kind: planned[kind] for kind in KINDS}
    clean_o, clean_l, clean_p = (by_id(clean[k]) for k in ("orders", "lines", "payments"))
    got_o, got_l, got_p = (by_id(got[k]) for k in ("orders", "lines", "payments"))
    assert got_o.keys() == clean_o.keys() and got_l.keys() == clean_l.keys() and got_p.keys() == clean_p.keys()
    expected_o = {i: [dict(r[0])] for i, r in clean_o.items()}
    expected_l = {i: [dict(r[0])] for i, r in clean_l.items()}
    expected_p = {i: [dict(r[0])] for i, r in clean_p.items()}

    wrong = expected_o[target["wrong_day"]["order_id"]][0]
    wrong["date_order"] = (datetime.fromisoformat(wrong["date_order"]) - timedelta(days=3)).strftime("%Y-%m-%d %H:%M:%S")
    same = expected_l[target["duplicate_identical"]["line_id"]]
    same.append(dict(same[0]))
    conflict = expected_l[target["duplicate_conflicting"]["line_id"]]
    conflict.append({**conflict[0], **{k: conflict[0][k] * 2 for k in ("qty", "price_subtotal", "price_subtotal_incl")}})
    pay = expected_p[target["duplicate_payment"]["payment_id"]]
    pay.append(dict(pay[0]))
    expected_o[target["unbalanced_order"]["order_id"]][0]["amount_total"] += 1000
    expected_p[target["unbalanced_payments"]["payment_id"]][0]["amount"] += 1000
    absurd = target["absurd_amount"]
    line = expected_l[absurd["line_id"]][0]
    delta = round(line["price_subtotal_incl"] * 1e9, 2) - line["price_subtotal_incl"]
    for name in ("price_unit", "price_subtotal", "price_subtotal_incl"):
        line[name] = round(line[name] * 1e9, 2)
    order = expected_o[absurd["order_id"]][0]
    order["amount_total"] = round(order["amount_total"] + delta, 2)
    order["amount_paid"] = round(order["amount_paid"] + delta, 2)
    order["amount_tax"] = got_o[absurd["order_id"]][0]["amount_tax"]  # checked below
    expected_p[absurd["payment_id"]][0]["amount"] = round(expected_p[absurd["payment_id"]][0]["amount"] + delta, 2)
    expected_l[target["null_amount"]["line_id"]][0]["price_subtotal_incl"] = False
    expected_l[target["non_numeric_amount"]["line_id"]][0]["price_subtotal_incl"] = "12abc"
    expected_l[target["unknown_product"]["line_id"]][0]["product_id"] = [GHOST, "Ghost product"]
    expected_p[target["unknown_payment_method"]["payment_id"]][0]["payment_method_id"] = [GHOST, "Ghost payment method"]

    assert got_o == expected_o and got_l == expected_l and got_p == expected_p
    absurd_lines = [ln for ln in got["lines"] if ln["order_id"][0] == absurd["order_id"]]
    absurd_pays = [p for p in got["payments"] if p["pos_order_id"][0] == absurd["order_id"]]
    assert abs(sum(ln["price_subtotal_incl"] for ln in absurd_lines) - order["amount_total"]) < 1
    assert abs(sum(ln["price_subtotal_incl"] - ln["price_subtotal"] for ln in absurd_lines) - order["amount_tax"]) < 1
    assert abs(sum(p["amount"] for p in absurd_pays) - order["amount_paid"]) < 1 and order["amount_total"] > 1e9
    lines_of_wrong = [ln for ln in got["lines"] if ln["order_id"][0] == target["wrong_day"]["order_id"]]
    assert lines_of_wrong == [r for ln in lines_of_wrong for r in clean_l[ln["id"]]]  # its lines are unchanged


def test_read_with_load_none_and_kind_order(scratch: odoorpc.ODOO, scratch_server: DemoOdoo) -> None:
    url = scratch_server.url
    with faults(url, bad_records=["unknown_payment_method", "unknown_product"]):
        planned = _get(url, f"/demo/bad_records?day={DAY}")["targets"]
        line = planned["unknown_product"]["line_id"]
        payment = planned["unknown_payment_method"]["payment_id"]
        assert planned["unknown_payment_method"]["order_id"] < planned["unknown_product"]["order_id"]
        assert scratch.execute_kw("pos.order.line", "read", [[line]], {"fields": ["product_id"], "load": None}) == [
            {"id": line, "product_id": GHOST}]
        assert scratch.execute_kw("pos.payment", "search_read", [[("id", "=", payment)]], {
            "fields": ["payment_method_id"], "load": None}) == [{"id": payment, "payment_method_id": GHOST}]
        assert scratch.execute_kw("pos.order.line", "read", [[line]], {"fields": ["qty"]})[0]["qty"]  # not asked: as is
        report = bad_records_report(url)["served"]
        assert [e["line_id"] for e in report["unknown_product"]] == [line]
        assert [e["payment_id"] for e in report["unknown_payment_method"]] == [payment]
    assert scratch.execute_kw("pos.order.line", "read", [[line]], {"fields": ["product_id"], "load": None})[0][
        "product_id"] != GHOST


def test_unknown_kind_is_rejected(scratch_server: DemoOdoo) -> None:
    request = urllib.request.Request(f"{scratch_server.url}/demo/faults", data=json.dumps(
        {"bad_records": ["wrong_day", "nonsense"]}).encode(), headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=10)
    assert err.value.code == 400 and "nonsense" in err.value.read().decode()


def _get(url: str, path: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{url}{path}", timeout=10) as response:
        return json.loads(response.read())

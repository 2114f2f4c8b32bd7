"""ORM semantics over RPC: fields per version, domains, ordering and paging, active_test, value encodings."""
from __future__ import annotations

import re

import odoorpc
import pytest

from demo_odoo.server import DemoOdoo


def test_fields_per_version(odoo: odoorpc.ODOO, demo_server: DemoOdoo) -> None:
    v = demo_server.config.odoo_version
    sml = odoo.execute_kw("stock.move.line", "fields_get", [], {"attributes": ["type", "string"]})
    move = odoo.execute_kw("stock.move", "fields_get", [])
    product = odoo.execute_kw("product.product", "fields_get", [])
    tax = odoo.execute_kw("account.tax", "fields_get", [])
    order = odoo.execute_kw("pos.order", "fields_get", [])
    mrp = odoo.execute_kw("mrp.production", "fields_get", [])
    assert ("qty_done" in sml, "quantity" in sml, "picked" in sml) == ((True, False, False) if v == 16 else (False, True, True))
    assert ("quantity_done" in move, "quantity" in move) == ((True, False) if v == 16 else (False, True))
    assert ("detailed_type" in product, "is_storable" in product) == ((False, True) if v == 18 else (True, False))
    types = [key for key, _ in product["type"]["selection"]]
    assert types == (["consu", "service", "combo"] if v == 18 else ["consu", "service", "product"])
    assert ("price_include_override" in tax) == (v == 18)
    assert ("refunded_order_id" in order, "refunded_order_ids" in order) == ((True, False) if v == 18 else (False, True))
    assert ("date_start" in mrp, "date_planned_start" in mrp) == ((False, True) if v == 16 else (True, False))
    assert product["product_brand_id"]["relation"] == "product.brand"
    assert not any(name.startswith("x_studio") for name in product)
    assert order["lines"] == {**order["lines"], "type": "one2many", "relation": "pos.order.line",
                              "relation_field": "order_id"}
    assert sml["move_id"] == {"type": "many2one", "string": "Stock Operation"}


def test_value_encodings(odoo: odoorpc.ODOO) -> None:
    order = odoo.execute_kw("pos.order", "search_read", [[("partner_id", "=", False), ("state", "=", "done")]],
                            {"limit": 1, "order": "id"})[0]
    assert order["partner_id"] is False and isinstance(order["session_id"], list)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", order["date_order"])
    assert isinstance(order["lines"], list) and all(isinstance(i, int) for i in order["lines"])
    assert isinstance(order["amount_total"], float) and order["state"] == "done" and "id" in order
    move = odoo.execute_kw("account.move", "search_read", [[("move_type", "=", "out_invoice")]],
                           {"fields": ["invoice_date", "reversed_entry_id"], "limit": 1})[0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", move["invoice_date"]) and move["reversed_entry_id"] is False
    assert set(move) == {"id", "invoice_date", "reversed_entry_id"}
    read = odoo.execute_kw("pos.order", "read", [[order["id"]]], {"fields": ["session_id"], "load": None})
    assert read == [{"id": order["id"], "session_id": order["session_id"][0]}]


def _partners(odoo: odoorpc.ODOO) -> list[dict]:
    return odoo.execute_kw("res.partner", "search_read", [[]],
                           {"fields": ["name", "city", "customer_rank", "is_company", "ref", "active"],
                            "context": {"active_test": False}})


def _ids(odoo: odoorpc.ODOO, domain: list) -> set[int]:
    return set(odoo.execute_kw("res.partner", "search", [domain], {"context": {"active_test": False}}))


@pytest.mark.parametrize("domain, predicate", [
    ([("city", "=", "Bandung")], lambda r: r["city"] == "Bandung"),
    ([("city", "!=", "Bandung")], lambda r: r["city"] != "Bandung"),
    ([("city", "=", False)], lambda r: r["city"] is False),
    ([("city", "!=", False)], lambda r: r["city"] is not False),
    ([("city", "in", ["Bandung", "Bogor"])], lambda r: r["city"] in ("Bandung", "Bogor")),
    ([("city", "not in", ["Bandung", "Bogor"])], lambda r: r["city"] not in ("Bandung", "Bogor")),
    ([("name", "like", "Santoso")], lambda r: "Santoso" in r["name"]),
    ([("name", "ilike", "santoso")], lambda r: "santoso" in r["name"].lower()),
    ([("name", "not ilike", "santoso")], lambda r: "santoso" not in r["name"].lower()),
    ([("name", "=like", "Budi%")], lambda r: r["name"].startswith("Budi")),
    ([("name", "=ilike", "budi _antoso")], lambda r: re.fullmatch(r"budi .antoso", r["name"].lower()) is not None),
    ([("ref", "not like", "MBR")], lambda r: r["ref"] is False or "MBR" not in r["ref"]),
    ([("customer_rank", ">", 10), ("customer_rank", "<=", 20)], lambda r: 10 < r["customer_rank"] <= 20),
    (["|", ("is_company", "=", True), ("customer_rank", ">=", 30)], lambda r: r["is_company"] or r["customer_rank"] >= 30),
    (["!", ("is_company", "=", True)], lambda r: not r["is_company"]),
    (["&", "|", ("city", "=", "Bogor"), ("city", "=", "Medan"), "!", ("active", "=", True)],
     lambda r: r["city"] in ("Bogor", "Medan") and not r["active"]),
    ([("id", "in", [1, 2, 3]), ("id", "!=", 2)], lambda r: r["id"] in (1, 3)),
])
def test_domain_operators(odoo: odoorpc.ODOO, domain: list, predicate) -> None:
    expected = {r["id"] for r in _partners(odoo) if predicate(r)}
    assert _ids(odoo, domain) == expected


def test_active_test(odoo: odoorpc.ODOO) -> None:
    everything = odoo.execute_kw("res.partner", "search_count", [[]], {"context": {"active_test": False}})
    active = odoo.execute_kw("res.partner", "search_count", [[]])
    archived = odoo.execute_kw("res.partner", "search_count", [[("active", "=", False)]])
    assert active + archived == everything and archived > 0
    assert odoo.execute_kw("account.tax", "search_count", [[("amount", "=", 12.0)]]) == 0
    assert odoo.execute_kw("account.tax", "search_count", [[("amount", "=", 12.0)]], {"context": {"active_test": False}}) == 1


def test_child_of_and_dotted_paths(odoo: odoorpc.ODOO) -> None:
    cats = odoo.execute_kw("product.category", "search_read", [[]], {"fields": ["complete_name", "parent_path"]})
    food = next(c for c in cats if c["complete_name"] == "All / Makanan")
    under = {c["id"] for c in cats if c["parent_path"].startswith(food["parent_path"])}
    assert set(odoo.execute_kw("product.category", "search", [[("id", "child_of", food["id"])]])) == under
    products = odoo.execute_kw("product.product", "search_read", [[("categ_id", "child_of", food["id"])]],
                               {"fields": ["categ_id"]})
    assert products and all(p["categ_id"][0] in under for p in products)
    lines = odoo.execute_kw("pos.order.line", "search_read", [[("order_id.state", "=", "cancel")]],
                            {"fields": ["order_id"]})
    cancelled = set(odoo.execute_kw("pos.order", "search", [[("state", "=", "cancel")]]))
    assert lines and {ln["order_id"][0] for ln in lines} <= cancelled
    inv_lines = odoo.execute_kw("account.move.line", "search_count",
                                [[("move_id.move_type", "=", "in_invoice"), ("display_type", "=", "product")]])
    assert inv_lines > 0
    by_name = odoo.execute_kw("pos.order", "search_count", [[("config_id", "ilike", "bandung")]])
    config = odoo.execute_kw("pos.config", "search", [[("name", "ilike", "bandung")]])
    assert by_name == odoo.execute_kw("pos.order", "search_count", [[("config_id", "in", config)]]) > 0


def test_datetime_comparison_and_ordering_paging(odoo: odoorpc.ODOO) -> None:
    domain = [("date_order", ">=", "2025-03-20 17:00:00"), ("date_order", "<", "2025-03-22 17:00:00")]
    everything = odoo.execute_kw("pos.order", "search_read", [domain],
                                 {"fields": ["date_order", "name"], "order": "date_order desc, id"})
    assert everything and all("2025-03-20 17:00:00" <= r["date_order"] < "2025-03-22 17:00:00" for r in everything)
    keys = [(r["date_order"], -r["id"]) for r in everything]
    assert keys == sorted(keys, reverse=True)
    pages = []
    for offset in range(0, len(everything), 37):
        pages += odoo.execute_kw("pos.order", "search_read", [domain], {"fields": ["date_order", "name"],
                                                                        "order": "date_order desc, id",
                                                                        "offset": offset, "limit": 37})
    assert pages == everything
    ids = odoo.execute_kw("pos.order", "search", [domain], {"order": "id desc", "limit": 5})
    assert ids == sorted(ids, reverse=True)
    positional = odoo.execute("pos.order", "search_read", domain, ["name"], 0, 3, "id")
    assert [r["id"] for r in positional] == sorted(r["id"] for r in everything)[:3]

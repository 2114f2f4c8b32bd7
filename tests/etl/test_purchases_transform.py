"""The purchases cleaner on hand-made vendor bills: signs, company currency, UoM conversion, unit cost and the
quarantine rules (pure: raw records in, clean frames out, no Odoo)."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import pytest

from etl import schemas
from etl.load.purchases import purchases_facts
from etl.raw_records import raw_frame
from etl.transform import purchases as tr
from etl.transform.quarantine import CleanContext

DAY = date(2026, 1, 6)
CONTEXT = CleanContext(day=DAY, timezone="Asia/Jakarta", max_line_amount=1e12,
                       known_ids={"dim_products": frozenset({10, 11, 12})})
UNITS, DOZENS, KG = 1, 2, 3
EXCL_TAX, INCL_TAX = 7, 8  # ids as a server would shuffle them: the cleaner reads price_include, never ids

TYPES = {
    "account.move": {"name": "char", "move_type": "selection", "state": "selection", "invoice_date": "date",
                     "partner_id": "many2one", "company_id": "many2one", "amount_untaxed_signed": "monetary",
                     "amount_total_signed": "monetary"},
    "account.move.line": {"move_id": "many2one", "display_type": "selection", "product_id": "many2one",
                          "quantity": "float", "product_uom_id": "many2one", "price_unit": "float",
                          "discount": "float", "price_subtotal": "monetary", "price_total": "monetary",
                          "balance": "monetary", "amount_currency": "monetary", "tax_ids": "many2many",
                          "write_date": "datetime"},
    "account.tax": {"price_include": "boolean"},
    "product.product": {"uom_id": "many2one"},
    "uom.uom": {"factor": "float", "category_id": "many2one"},
}
TAXES = [{"id": EXCL_TAX, "price_include": False}, {"id": INCL_TAX, "price_include": True}]
PRODUCTS = [{"id": 10, "uom_id": [UNITS, "Units"]}, {"id": 11, "uom_id": [UNITS, "Units"]},
            {"id": 12, "uom_id": [KG, "kg"]}]
UOMS = [{"id": UNITS, "factor": 1.0, "category_id": [1, "Unit"]},
        {"id": DOZENS, "factor": 1 / 12, "category_id": [1, "Unit"]},
        {"id": KG, "factor": 1.0, "category_id": [2, "Weight"]}]


def bill(move_id: int, lines: list[dict[str, Any]], move_type: str = "in_invoice", day: date = DAY,
         untaxed: float | None = None, total: float | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A posted bill whose signed totals are its lines' (Odoo's sign: a bill negative), unless given."""
    for line in lines:
        line["move_id"] = [move_id, f"BILL/{move_id}"]
    product = [line for line in lines if line["display_type"] == "product"]
    rate = {line["id"]: line["balance"] / line["amount_currency"] if line["amount_currency"] else 1.0
            for line in product}
    sign = -1 if move_type == "in_refund" else 1
    excl = sum(line["balance"] for line in lines)
    incl = sum(sign * line["price_total"] * rate[line["id"]] for line in product) + sum(
        line["balance"] for line in lines if line["display_type"] != "product")
    return ({"id": move_id, "name": f"BILL/{move_id}", "move_type": move_type, "state": "posted",
             "invoice_date": day.isoformat(), "partner_id": [50, "Vendor"], "company_id": [1, "Co"],
             "amount_untaxed_signed": -excl if untaxed is None else untaxed,
             "amount_total_signed": -incl if total is None else total}, lines)


def line(line_id: int, product: int | None, qty: float, price: float, subtotal: float, total: float, *,
         uom: int | None = UNITS, taxes: tuple[int, ...] = (EXCL_TAX,), discount: float = 0.0, sign: int = 1,
         rate: float = 1.0, display_type: str = "product") -> dict[str, Any]:
    return {"id": line_id, "display_type": display_type, "product_id": [product, "P"] if product else False,
            "quantity": qty, "product_uom_id": [uom, "U"] if uom else False, "price_unit": price,
            "discount": discount, "price_subtotal": subtotal, "price_total": total,
            "balance": round(sign * subtotal * rate, 2), "amount_currency": sign * subtotal, "tax_ids": list(taxes),
            "write_date": "2026-01-06 03:00:00"}


def rounding(line_id: int, balance: float) -> dict[str, Any]:
    return {**line(line_id, None, 0, 0, 0, 0, uom=None, taxes=(), display_type="rounding"), "balance": balance,
            "amount_currency": balance}


def raw(*bills: tuple[dict, list[dict]], extra_lines: list[dict] = (), taxes: list[dict] = TAXES,
        types: dict[str, dict[str, str]] = TYPES) -> pl.DataFrame:
    records = {"account.move": [move for move, _ in bills],
               "account.move.line": [ln for _, lines in bills for ln in lines] + list(extra_lines),
               "account.tax": taxes, "product.product": PRODUCTS, "uom.uom": UOMS}
    return raw_frame(records, types)


def by_line(result: tr.CleanResult) -> dict[int, dict[str, Any]]:
    return {row["line_id"]: row for row in result.tables[tr.CLEAN_TABLE].iter_rows(named=True)}


def test_signs_currency_uom_and_unit_costs() -> None:
    result = tr.clean_purchases(raw(
        bill(1, [line(101, 10, 2, 120.0, 240.0, 266.4, uom=DOZENS),  # 2 dozens at 120 = 24 units at 10
                 line(102, 11, 3, 100.0, 270.0, 299.7, discount=10.0),  # exact: 100 × 0.9
                 line(103, 11, 5, 0.0, 0.0, 0.0),  # free goods
                 line(104, 10, 3, 111.0, 300.0, 333.0, taxes=(INCL_TAX,))]),  # price includes 11 %: Odoo's subtotal
        bill(2, [line(201, 10, 1, 120.0, 120.0, 133.2, uom=DOZENS, sign=-1)], move_type="in_refund"),
        bill(3, [line(301, 11, 4, 2.5, 10.0, 11.1, rate=16_000.0)]),  # a USD bill in an IDR company
        bill(4, [line(401, 11, 1, 99.97, 99.97, 99.97, taxes=()), rounding(402, 0.03)]),  # cash rounding
        bill(5, [line(501, None, 1, 50.0, 50.0, 50.0, uom=None, taxes=())]),  # an expense typed on the bill
    ), CONTEXT)
    assert result.quarantine.height == 0, result.quarantine
    rows = by_line(result)
    assert sorted(rows) == [101, 102, 103, 104, 201, 301, 401, 501]  # the rounding line is not a product line
    expected = {  # line: (quantity in product UoM, excl, incl, unit cost, bonus)
        101: (24.0, 240.0, 266.4, 10.0, False),
        102: (3.0, 270.0, 299.7, 90.0, False),
        103: (5.0, 0.0, 0.0, None, True),
        104: (3.0, 300.0, 333.0, 100.0, False),
        201: (-12.0, -120.0, -133.2, 10.0, False),
        301: (4.0, 160_000.0, 177_600.0, 40_000.0, False),
        401: (1.0, 99.97, 99.97, 99.97, False),
        501: (1.0, 50.0, 50.0, 50.0, False),
    }
    for line_id, (quantity, excl, incl, unit, bonus) in expected.items():
        row = rows[line_id]
        assert row["quantity"] == pytest.approx(quantity), line_id
        assert row["amount_excl_tax"] == pytest.approx(excl) and row["amount_incl_tax"] == pytest.approx(incl)
        assert row["tax_amount"] == pytest.approx(incl - excl)
        assert row["is_bonus"] is bonus and (row["unit_cost_excl_tax"] == pytest.approx(unit) if unit else
                                             row["unit_cost_excl_tax"] is None), line_id
    assert rows[201]["move_type"] == "in_refund" and rows[101]["line_uom_id"] == DOZENS
    assert rows[101]["product_uom_id"] == UNITS and rows[101]["line_quantity"] == 2.0
    assert result.metrics["bills"] == 5 and result.metrics["bills_with_rounding"] == 1
    assert result.metrics["lines_bonus"] == 1 and result.metrics["lines_without_product"] == 1
    assert result.metrics["lines_converted_uom"] == 2 and result.metrics["unknown_product_id"] == 0
    fact = purchases_facts(result.tables)["fact_purchases"]
    assert fact.schema == schemas.FACT_PURCHASES and fact.height == 8


def test_price_included_is_read_from_the_override_when_the_server_has_no_price_include() -> None:
    types = {**TYPES, "account.tax": {"price_include_override": "selection"}}
    taxes = [{"id": EXCL_TAX, "price_include_override": False},
             {"id": INCL_TAX, "price_include_override": "tax_included"}]
    # price 111 includes 11 %: only Odoo's subtotal (300) gives the cost; with the tax excluded it is 111 × 0.9
    result = tr.clean_purchases(raw(bill(1, [line(104, 10, 3, 111.0, 300.0, 333.0, taxes=(INCL_TAX,)),
                                             line(105, 10, 1, 111.0, 99.9, 110.89, discount=10.0)]),
                                    taxes=taxes, types=types), CONTEXT)
    rows = by_line(result)
    assert rows[104]["unit_cost_excl_tax"] == pytest.approx(100.0)
    assert rows[105]["unit_cost_excl_tax"] == pytest.approx(99.9)


def test_a_tax_that_was_not_read_falls_back_to_odoos_subtotal_and_is_counted() -> None:
    result = tr.clean_purchases(raw(bill(1, [line(101, 10, 3, 33.33, 99.99, 110.99, taxes=(999,))])), CONTEXT)
    assert by_line(result)[101]["unit_cost_excl_tax"] == pytest.approx(33.33)
    assert result.metrics["lines_unknown_tax"] == 1


def test_bad_bills_are_quarantined_whole_and_bad_lines_alone() -> None:
    good = line(701, 10, 1, 10.0, 10.0, 11.1)
    conflicting = line(901, 10, 1, 10.0, 10.0, 11.1)
    identical = line(1001, 11, 2, 5.0, 10.0, 11.1)
    bad_uom = line(1102, 10, 1, 7.0, 7.0, 7.77, uom=KG)  # kilograms of a product counted in units
    odd = line(1201, 10, 1, 10.0, 10.0, 11.1)
    odd["price_subtotal"] = "12abc"
    bills = [
        bill(6, [line(601, 10, 1, 10.0, 10.0, 11.1)], day=date(2026, 1, 5)),
        bill(7, [good], untaxed=-11.0),
        bill(8, [line(801, 10, 1, 10.0, 10.0, 11.1)], total=-16.1),
        bill(9, [conflicting]),
        bill(10, [identical]),
        bill(11, [line(1101, 11, 1, 10.0, 10.0, 11.1), bad_uom]),
        bill(12, [odd], untaxed=-10.0, total=-11.1),
    ]
    draft, draft_lines = bill(13, [line(1301, 10, 1, 10.0, 10.0, 11.1)])
    draft["state"] = "draft"
    extra = [{**conflicting, "quantity": 2, "price_subtotal": 20.0}, dict(identical),
             {**line(1401, 10, 1, 1.0, 1.0, 1.11), "move_id": [12345, "gone"]}]
    result = tr.clean_purchases(raw(*bills, (draft, draft_lines), extra_lines=extra), CONTEXT)
    reasons = {(row["model"], row["record_id"]): row["reason"] for row in result.quarantine.iter_rows(named=True)}
    assert reasons[("account.move", 6)] == reasons[("account.move.line", 601)] == tr.REASON_OTHER_DAY
    assert reasons[("account.move", 7)] == tr.REASON_UNTAXED_MISMATCH
    assert reasons[("account.move", 8)] == tr.REASON_TOTAL_MISMATCH
    assert reasons[("account.move", 9)] == tr.REASON_DUPLICATE_CONFLICT
    assert reasons[("account.move", 12)] == tr.REASON_NOT_A_NUMBER
    assert reasons[("account.move", 13)] == tr.REASON_NOT_VENDOR_BILL
    assert reasons[("account.move.line", 1102)] == tr.REASON_UOM
    assert reasons[("account.move.line", 1401)] == tr.REASON_LINE_ORPHAN
    assert ("account.move", 11) not in reasons  # its bill adds up; only the unconvertible line goes
    assert sorted(by_line(result)) == [1001, 1101]
    m = result.metrics
    assert m["bills"] == 8 and m["bills_quarantined"] == 6 and m["duplicates_identical"] == 1
    assert m["duplicates_conflicting"] == 2 and m["lines_orphan"] == 1 and m["lines_uom_not_convertible"] == 1
    assert m["bills_not_of_day"] == m["bills_untaxed_mismatch"] == m["bills_total_mismatch"] == 1


def test_unknown_products_are_kept_and_counted() -> None:
    context = CleanContext(day=DAY, timezone="Asia/Jakarta", max_line_amount=1e12,
                           known_ids={"dim_products": frozenset({11})})
    result = tr.clean_purchases(raw(bill(1, [line(101, 10, 1, 10.0, 10.0, 11.1)])), context)
    assert result.metrics["unknown_product_id"] == 1 and result.tables[tr.CLEAN_TABLE].height == 1


def test_an_empty_day_is_typed() -> None:
    result = tr.clean_purchases(raw(taxes=[]), CONTEXT)
    assert result.tables[tr.CLEAN_TABLE].schema == tr.CLEAN_SCHEMA and result.tables[tr.CLEAN_TABLE].height == 0
    assert result.quarantine.height == 0 and not any(result.metrics.values())
    assert purchases_facts(result.tables)["fact_purchases"].schema == schemas.FACT_PURCHASES

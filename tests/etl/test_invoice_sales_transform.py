"""The invoice-sales clean transform and fact builder: company-currency amounts, credit notes, POS exclusion, product
units and quarantine."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from etl import schemas
from etl.load.invoice_sales import invoice_sales_facts
from etl.raw_records import raw_frame
from etl.transform.invoice_sales import CLEAN_LINES, clean_invoice_sales
from etl.transform.quarantine import CleanContext, CleanResult
from etl.transform.uom import REASON_NOT_CONVERTIBLE

DAY = date(2026, 11, 20)
IDR, USD = 3, 1
UNITS, DOZENS, KG = 1, 2, 3
TYPES = {
    "account.move": {"name": "char", "move_type": "selection", "state": "selection", "invoice_date": "date",
                     "partner_id": "many2one", "invoice_user_id": "many2one", "company_id": "many2one",
                     "currency_id": "many2one", "amount_untaxed_signed": "monetary", "amount_total_signed": "monetary",
                     "amount_total": "monetary", "pos_order_ids": "one2many", "write_date": "datetime"},
    "account.move.line": {"move_id": "many2one", "display_type": "selection", "product_id": "many2one",
                          "quantity": "float", "product_uom_id": "many2one", "price_unit": "float", "discount": "float",
                          "price_subtotal": "monetary", "price_total": "monetary", "balance": "monetary",
                          "amount_currency": "monetary", "currency_id": "many2one", "write_date": "datetime"},
    "product.product": {"uom_id": "many2one"},
    "uom.uom": {"factor": "float", "category_id": "many2one"},
}
PRODUCTS = [{"id": 100, "uom_id": [UNITS, "Units"]}]
UOMS = [{"id": UNITS, "factor": 1.0, "category_id": [1, "Unit"]},
        {"id": DOZENS, "factor": 1 / 12, "category_id": [1, "Unit"]},
        {"id": KG, "factor": 1.0, "category_id": [2, "Weight"]}]
NO_POS_TYPES = {**TYPES, "account.move": {k: v for k, v in TYPES["account.move"].items() if k != "pos_order_ids"}}


def move(mid: int, total: float, *, kind: str = "out_invoice", signed: float | None = None, pos: list | None = None,
         when: str = "2026-11-20", state: str = "posted", currency: int = IDR) -> dict:
    sign = 1 if kind == "out_invoice" else -1
    return {"id": mid, "name": f"INV/{mid:05d}", "move_type": kind, "state": state, "invoice_date": when,
            "partner_id": [40, "PT Pelanggan"], "invoice_user_id": [2, "Admin"], "company_id": [1, "Co"],
            "currency_id": [currency, "C"], "amount_untaxed_signed": 0.0,
            "amount_total_signed": sign * total if signed is None else signed, "amount_total": total,
            "pos_order_ids": pos or [], "write_date": "2026-11-20 10:00:00"}


def line(lid: int, mid: int, qty: float, unit: float, excl: float, incl: float, *, kind: str = "out_invoice",
         rate: float = 1.0, product: int | None = 100, discount: float = 0.0, uom: int | None = None) -> dict:
    """A product line as Odoo stores it: amounts in the invoice currency, balance in company currency at `rate`;
    quantity and price_unit in unit `uom`."""
    direction = -1 if kind == "out_invoice" else 1
    return {"id": lid, "move_id": [mid, "m"], "display_type": "product",
            "product_id": [product, "p"] if product else False, "quantity": qty,
            "product_uom_id": [uom, "u"] if uom else False, "price_unit": unit,
            "discount": discount, "price_subtotal": excl, "price_total": incl,
            "balance": round(direction * excl * rate, 2), "amount_currency": direction * excl,
            "currency_id": [IDR if rate == 1.0 else USD, "C"], "write_date": "2026-11-20 10:00:00"}


def clean(moves: list, lines: list, *, types: dict = TYPES, max_line_amount: float = 1e12,
          known_ids: dict | None = None) -> CleanResult:
    context = CleanContext(day=DAY, timezone="Asia/Jakarta", max_line_amount=max_line_amount,
                           known_ids=known_ids or {})
    records = {"account.move": moves, "account.move.line": lines, "product.product": PRODUCTS, "uom.uom": UOMS}
    return clean_invoice_sales(raw_frame(records, types), context)


def fact(result: CleanResult) -> pl.DataFrame:
    return invoice_sales_facts(result.tables)["fact_invoice_sales"]


def reasons(result: CleanResult) -> dict[int, str]:
    return dict(zip(result.quarantine["record_id"].to_list(), result.quarantine["reason"].to_list()))


def test_invoice_in_company_currency_keeps_odoo_amounts_exactly() -> None:
    result = clean([move(1, 333.0)], [line(10, 1, 2, 100, 200, 222), line(11, 1, 1, 100, 100, 111)])
    rows = fact(result)
    assert rows.schema == schemas.FACT_INVOICE_SALES
    assert rows["revenue"].to_list() == [222.0, 111.0]
    assert rows["revenue_excl_tax"].to_list() == [200.0, 100.0]
    assert rows["tax_amount"].to_list() == [22.0, 11.0]
    assert rows["quantity"].to_list() == [2.0, 1.0]
    assert rows["date"].to_list() == [DAY, DAY]
    first = rows.row(0, named=True)
    assert (first["customer_id"], first["salesperson_id"], first["company_id"], first["move_name"]) == (
        40, 2, 1, "INV/00001")
    assert result.quarantine.height == 0 and result.metrics["moves"] == 1


def test_credit_note_is_negative() -> None:
    result = clean([move(2, 111.0, kind="out_refund")], [line(20, 2, 1, 100, 100, 111, kind="out_refund")])
    row = fact(result).row(0, named=True)
    signed = (row["quantity"], row["revenue"], row["revenue_excl_tax"], row["tax_amount"])
    assert signed == (-1.0, -111.0, -100.0, -11.0)
    assert row["move_type"] == "out_refund" and row["price_unit"] == 100.0


def test_foreign_currency_invoice_is_converted_with_the_lines_own_balance() -> None:
    rate = 16_000.0  # IDR per USD: balance = amount_currency converted by Odoo
    result = clean([move(3, 22.2, signed=355_200.0, currency=USD)], [line(30, 3, 2, 10, 20, 22.2, rate=rate)])
    row = fact(result).row(0, named=True)
    assert row["revenue_excl_tax"] == 320_000.0
    assert row["revenue"] == pytest.approx(355_200.0)
    assert row["tax_amount"] == pytest.approx(35_200.0)
    assert row["price_unit"] == pytest.approx(160_000.0)
    assert result.metrics["lines_other_currency"] == 1 and result.quarantine.height == 0


def test_lines_in_another_unit_are_put_in_the_products_unit() -> None:
    rate = 16_000.0
    result = clean(
        [move(1, 277.5), move(2, 133.2, kind="out_refund", signed=-133.2 * rate, currency=USD)],
        [line(10, 1, 2, 120, 240, 266.4, uom=DOZENS),  # 2 dozens at 120 = 24 units at 10
         line(11, 1, 1, 10, 10, 11.1, uom=KG),  # kilograms of a product counted in units: cannot be converted
         line(20, 2, 1, 120, 120, 133.2, kind="out_refund", rate=rate, uom=DOZENS)],
    )
    rows = {row["line_id"]: row for row in fact(result).iter_rows(named=True)}
    assert set(rows) == {10, 20}
    assert (rows[10]["quantity"], rows[10]["price_unit"], rows[10]["revenue"]) == (24.0, 10.0, 266.4)
    assert rows[20]["quantity"] == -12.0 and rows[20]["price_unit"] == pytest.approx(160_000.0)
    assert rows[20]["revenue"] == pytest.approx(-133.2 * rate) and rows[20]["revenue_excl_tax"] == -120 * rate
    assert reasons(result) == {11: REASON_NOT_CONVERTIBLE}  # alone: its invoice still adds up with it
    as_read = result.tables[CLEAN_LINES].filter(pl.col("line_id") == 10).row(0, named=True)
    assert (as_read["line_quantity"], as_read["line_uom_id"], as_read["product_uom_id"]) == (2.0, DOZENS, UNITS)
    metrics = result.metrics
    assert (metrics["lines_converted_uom"], metrics["lines_uom_not_convertible"]) == (2, 1)
    assert metrics["moves_quarantined"] == 0


def test_pos_invoices_are_left_out_and_counted_not_quarantined() -> None:
    result = clean([move(4, 111.0, pos=[77]), move(5, 111.0)],
                   [line(40, 4, 1, 100, 100, 111), line(50, 5, 1, 100, 100, 111)])
    assert fact(result)["move_id"].to_list() == [5]
    assert result.quarantine.height == 0
    assert (result.metrics["moves_from_pos"], result.metrics["lines_from_pos"], result.metrics["moves"]) == (1, 1, 1)


def test_without_point_of_sale_nothing_is_excluded() -> None:
    moves = [{k: v for k, v in move(5, 111.0).items() if k != "pos_order_ids"}]
    result = clean(moves, [line(50, 5, 1, 100, 100, 111)], types=NO_POS_TYPES)
    assert fact(result)["line_id"].to_list() == [50] and result.metrics["moves_from_pos"] == 0


def test_bad_invoices_are_quarantined_whole_with_their_reason() -> None:
    result = clean(
        [move(1, 111.0, when="2026-11-19"), move(2, 1111.0), move(3, 111.0, state="draft"), move(4, 111.0),
         move(5, 111.0)],
        [line(10, 1, 1, 100, 100, 111), line(20, 2, 1, 100, 100, 111), line(30, 3, 1, 100, 100, 111),
         line(40, 4, 1, 100, 100, 111) | {"price_total": "12abc"}, line(41, 4, 0, 0, 0, 0),
         line(50, 5, 1, 100, 100, 111, product=None), line(60, 99, 1, 5, 5, 5)],
    )
    assert fact(result)["line_id"].to_list() == [50]
    other_day, mismatch = "invoice date is not the partition's day", "product lines do not add up to the invoice total"
    not_posted, not_a_number = "not a posted customer invoice or credit note", "amount null or not a number"
    assert reasons(result) == {1: other_day, 10: other_day, 2: mismatch, 20: mismatch, 3: not_posted, 30: not_posted,
                               4: not_a_number, 40: not_a_number, 41: not_a_number,
                               60: "line's invoice is not a customer invoice of this day"}
    metrics = result.metrics
    assert (metrics["moves_not_of_day"], metrics["moves_lines_mismatch"], metrics["moves_not_customer_invoice"],
            metrics["moves_amount_not_a_number"], metrics["lines_orphan"], metrics["lines_without_product"]) == (
        1, 1, 1, 1, 1, 1)
    assert metrics["moves_quarantined"] == 4


def test_amounts_beyond_the_bound_quarantine_the_invoice() -> None:
    result = clean([move(1, 111.0)], [line(10, 1, 1, 100, 100, 111)], max_line_amount=110.0)
    assert fact(result).height == 0 and set(reasons(result).values()) == {"amount beyond bound"}


def test_duplicates_identical_kept_once_conflicting_quarantined() -> None:
    same = line(10, 1, 1, 100, 100, 111)
    result = clean([move(1, 111.0), move(2, 111.0)],
                   [same, dict(same), line(20, 2, 1, 100, 100, 111), line(20, 2, 2, 100, 200, 222)])
    assert fact(result)["line_id"].to_list() == [10]
    assert result.metrics["duplicates_identical"] == 1 and result.metrics["duplicates_conflicting"] == 2
    assert set(reasons(result).values()) == {"duplicate id with different values"}


def test_rounding_within_one_unit_per_invoice_is_accepted() -> None:
    result = clean([move(1, 111.5)], [line(10, 1, 1, 100, 100, 111)])
    assert fact(result).height == 1 and result.quarantine.height == 0


def test_unknown_products_are_kept_and_counted() -> None:
    result = clean([move(1, 222.0)], [line(10, 1, 1, 100, 100, 111), line(11, 1, 1, 100, 100, 111, product=999)],
                   known_ids={"dim_products": frozenset({100})})
    assert fact(result).height == 2 and result.metrics["unknown_product_id"] == 1


def test_empty_day_gives_typed_empty_tables() -> None:
    result = clean([], [])
    assert result.tables[CLEAN_LINES].height == 0
    assert fact(result).schema == schemas.FACT_INVOICE_SALES
    assert result.quarantine.height == 0 and result.metrics["moves"] == 0

"""The POS clean transform and fact builder: business days, quarantine, refunds and money invariants."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from etl.load.pos_order_lines import pos_facts
from etl.raw_records import raw_frame
from etl.transform.pos_order_lines import CLEAN_LINES, CLEAN_PAYMENTS, clean_pos_lines
from etl.transform.quarantine import CleanContext, CleanResult

JAKARTA = "Asia/Jakarta"
DAY = date(2026, 11, 20)
TYPES = {
    "pos.order": {"name": "char", "date_order": "datetime", "state": "selection", "session_id": "many2one",
                  "config_id": "many2one", "partner_id": "many2one", "user_id": "many2one",
                  "employee_id": "many2one", "company_id": "many2one", "amount_total": "float"},
    "pos.order.line": {"order_id": "many2one", "product_id": "many2one", "qty": "float", "price_unit": "float",
                       "discount": "float", "price_subtotal": "float", "price_subtotal_incl": "float",
                       "refunded_orderline_id": "many2one", "write_date": "datetime"},
    "pos.payment": {"pos_order_id": "many2one", "payment_method_id": "many2one", "amount": "float"},
}


def order(oid: int, when: str, total: float, partner: int | None = None) -> dict:
    return {"id": oid, "name": f"Shop/{oid:04d}", "date_order": when, "state": "paid", "session_id": [7, "S"],
            "config_id": [3, "Store"], "partner_id": [partner, "P"] if partner else False,
            "user_id": [2, "Admin"], "employee_id": [9, "Cashier"], "company_id": [1, "Co"], "amount_total": total}


def line(lid: int, oid: int, qty: float, unit: float, excl: float, incl: float, *, product: int | None = 100,
         discount: float = 0.0, refunded: int | None = None) -> dict:
    return {"id": lid, "order_id": [oid, "o"], "product_id": [product, "p"] if product else False, "qty": qty,
            "price_unit": unit, "discount": discount, "price_subtotal": excl, "price_subtotal_incl": incl,
            "refunded_orderline_id": [refunded, "r"] if refunded else False, "write_date": "2026-11-20 10:00:00"}


def payment(pid: int, oid: int, amount: float, *, method: int | None = 4) -> dict:
    return {"id": pid, "pos_order_id": [oid, "o"], "payment_method_id": [method, "Cash"] if method else False,
            "amount": amount}


def raw(orders: list, lines: list, payments: list, types: dict = TYPES) -> pl.DataFrame:
    """The raw frame extraction would save for these `search_read` records."""
    return raw_frame({"pos.order": orders, "pos.order.line": lines, "pos.payment": payments}, types)


def clean(orders: list, lines: list, payments: list, *, day: date = DAY, types: dict = TYPES,
          max_line_amount: float = 1e12, known_ids: dict | None = None) -> CleanResult:
    context = CleanContext(day=day, timezone=JAKARTA, max_line_amount=max_line_amount, known_ids=known_ids or {})
    return clean_pos_lines(raw(orders, lines, payments, types), context)


@pytest.mark.parametrize(
    ("utc_time", "business_day"),
    [
        ("2026-11-20 16:59:59", date(2026, 11, 20)),  # 23:59:59 WIB
        ("2026-11-20 17:00:00", date(2026, 11, 21)),  # 00:00 WIB next day
        ("2026-11-20 17:30:00", date(2026, 11, 21)),
        ("2026-11-21 02:00:00", date(2026, 11, 21)),
    ],
)
def test_business_day_is_the_jakarta_calendar_day(utc_time: str, business_day: date) -> None:
    result = clean([order(1, utc_time, 111.0)], [line(10, 1, 1, 111, 100, 111)], [payment(20, 1, 111)],
                   day=business_day)
    assert result.tables[CLEAN_LINES]["date"].to_list() == [business_day]
    assert result.tables[CLEAN_PAYMENTS]["date"].to_list() == [business_day]


def test_bad_rows_are_quarantined_with_a_reason_not_dropped() -> None:
    result = clean(
        [order(1, "2026-11-20 03:00:00", 222.0)],
        [line(10, 1, 1, 111, 100, 111), line(11, 1, 1, 111, 100, 111, product=None), line(12, 99, 1, 5, 5, 5)],
        [payment(20, 1, 222), payment(21, 98, 10)],
    )
    assert result.tables[CLEAN_LINES]["line_id"].to_list() == [10]
    reasons = dict(zip(result.quarantine["record_id"].to_list(), result.quarantine["reason"].to_list()))
    assert reasons == {
        11: "line has no product",
        12: "order is not a sale order of this day",
        21: "payment's order is not a sale order of this day",
    }


def test_order_total_mismatch_quarantines_the_order_and_is_counted() -> None:
    result = clean([order(1, "2026-11-20 03:00:00", 500.0)], [line(10, 1, 1, 111, 100, 111)], [])
    assert result.tables[CLEAN_LINES].height == 0
    assert result.quarantine.rows() == [("pos.order", 1, "lines do not add up to the order total"),
                                        ("pos.order.line", 10, "lines do not add up to the order total")]
    assert {name: value for name, value in result.metrics.items() if value} == {
        "orders": 1, "orders_quarantined": 1, "orders_lines_mismatch": 1}


def test_facts_keep_odoo_amounts_and_mark_refunds() -> None:
    result = clean(
        [order(1, "2026-11-20 03:00:00", 199.8, partner=55), order(2, "2026-11-20 04:00:00", -111.0)],
        [line(10, 1, 2, 111, 180, 199.8, discount=10), line(11, 2, -1, 111, -100, -111, refunded=10)],
        [payment(20, 1, 199.8), payment(21, 2, -111)],
    )
    facts = pos_facts(result.tables)
    sales = facts["fact_sales"].sort("line_id")
    assert sales["revenue"].to_list() == [199.8, -111.0]
    assert sales["revenue_excl_tax"].to_list() == [180.0, -100.0]
    assert (sales["revenue"] - sales["tax_amount"]).to_list() == sales["revenue_excl_tax"].to_list()
    assert sales["discount_amount"].to_list() == pytest.approx([22.2, 0.0])
    assert sales["is_refund"].to_list() == [False, True]
    assert sales["refunded_line_id"].to_list() == [None, 10]
    assert sales["customer_id"].to_list() == [55, None]
    assert sales["cashier_id"].to_list() == [9, 9]
    assert facts["fact_payments"]["amount"].sum() == pytest.approx(sales["revenue"].sum())


def test_an_empty_day_gives_typed_empty_facts() -> None:
    facts = pos_facts(clean([], [], []).tables)
    assert facts["fact_sales"].height == 0
    assert facts["fact_sales"].schema["revenue"] == pl.Float64
    assert facts["fact_payments"].schema["payment_method_id"] == pl.Int64

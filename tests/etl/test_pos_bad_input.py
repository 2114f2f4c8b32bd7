"""Bad input to the POS cleaner: each fault is quarantined whole-order (or counted) with its reason, never silently,
and the valid orders beside it come out exactly as they would without it."""

from __future__ import annotations

import polars as pl
import pytest

from etl.transform.pos_order_lines import (
    CLEAN_LINES,
    CLEAN_PAYMENTS,
    ORDER_REASON_METRICS,
    REASON_BEYOND_BOUND,
    REASON_DUPLICATE_CONFLICT,
    REASON_LINES_MISMATCH,
    REASON_NO_DATE,
    REASON_NOT_A_NUMBER,
    REASON_OTHER_DAY,
    REASON_PAYMENTS_MISMATCH,
    clean_pos_lines,
)
from etl.transform.quarantine import CleanContext, CleanResult
from tests.etl.test_pos_transform import DAY, JAKARTA, TYPES, clean, line, order, payment, raw

# A normal order that must pass untouched beside every fault.
NORMAL = ([order(1, "2026-11-20 03:00:00", 111.0)], [line(10, 1, 1, 111, 100, 111)], [payment(20, 1, 111)])


def order2(total: float = 300.0, when: str | bool = "2026-11-20 05:00:00") -> dict:
    return order(2, when, total)  # type: ignore[arg-type]


def lines2(incl_31: float = 200.0) -> list[dict]:
    return [line(30, 2, 1, 100, 90, 100), line(31, 2, 2, 100, 180, incl_31)]


def payments2(change: float = -50.0) -> list[dict]:
    return [payment(40, 2, 350), payment(41, 2, change)]  # change is a negative payment: Σ = 300


def whole_order_2(reason: str, *, lines: tuple = (30, 31), payments: tuple = (40, 41), orders: tuple = (2,)) -> list:
    return sorted([("pos.order", i, reason) for i in orders] + [("pos.order.line", i, reason) for i in lines]
                  + [("pos.payment", i, reason) for i in payments])


def with_(record: dict, **changes) -> dict:
    return {**record, **changes}


STRING_AMOUNTS = {**TYPES, "pos.order.line": {**TYPES["pos.order.line"], "price_subtotal_incl": "char"}}
QUARANTINED = {"orders": 2, "orders_quarantined": 1}
KEPT = {"orders": 2}

CASES = [
    # (id, order-2 records (orders, lines, payments), clean() options, quarantine, non-zero metrics)
    pytest.param(([order2()], lines2(), payments2()), {}, [], KEPT, id="valid"),
    pytest.param(([order2(when="2026-11-20 17:30:00")], lines2(), payments2()), {}, whole_order_2(REASON_OTHER_DAY),
                 {**QUARANTINED, "orders_not_of_day": 1}, id="1-next-business-day"),
    pytest.param(([order2(when="2026-11-19 16:59:59")], lines2(), payments2()), {}, whole_order_2(REASON_OTHER_DAY),
                 {**QUARANTINED, "orders_not_of_day": 1}, id="1-previous-business-day"),
    pytest.param(([order2(when=False)], lines2(), payments2()), {},
                 whole_order_2(REASON_NO_DATE), {**QUARANTINED, "orders_without_date": 1}, id="1-no-date"),
    pytest.param(([order2(), order2()], lines2(), payments2()), {}, [], {**KEPT, "duplicates_identical": 1},
                 id="2-order-twice-identical"),
    pytest.param(([order2()], lines2() + lines2()[:1], payments2()), {}, [], {**KEPT, "duplicates_identical": 1},
                 id="2-line-twice-identical"),
    pytest.param(([order2(), with_(order2(), name="Other")], lines2(), payments2()), {},
                 whole_order_2(REASON_DUPLICATE_CONFLICT, orders=(2, 2)),
                 {**QUARANTINED, "orders_duplicate_conflict": 1, "duplicates_conflicting": 2},
                 id="2-order-twice-different"),
    pytest.param(([order2()], lines2() + [with_(lines2()[0], qty=2.0)], payments2()), {},
                 whole_order_2(REASON_DUPLICATE_CONFLICT, lines=(30, 30, 31)),
                 {**QUARANTINED, "orders_duplicate_conflict": 1, "duplicates_conflicting": 2},
                 id="2-line-twice-different"),
    pytest.param(([order2()], lines2(), payments2() + payments2()), {}, [], {**KEPT, "duplicates_identical": 2},
                 id="3-payments-twice-identical-not-doubled"),
    pytest.param(([order2()], lines2(), payments2() + [payment(41, 2, -40)]), {},
                 whole_order_2(REASON_DUPLICATE_CONFLICT, payments=(40, 41, 41)),
                 {**QUARANTINED, "orders_duplicate_conflict": 1, "duplicates_conflicting": 2},
                 id="3-payment-twice-different"),
    pytest.param(([order2()], lines2(incl_31=205), payments2()), {}, whole_order_2(REASON_LINES_MISMATCH),
                 {**QUARANTINED, "orders_lines_mismatch": 1}, id="4-lines-off-total"),
    pytest.param(([order2(total=300.5)], lines2(), payments2(change=-49.5)), {}, [], KEPT,
                 id="4-lines-within-tolerance"),
    pytest.param(([order2()], lines2(), payments2(change=-40)), {}, whole_order_2(REASON_PAYMENTS_MISMATCH),
                 {**QUARANTINED, "orders_payments_mismatch": 1}, id="4-payments-off-total"),
    pytest.param(([order2()], lines2(), []), {}, whole_order_2(REASON_PAYMENTS_MISMATCH, payments=()),
                 {**QUARANTINED, "orders_payments_mismatch": 1}, id="4-no-payments"),
    pytest.param(([order2(total=0.0)], [line(30, 2, 1, 100, 0, 0, discount=100)], []), {}, [], KEPT,
                 id="4-zero-total-without-payments"),
    pytest.param(([order2()], lines2(), payments2()), {"max_line_amount": 320.0},
                 whole_order_2(REASON_BEYOND_BOUND), {**QUARANTINED, "orders_amount_beyond_bound": 1},
                 id="5-payment-beyond-bound"),
    pytest.param(([order2()], [with_(lines2()[0], price_unit=-900.0), lines2()[1]], payments2()),
                 {"max_line_amount": 500.0}, whole_order_2(REASON_BEYOND_BOUND),
                 {**QUARANTINED, "orders_amount_beyond_bound": 1}, id="5-line-price-beyond-bound"),
    pytest.param(([order2(total=1e15)], lines2(), payments2()), {},
                 whole_order_2(REASON_BEYOND_BOUND), {**QUARANTINED, "orders_amount_beyond_bound": 1},
                 id="5-order-total-beyond-bound"),
    pytest.param(([with_(order2(), amount_total=False)], lines2(), payments2()), {},
                 whole_order_2(REASON_NOT_A_NUMBER), {**QUARANTINED, "orders_amount_not_a_number": 1},
                 id="6-order-total-false"),
    pytest.param(([order2()], [lines2()[0], with_(lines2()[1], price_subtotal_incl="12abc")], payments2()), {},
                 whole_order_2(REASON_NOT_A_NUMBER), {**QUARANTINED, "orders_amount_not_a_number": 1},
                 id="6-line-amount-garbage"),
    pytest.param(([order2()], [lines2()[0], with_(lines2()[1], price_subtotal_incl="12abc")], payments2()),
                 {"types": STRING_AMOUNTS}, whole_order_2(REASON_NOT_A_NUMBER),
                 {**QUARANTINED, "orders_amount_not_a_number": 1}, id="6-line-amount-garbage-in-string-column"),
    pytest.param(([order2()], [lines2()[0], with_(lines2()[1], discount="10%")], payments2()),
                 {"types": {**TYPES, "pos.order.line": {**TYPES["pos.order.line"], "discount": "char"}}},
                 whole_order_2(REASON_NOT_A_NUMBER), {**QUARANTINED, "orders_amount_not_a_number": 1},
                 id="6-discount-garbage"),
    pytest.param(([order2()], lines2(), [payment(40, 2, 350), payment(41, 2, float("nan"))]), {},
                 whole_order_2(REASON_NOT_A_NUMBER), {**QUARANTINED, "orders_amount_not_a_number": 1},
                 id="6-payment-nan"),
    pytest.param(([order2()], [lines2()[0], line(31, 2, 2, 100, 180, 200, product=555)], payments2()),
                 {"known_ids": {"dim_products": frozenset({100}), "dim_payment_methods": None}}, [],
                 {**KEPT, "unknown_product_id": 1}, id="7-unknown-product-kept"),
    pytest.param(([order2()], lines2(), [payment(40, 2, 350), payment(41, 2, -50, method=8)]),
                 {"known_ids": {"dim_products": None, "dim_payment_methods": frozenset({4})}}, [],
                 {**KEPT, "unknown_payment_method_id": 1}, id="7-unknown-payment-method-kept"),
]


@pytest.mark.parametrize(("order_2", "options", "quarantined", "metrics"), CASES)
def test_each_fault_is_quarantined_or_counted_and_the_normal_order_passes_untouched(
    order_2: tuple, options: dict, quarantined: list, metrics: dict
) -> None:
    orders, lines, payments = (normal + fault for normal, fault in zip(NORMAL, order_2))
    result = clean(orders, lines, payments, **options)
    assert sorted(result.quarantine.rows()) == quarantined
    assert {name: value for name, value in result.metrics.items() if value} == metrics
    assert sum(result.metrics[name] for name in ORDER_REASON_METRICS.values()) == result.metrics["orders_quarantined"]
    normal = clean(*NORMAL, types=options.get("types", TYPES))
    for table in (CLEAN_LINES, CLEAN_PAYMENTS):
        assert result.tables[table].filter(pl.col("order_id") == 1).equals(normal.tables[table])
    assert_every_row_accounted_for(result, (orders, lines, payments))


def assert_every_row_accounted_for(result: CleanResult, records: tuple[list, list, list]) -> None:
    """Each received row is kept (orders: counted), quarantined, or an identical copy kept once: honest counts."""
    kept_orders = result.metrics["orders"] - result.metrics["orders_quarantined"]
    assert sum(map(len, records)) == (result.rows_out + kept_orders + result.quarantine.height
                                      + result.metrics["duplicates_identical"])


def test_known_ids_unknown_dimension_is_not_checked_and_no_product_stays_quarantined() -> None:
    result = clean(*NORMAL[:2], [payment(20, 1, 111, method=None)], known_ids={"dim_products": None})
    assert result.tables[CLEAN_LINES]["line_id"].to_list() == [10]
    assert result.quarantine.rows() == [("pos.payment", 20, "payment has no method")]
    assert result.metrics["unknown_product_id"] == 0
    assert result.metrics["payments_without_method"] == 1


def fault_records() -> tuple[list, list, list]:
    """One order per fault (ids 2xx), plus identical copies of normal rows and refs to unknown dimension members."""
    orders, lines, payments = [], [], []

    def add(oid: int, total: float, when: str | bool = "2026-11-20 05:00:00", *, incl: float | str = 100.0,
            pay: float | None = None, copies: int = 1) -> None:
        orders.extend([order(oid, when, total)] * copies)  # type: ignore[arg-type]
        lines.append(line(oid * 10, oid, 1, 100, 90, incl))
        if pay is not None:
            payments.append(payment(oid * 10, oid, pay))

    add(201, 100, "2026-11-21 01:00:00", pay=100)  # another business day
    add(202, 100, False, pay=100)  # no date
    add(203, 100, pay=100)
    orders.append(with_(order(203, "2026-11-20 05:00:00", 100), name="changed"))  # same id, other values
    add(204, 100, pay=100)
    lines.append(line(2040, 204, 1, 100, 90, 99))  # conflicting line copy
    add(211, 100, pay=100)
    payments.append(payment(2110, 211, 90))  # conflicting payment copy
    add(205, 500, pay=500)  # lines off the total
    add(206, 100, pay=60)  # payments off the total
    add(207, 100, pay=None)  # no payments
    add(208, 2e12, incl=2e12, pay=2e12)  # beyond bound
    add(209, 100, incl="12abc", pay=100)  # not a number
    add(210, 100, pay=100)
    payments.append(payment(2101, 210, float("nan")))
    return orders, lines, payments


def good_records() -> tuple[list, list, list]:
    orders = [order(i, f"2026-11-20 0{i}:00:00", 222.0, partner=i) for i in range(1, 5)]
    lines = [line(i * 10 + k, i, 1, 111, 100, 111, product=100 + k) for i in range(1, 5) for k in range(2)]
    payments = [payment(i * 10, i, 250) for i in range(1, 5)] + [payment(i * 10 + 1, i, -28) for i in range(1, 5)]
    return orders, lines, payments


def test_the_valid_rows_of_a_day_with_every_fault_equal_the_same_day_without_them() -> None:
    good = good_records()
    faults = fault_records()
    duplicated = ([good[0][0]], [good[1][3]], [good[2][5]])  # identical copies of valid rows
    faulty_day = tuple(g + f + d for g, f, d in zip(good, faults, duplicated))
    known = {"dim_products": frozenset({100}), "dim_payment_methods": frozenset({4})}

    with_faults = clean(*faulty_day, max_line_amount=1e12, known_ids=known)
    without = clean(*good, max_line_amount=1e12, known_ids=known)

    for table in (CLEAN_LINES, CLEAN_PAYMENTS):
        assert with_faults.tables[table].equals(without.tables[table])
    quarantined_orders = set(with_faults.quarantine.filter(pl.col("model") == "pos.order")["record_id"])
    assert quarantined_orders == {o["id"] for o in faults[0]}
    assert with_faults.metrics["orders"] == 4 + 11
    assert with_faults.metrics["orders_quarantined"] == 11
    assert with_faults.metrics["duplicates_identical"] == 3
    assert with_faults.metrics["unknown_product_id"] == without.metrics["unknown_product_id"] == 4
    assert_every_row_accounted_for(with_faults, faulty_day)


def test_a_lazy_raw_frame_cleans_like_an_eager_one() -> None:
    frame = raw(*fault_records())
    context = CleanContext(day=DAY, timezone=JAKARTA, max_line_amount=1e12)
    eager, lazy = clean_pos_lines(frame, context), clean_pos_lines(frame.lazy(), context)
    assert lazy.quarantine.equals(eager.quarantine) and lazy.metrics == eager.metrics
    for table in (CLEAN_LINES, CLEAN_PAYMENTS):
        assert lazy.tables[table].equals(eager.tables[table])

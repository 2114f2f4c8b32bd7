"""Profit transform (pure): cost as of the sale date, its sources, the invariants and the daily sums.

One small day through the raw layer (frames, as the extract writes them) → clean_profit → profit_facts.
Products: 1 bought before and twice on the day (same date: the highest line id wins), also free and refunded on the
day; 2 bought only before; 3 never bought, standard price 5; 4 standard price 0 (not set); 5 only received free,
standard price 6; plus an invoice line without a product.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import polars as pl
import pytest

from etl import schemas
from etl.load.profit import profit_facts
from etl.raw_records import raw_frame
from etl.transform.profit import (
    INPUT_COLUMNS, INVOICE_LINES, POS_LINES, PRIOR_COSTS, PURCHASE_LINES, REASON_BAD_COST, REASON_DUPLICATE_CONFLICT,
    REASON_NOT_A_NUMBER, REASON_OTHER_DAY, STANDARD_PRICES, clean_profit, latest_costs,
)
from etl.transform.quarantine import CleanContext

DAY = date(2026, 1, 6)
TYPES = {**schemas.FACT_SALES, **schemas.FACT_INVOICE_SALES, **schemas.FACT_PURCHASES,
         **schemas.FACT_PRODUCT_COST_EVENTS, "standard_price": schemas.MONEY}


def table(name: str, *rows: dict[str, Any]) -> pl.DataFrame:
    columns = INPUT_COLUMNS[name]
    return pl.DataFrame([{c: row.get(c) for c in columns} for row in rows],
                        schema={c: TYPES[c] for c in columns})


def pos(line: int, product: int | None, quantity: float, revenue_excl_tax: float, **extra: Any) -> dict[str, Any]:
    return {"date": DAY, "order_id": 900 + line, "line_id": line, "product_id": product, "customer_id": None,
            "store_id": 1, "quantity": quantity, "revenue": revenue_excl_tax * 1.11,
            "revenue_excl_tax": revenue_excl_tax, **extra}


def invoice(line: int, product: int | None, quantity: float, revenue_excl_tax: float) -> dict[str, Any]:
    return {"date": DAY, "move_id": 700, "line_id": line, "product_id": product, "customer_id": 42,
            "quantity": quantity, "revenue": revenue_excl_tax, "revenue_excl_tax": revenue_excl_tax}


def bill(line: int, product: int, cost: float | None, move_type: str = "in_invoice", bonus: bool = False,
         day: date = DAY) -> dict[str, Any]:
    return {"date": day, "move_id": 500 + line, "move_type": move_type, "line_id": line, "product_id": product,
            "vendor_id": 77, "unit_cost_excl_tax": cost, "is_bonus": bonus}


def prior(product: int, cost: float, day: date, line: int) -> dict[str, Any]:
    return {"product_id": product, "effective_date": day, "unit_cost_excl_tax": cost, "move_id": 400 + line,
            "line_id": line, "vendor_id": 78}


def inputs(**overrides: pl.DataFrame) -> dict[str, pl.DataFrame]:
    frames = {
        POS_LINES: table(POS_LINES, pos(1, 1, 2.0, 40.0), pos(2, 1, -1.0, -20.0), pos(3, 4, 1.0, 9.0),
                         pos(4, 5, 1.0, 15.0)),
        INVOICE_LINES: table(INVOICE_LINES, invoice(11, 2, 3.0, 30.0), invoice(12, 3, 1.0, 8.0),
                             invoice(13, None, 1.0, 4.0)),
        PURCHASE_LINES: table(PURCHASE_LINES, bill(50, 1, 12.0), bill(40, 1, 11.0), bill(51, 1, None, bonus=True),
                              bill(52, 1, 3.0, move_type="in_refund"), bill(53, 5, None, bonus=True)),
        PRIOR_COSTS: table(PRIOR_COSTS, prior(1, 10.0, date(2026, 1, 3), 5), prior(2, 7.0, date(2026, 1, 1), 3)),
        STANDARD_PRICES: table(STANDARD_PRICES, *({"product_id": p, "standard_price": price}
                                                  for p, price in ((1, 9.0), (2, 6.5), (3, 5.0), (4, 0.0), (5, 6.0)))),
    }
    return {**frames, **overrides}


def run(frames: dict[str, pl.DataFrame]) -> tuple[Any, dict[str, pl.DataFrame]]:
    raw = raw_frame(dict(frames), {})
    result = clean_profit(raw.lazy(), CleanContext(day=DAY, timezone="Asia/Jakarta", max_line_amount=1e12))
    return result, profit_facts(result.tables)


@pytest.fixture(scope="module")
def day() -> tuple[Any, dict[str, pl.DataFrame]]:
    return run(inputs())


def by_line(facts: dict[str, pl.DataFrame]) -> dict[int, dict[str, Any]]:
    return {row["line_id"]: row for row in facts["fact_sales_lines_profit"].iter_rows(named=True)}


def test_cost_as_of_the_sale_date_and_its_source(day: tuple) -> None:
    lines = by_line(day[1])
    assert (lines[1]["unit_cost"], lines[1]["cost_source"]) == (12.0, "purchase")  # same day, highest line id
    assert (lines[11]["unit_cost"], lines[11]["cost_source"]) == (7.0, "purchase")  # bought on an earlier day
    assert (lines[12]["unit_cost"], lines[12]["cost_source"]) == (5.0, "standard_price")
    assert (lines[4]["unit_cost"], lines[4]["cost_source"]) == (6.0, "standard_price"), "free goods are no cost"
    for missing in (3, 13):  # standard price 0 (not set); no product
        assert lines[missing]["cost_source"] == "missing"
        assert lines[missing]["unit_cost"] is None and lines[missing]["cogs"] is None
        assert lines[missing]["gross_profit"] is None


def test_gross_profit_is_revenue_less_cogs_and_a_refund_reverses_its_cost(day: tuple) -> None:
    lines = day[1]["fact_sales_lines_profit"].filter(pl.col("cogs").is_not_null())
    assert (lines["cogs"] == lines["unit_cost"] * lines["quantity"]).all()
    assert (lines["gross_profit"] == lines["revenue_excl_tax"] - lines["cogs"]).all()
    sale, refund = by_line(day[1])[1], by_line(day[1])[2]
    assert (sale["cogs"], refund["cogs"]) == (24.0, -12.0)
    assert refund["gross_profit"] == -(sale["gross_profit"] / 2)


def test_cost_events_are_the_days_non_bonus_vendor_bill_lines(day: tuple) -> None:
    events = day[1]["fact_product_cost_events"]
    assert events.schema == schemas.FACT_PRODUCT_COST_EVENTS
    assert sorted(events["line_id"].to_list()) == [40, 50], "no bonus line, no vendor refund"
    assert (events["effective_date"] == DAY).all() and (events["unit_cost_excl_tax"] > 0).all()
    assert day[0].metrics["purchase_lines_bonus"] == 2 and day[0].metrics["purchase_lines_refund"] == 1


def test_latest_cost_ties_go_to_the_highest_line_id() -> None:
    events = table(PRIOR_COSTS, prior(1, 11.0, DAY, 60), prior(1, 12.0, DAY, 61), prior(1, 99.0, date(2026, 1, 5), 99))
    assert latest_costs(events)["unit_cost_excl_tax"].to_list() == [12.0]


def test_daily_sums_equal_the_lines(day: tuple) -> None:
    facts = day[1]
    lines = facts["fact_sales_lines_profit"]
    for agg in ("agg_profit_daily", "agg_profit_daily_by_product"):
        frame = facts[agg]
        assert frame.schema == dict(schemas.AGG_PROFIT_DAILY if agg == "agg_profit_daily"
                                    else schemas.AGG_PROFIT_DAILY_BY_PRODUCT)
        for column in ("revenue_excl_tax", "cogs", "gross_profit"):
            assert math.isclose(frame[column].sum(), lines[column].sum(), abs_tol=1e-9), (agg, column)
    pos_day = facts["agg_profit_daily"].filter(pl.col("channel") == "pos").row(0, named=True)
    costed = 40.0 - 20.0 + 15.0  # product 4 has no cost
    assert pos_day["revenue_excl_tax"] == 44.0 and pos_day["cogs"] == 24.0 - 12.0 + 6.0
    assert math.isclose(pos_day["margin_pct"], (costed - 18.0) / costed * 100)
    assert math.isclose(pos_day["cost_coverage_pct"], costed / 44.0 * 100)
    uncosted = facts["agg_profit_daily_by_product"].filter(pl.col("product_id").is_null())
    assert uncosted["cogs"].to_list() == [None] and uncosted["revenue_excl_tax"].to_list() == [4.0]


def test_an_empty_day_is_typed_and_empty() -> None:
    result, facts = run({name: table(name) for name in INPUT_COLUMNS})
    assert result.quarantine.height == 0
    for name, frame in facts.items():
        assert frame.height == 0 and frame.schema == dict(
            {"fact_product_cost_events": schemas.FACT_PRODUCT_COST_EVENTS,
             "fact_sales_lines_profit": schemas.FACT_SALES_LINES_PROFIT, "agg_profit_daily": schemas.AGG_PROFIT_DAILY,
             "agg_profit_daily_by_product": schemas.AGG_PROFIT_DAILY_BY_PRODUCT}[name])


def test_bad_rows_are_quarantined_with_a_reason() -> None:
    result, facts = run(inputs(**{
        POS_LINES: table(POS_LINES, pos(1, 1, 2.0, 40.0), pos(1, 1, 2.0, 40.0), pos(8, 1, 1.0, 20.0,
                                                                                  date=date(2026, 1, 5))),
        INVOICE_LINES: table(INVOICE_LINES, invoice(11, 2, 3.0, 30.0), invoice(11, 2, 3.0, 31.0),
                             invoice(12, 3, None, 8.0)),
        PURCHASE_LINES: table(PURCHASE_LINES, bill(50, 1, 12.0), bill(60, 2, float("nan")), bill(61, 2, 0.0)),
    }))
    reasons = sorted((row["model"], row["record_id"], row["reason"]) for row in result.quarantine.iter_rows(named=True))
    assert reasons == sorted([(INVOICE_LINES, 11, REASON_DUPLICATE_CONFLICT)] * 2 + [
        (INVOICE_LINES, 12, REASON_NOT_A_NUMBER), (POS_LINES, 8, REASON_OTHER_DAY),
        (PURCHASE_LINES, 60, REASON_BAD_COST), (PURCHASE_LINES, 61, REASON_BAD_COST)])
    assert facts["fact_sales_lines_profit"]["line_id"].to_list() == [1], "an identical copy is kept once"
    assert facts["fact_product_cost_events"]["line_id"].to_list() == [50]
    assert result.metrics["duplicates_identical"] == 1 and result.metrics["lines_duplicate_conflict"] == 2
    assert result.metrics["lines_not_of_day"] == 1 and result.metrics["purchase_lines_bad_cost"] == 2

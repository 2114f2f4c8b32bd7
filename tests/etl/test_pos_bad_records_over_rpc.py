"""Odd records served by Odoo over the wire (demo_odoo's `bad_records` knob) each meet their rule in the pipeline:
quarantined with a reason and counted, or kept once and counted, never silently wrong."""

from __future__ import annotations

import polars as pl
import pytest

from etl import io_parquet
from etl.day_manifest import read_manifest
from etl.pipelines.runs import run_days
from etl.published import read_published
from etl.transform import pos_order_lines as rules
from odoorpc_connector import OdooClient
from tests.conftest import DemoOdoo
from tests.support.demo_days import demo_days
from tests.support.demo_control import bad_records_report, faults
from tests.support.lake import fact

DATASET = "pos_order_lines"
# kind → the reason its whole order is quarantined with
QUARANTINED = {
    "wrong_day": rules.REASON_OTHER_DAY,
    "duplicate_conflicting": rules.REASON_DUPLICATE_CONFLICT,
    "unbalanced_order": rules.REASON_LINES_MISMATCH,
    "unbalanced_payments": rules.REASON_PAYMENTS_MISMATCH,
    "absurd_amount": rules.REASON_BEYOND_BOUND,
    "null_amount": rules.REASON_NOT_A_NUMBER,
    "non_numeric_amount": rules.REASON_NOT_A_NUMBER,
}
# kind → the counter that records it while the record is kept
KEPT = {
    "duplicate_identical": "duplicates_identical",
    "duplicate_payment": "duplicates_identical",
    "unknown_product": "unknown_product_id",
    "unknown_payment_method": "unknown_payment_method_id",
}


@pytest.fixture(scope="module")
def faulty_day(demo_odoo17: DemoOdoo, tmp_path_factory: pytest.TempPathFactory):
    lake = tmp_path_factory.mktemp("lake")
    settings = demo_odoo17.settings(lake)
    client = OdooClient(settings.require_odoo(), backoff_seconds=0.01).connect()
    day = demo_days(settings)[-1]
    with faults(demo_odoo17.url, bad_records=[*QUARANTINED, *KEPT]):
        run_days([DATASET], [day], settings, client).raise_if_failed()
        targets = bad_records_report(demo_odoo17.url, day.isoformat())["targets"]
    return lake, day, targets


@pytest.mark.parametrize("kind", sorted(QUARANTINED))
def test_an_untrustworthy_order_is_quarantined_whole_with_its_reason(faulty_day, kind: str) -> None:
    lake, day, targets = faulty_day
    order_id = targets[kind]["order_id"]
    quarantine = read_published(lake, io_parquet.QUARANTINE, DATASET, day)
    order_rows = quarantine.filter((pl.col("model") == "pos.order") & (pl.col("record_id") == order_id))
    assert order_rows["reason"].to_list() == [QUARANTINED[kind]]
    assert order_id not in fact(lake, "fact_sales", day)["order_id"].to_list()
    assert order_id not in fact(lake, "fact_payments", day)["order_id"].to_list()


@pytest.mark.parametrize("kind", sorted(KEPT))
def test_a_recoverable_oddity_is_kept_once_and_counted(faulty_day, kind: str) -> None:
    lake, day, targets = faulty_day
    order_id = targets[kind]["order_id"]
    sales, payments = fact(lake, "fact_sales", day), fact(lake, "fact_payments", day)
    assert order_id in sales["order_id"].to_list()
    assert sales["line_id"].is_unique().all() and payments["payment_id"].is_unique().all()
    assert read_manifest(lake, DATASET, day).metrics[KEPT[kind]] >= 1


def test_kept_orders_still_balance_with_their_payments(faulty_day) -> None:
    lake, day, _ = faulty_day
    totals = fact(lake, "fact_sales", day).group_by("order_id").agg(pl.col("revenue").sum())
    paid = fact(lake, "fact_payments", day).group_by("order_id").agg(pl.col("amount").sum())
    joined = totals.join(paid, on="order_id", how="left").fill_null(0.0)
    assert (joined["revenue"] - joined["amount"]).abs().max() <= rules.ORDER_TOTAL_TOLERANCE

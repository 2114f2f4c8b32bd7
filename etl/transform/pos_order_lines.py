"""Clean one day of raw POS records: type them, attach each line to its order, and quarantine what cannot be trusted.

Pure: polars in, polars out. The business day of an order is its UTC `date_order` seen in the business timezone.
Nothing is dropped silently: every record that leaves the clean data gets a quarantine row with its reason, and every
rule has a counter in `CleanResult.metrics`.

- An order is kept or quarantined whole (the order, each of its lines, each of its payments, all with the order's
  reason): see ORDER_RULES for the rules, first failing one wins.
- Records received twice with identical values are kept once (`duplicates_identical`); an id received with
  different values quarantines every copy and its order.
- A line without product or a payment without method is quarantined alone (its amount still counts in its order's
  balance); lines and payments whose order was not received at all are quarantined alone.
- Product and payment-method ids missing from their dimension are kept (the dashboard shows them under the
  dimension's unknown member) and counted (`unknown_<column>`).
Valid rows keep Odoo's amounts and their received order.
"""

from __future__ import annotations

import polars as pl

from etl.catalog import POS_ORDER_LINES
from etl.raw_records import models_rows
from etl.transform.quarantine import QUARANTINE_SCHEMA, CleanContext, CleanResult, split_valid
from etl.transform.validation import (
    RECORD_FLAGS, UTC_TS, as_int, bad_discount, beyond, deduplicated, discount_number, document_status, not_a_number,
    number, reason_counts, rejected_documents, settled_discount, unknown_ids, utc,
)

ORDER_TOTAL_TOLERANCE = 1.0  # currency units per order (Odoo rounds each line; DESIGN §6 allows ±1)

CLEAN_LINES = "pos_order_lines"
CLEAN_PAYMENTS = "pos_payments"

# Whole-order reasons, in priority order, with the metric counting the orders quarantined for each.
REASON_DUPLICATE_CONFLICT = "duplicate id with different values"
REASON_NO_DATE = "order has no valid date"
REASON_OTHER_DAY = "order's business day is not the partition's day"
REASON_NOT_A_NUMBER = "amount null or not a number"
REASON_BEYOND_BOUND = "amount beyond bound"
REASON_LINES_MISMATCH = "lines do not add up to the order total"
REASON_PAYMENTS_MISMATCH = "payments do not add up to the order total"
ORDER_REASON_METRICS = {
    REASON_DUPLICATE_CONFLICT: "orders_duplicate_conflict",
    REASON_NO_DATE: "orders_without_date",
    REASON_OTHER_DAY: "orders_not_of_day",
    REASON_NOT_A_NUMBER: "orders_amount_not_a_number",
    REASON_BEYOND_BOUND: "orders_amount_beyond_bound",
    REASON_LINES_MISMATCH: "orders_lines_mismatch",
    REASON_PAYMENTS_MISMATCH: "orders_payments_mismatch",
}
# Reasons of a single line or payment (its order stays), with the metric counting those records.
REASON_LINE_ORPHAN = "order is not a sale order of this day"
REASON_PAYMENT_ORPHAN = "payment's order is not a sale order of this day"
REASON_NO_PRODUCT = "line has no product"
REASON_NO_METHOD = "payment has no method"
RECORD_REASON_METRICS = {
    REASON_LINE_ORPHAN: "lines_orphan",
    REASON_PAYMENT_ORPHAN: "payments_orphan",
    REASON_NO_PRODUCT: "lines_without_product",
    REASON_NO_METHOD: "payments_without_method",
}

CLEAN_LINES_SCHEMA = pl.Schema(
    {
        "date": pl.Date,
        "order_ts": UTC_TS,
        "order_id": pl.Int64,
        "order_ref": pl.String,
        "store_id": pl.Int64,
        "session_id": pl.Int64,
        "line_id": pl.Int64,
        "product_id": pl.Int64,
        "customer_id": pl.Int64,
        "cashier_id": pl.Int64,
        "user_id": pl.Int64,
        "company_id": pl.Int64,
        "quantity": pl.Float64,
        "price_unit": pl.Float64,
        "discount_pct": pl.Float64,
        "price_subtotal": pl.Float64,
        "price_subtotal_incl": pl.Float64,
        "refunded_line_id": pl.Int64,
        "write_date": UTC_TS,
    }
)

CLEAN_PAYMENTS_SCHEMA = pl.Schema(
    {
        "date": pl.Date,
        "order_id": pl.Int64,
        "payment_id": pl.Int64,
        "payment_method_id": pl.Int64,
        "amount": pl.Float64,
        "store_id": pl.Int64,
    }
)

ORDER_COLUMNS = ["id", "name", "date_order", "state", "session_id", "config_id", "partner_id", "user_id",
                 "employee_id", "company_id", "amount_total"]
LINE_COLUMNS = ["id", "order_id", "product_id", "qty", "price_unit", "discount", "price_subtotal",
                "price_subtotal_incl", "refunded_orderline_id", "write_date"]
PAYMENT_COLUMNS = ["id", "pos_order_id", "payment_method_id", "amount"]


def _orders(rows: pl.DataFrame, context: CleanContext) -> pl.LazyFrame:
    return rows.lazy().select(
        as_int("id").alias("order_id"),
        pl.col("name").cast(pl.String).alias("order_ref"),
        utc("date_order").alias("order_ts"),
        as_int("session_id"),
        as_int("config_id").alias("store_id"),
        as_int("partner_id").alias("customer_id"),
        as_int("employee_id").alias("cashier_id"),
        as_int("user_id"),
        as_int("company_id"),
        number("amount_total").alias("order_amount_total"),
        "_conflict",
    ).with_columns(
        pl.col("order_ts").dt.convert_time_zone(context.timezone).dt.date().alias("date"),
        not_a_number("order_amount_total").alias("_not_a_number"),
        beyond(context.max_line_amount, "order_amount_total").alias("_beyond_bound"),
    )


def _lines(rows: pl.DataFrame, context: CleanContext) -> pl.LazyFrame:
    amounts = ("price_unit", "price_subtotal", "price_subtotal_incl")
    return rows.lazy().select(
        as_int("id").alias("line_id"),
        as_int("order_id"),
        as_int("product_id"),
        number("qty").alias("quantity"),
        *[number(c) for c in amounts],
        *discount_number(),
        as_int("refunded_orderline_id").alias("refunded_line_id"),
        utc("write_date").alias("write_date"),
        "_conflict",
    ).select(*settled_discount(
        (not_a_number("quantity", *amounts) | bad_discount()).alias("_not_a_number"),
        beyond(context.max_line_amount, *amounts).alias("_beyond_bound"),
    ))


def _payments(rows: pl.DataFrame, context: CleanContext) -> pl.LazyFrame:
    return rows.lazy().select(
        as_int("id").alias("payment_id"),
        as_int("pos_order_id").alias("order_id"),
        as_int("payment_method_id"),
        number("amount"),
        "_conflict",
    ).with_columns(
        not_a_number("amount").alias("_not_a_number"),
        beyond(context.max_line_amount, "amount").alias("_beyond_bound"),
    )


def _order_status(orders: pl.LazyFrame, lines: pl.LazyFrame, payments: pl.LazyFrame, context: CleanContext,
                  conflicts: bool) -> pl.LazyFrame:
    """One row per received order id with its fields (first copy) and `_order_reason` (null when it is kept)."""
    total = pl.col("order_amount_total")
    rules = {
        REASON_DUPLICATE_CONFLICT: pl.col("_conflict"),
        REASON_NO_DATE: pl.col("order_ts").is_null(),
        REASON_OTHER_DAY: pl.col("date") != context.day,
        REASON_NOT_A_NUMBER: pl.col("_not_a_number"),
        REASON_BEYOND_BOUND: pl.col("_beyond_bound"),
        REASON_LINES_MISMATCH: (pl.col("_lines_total") - total).abs() > ORDER_TOTAL_TOLERANCE,
        REASON_PAYMENTS_MISMATCH: (pl.col("_payments_total") - total).abs() > ORDER_TOTAL_TOLERANCE,  # none: Σ = 0
    }
    parts = [lines.select("order_id", *RECORD_FLAGS, pl.col("price_subtotal_incl").alias("_lines_total")),
             payments.select("order_id", *RECORD_FLAGS, pl.col("amount").alias("_payments_total"))]
    return document_status(orders, parts, "order_id", rules, "_order_reason", conflicts).with_columns(
        pl.lit(True).alias("_order_received"))


def _split_by_order(frame: pl.LazyFrame, order_fields: pl.LazyFrame, model: str, id_column: str, orphan_reason: str,
                    required: str, missing_reason: str) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Lines or payments with their order's fields: (kept, quarantined). A record takes its order's reason when the
    order is quarantined; on its own it is quarantined when its order was not received or `required` is null."""
    order_reason = pl.col("_order_reason")
    return split_valid(
        frame.drop(*RECORD_FLAGS).join(order_fields, on="order_id", how="left", maintain_order="left"),
        model,
        id_column,
        [
            (pl.col("_order_received").is_null(), orphan_reason),
            (order_reason.is_not_null(), order_reason),
            (pl.col(required).is_null(), missing_reason),
        ],
    )


def clean_pos_lines(raw: pl.DataFrame | pl.LazyFrame, context: CleanContext) -> CleanResult:
    """Typed, validated lines and payments of `context.day`, plus the quarantined rows with their reason."""
    received = models_rows(raw, {"pos.order": ORDER_COLUMNS, "pos.order.line": LINE_COLUMNS,
                                 "pos.payment": PAYMENT_COLUMNS})
    order_rows, order_copies = deduplicated(received["pos.order"])
    line_rows, line_copies = deduplicated(received["pos.order.line"])
    payment_rows, payment_copies = deduplicated(received["pos.payment"])
    orders, lines, payments = _orders(order_rows, context), _lines(line_rows, context), _payments(payment_rows, context)
    conflicts = bool(order_rows["_conflict"].any())
    status = _order_status(orders, lines, payments, context, conflicts)

    order_reason = pl.col("_order_reason")
    bad_orders = rejected_documents(orders, status, "pos.order", "order_id", "_order_reason", conflicts)
    order_fields = status.drop(*RECORD_FLAGS, "_lines_total", "_payments_total")
    lines, bad_lines = _split_by_order(lines, order_fields, "pos.order.line", "line_id", REASON_LINE_ORPHAN,
                                       "product_id", REASON_NO_PRODUCT)
    payments, bad_payments = _split_by_order(
        payments, order_fields.select("order_id", "date", "store_id", "_order_reason", "_order_received"),
        "pos.payment", "payment_id", REASON_PAYMENT_ORPHAN, "payment_method_id", REASON_NO_METHOD)
    quarantine = pl.concat([bad_orders, bad_lines, bad_payments], how="vertical_relaxed").cast(dict(QUARANTINE_SCHEMA))
    summary = status.select(pl.len().alias("orders"), order_reason.is_not_null().sum().alias("orders_quarantined"),
                            *reason_counts(order_reason, ORDER_REASON_METRICS))
    clean_lines, clean_payments, quarantine, summary = pl.collect_all(
        [
            lines.select(CLEAN_LINES_SCHEMA.names()).cast(dict(CLEAN_LINES_SCHEMA)),
            payments.select(CLEAN_PAYMENTS_SCHEMA.names()).cast(dict(CLEAN_PAYMENTS_SCHEMA)),
            quarantine,
            summary,
        ],
        engine="in-memory",  # a day is small: the in-memory engine is the faster one here
    )
    tables = {CLEAN_LINES: clean_lines, CLEAN_PAYMENTS: clean_payments}
    metrics = {
        **summary.row(0, named=True),
        "duplicates_identical": order_copies + line_copies + payment_copies,
        "duplicates_conflicting": sum(int(frame["_conflict"].sum()) for frame in (order_rows, line_rows, payment_rows)),
        **quarantine.select(reason_counts(pl.col("reason"), RECORD_REASON_METRICS)).row(0, named=True),
        **unknown_ids(tables, context, POS_ORDER_LINES.known_dimensions),
    }
    return CleanResult(tables, quarantine, metrics={name: int(value) for name, value in metrics.items()})

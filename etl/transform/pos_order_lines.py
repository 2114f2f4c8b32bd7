"""Clean one day of raw POS records: type them, attach each line to its order, and quarantine what cannot be trusted.

Pure: polars in, polars out. The business day of an order is its UTC `date_order` seen in the business timezone.
A line is quarantined (never silently dropped) when its order is not among the day's sale orders, it has no
product, or an amount is not a finite number; payments likewise when their order is unknown or they lack a method.
"""

from __future__ import annotations

import polars as pl

from etl.raw_records import model_rows
from etl.transform.quarantine import QUARANTINE_SCHEMA, CleanResult, split_valid

ORDER_TOTAL_TOLERANCE = 1.0  # currency units per order (Odoo rounds each line; DESIGN §6 allows ±1)

UTC_TS = pl.Datetime("us", "UTC")
CLEAN_LINES = "pos_order_lines"
CLEAN_PAYMENTS = "pos_payments"

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


def _utc(column: str) -> pl.Expr:
    return pl.col(column).str.to_datetime("%Y-%m-%d %H:%M:%S", time_zone="UTC", strict=False)


def _orders(raw: pl.DataFrame | pl.LazyFrame, timezone: str) -> pl.DataFrame:
    return model_rows(raw, "pos.order", ORDER_COLUMNS).select(
        pl.col("id").cast(pl.Int64).alias("order_id"),
        pl.col("name").cast(pl.String).alias("order_ref"),
        _utc("date_order").alias("order_ts"),
        pl.col("session_id").cast(pl.Int64),
        pl.col("config_id").cast(pl.Int64).alias("store_id"),
        pl.col("partner_id").cast(pl.Int64).alias("customer_id"),
        pl.col("employee_id").cast(pl.Int64).alias("cashier_id"),
        pl.col("user_id").cast(pl.Int64),
        pl.col("company_id").cast(pl.Int64),
        pl.col("amount_total").cast(pl.Float64).alias("order_amount_total"),
    ).with_columns(pl.col("order_ts").dt.convert_time_zone(timezone).dt.date().alias("date"))


def _finite(*columns: str) -> pl.Expr:
    return pl.all_horizontal([pl.col(c).is_not_null() & pl.col(c).is_finite() for c in columns])


def clean_pos_lines(raw: pl.DataFrame | pl.LazyFrame, timezone: str) -> CleanResult:
    """Typed, validated lines and payments of one day, plus the quarantined rows with their reason."""
    orders = _orders(raw, timezone)
    bad_orders = orders.filter(pl.col("order_ts").is_null() | pl.col("order_id").is_duplicated())
    orders = orders.filter(pl.col("order_ts").is_not_null()).unique("order_id", keep="first", maintain_order=True)
    lines = model_rows(raw, "pos.order.line", LINE_COLUMNS).select(
        pl.col("id").cast(pl.Int64).alias("line_id"),
        pl.col("order_id").cast(pl.Int64),
        pl.col("product_id").cast(pl.Int64),
        pl.col("qty").cast(pl.Float64).alias("quantity"),
        pl.col("price_unit").cast(pl.Float64),
        pl.col("discount").cast(pl.Float64).fill_null(0.0).alias("discount_pct"),
        pl.col("price_subtotal").cast(pl.Float64),
        pl.col("price_subtotal_incl").cast(pl.Float64),
        pl.col("refunded_orderline_id").cast(pl.Int64).alias("refunded_line_id"),
        _utc("write_date").alias("write_date"),
    ).join(orders, on="order_id", how="left")
    lines, bad_lines = split_valid(
        lines.unique("line_id", keep="first", maintain_order=True),
        "pos.order.line",
        "line_id",
        [
            (pl.col("order_ts").is_null(), "order is not a sale order of this day"),
            (pl.col("product_id").is_null(), "line has no product"),
            (~_finite("quantity", "price_unit", "price_subtotal", "price_subtotal_incl"), "amount is not a number"),
        ],
    )
    payments = model_rows(raw, "pos.payment", PAYMENT_COLUMNS).select(
        pl.col("id").cast(pl.Int64).alias("payment_id"),
        pl.col("pos_order_id").cast(pl.Int64).alias("order_id"),
        pl.col("payment_method_id").cast(pl.Int64),
        pl.col("amount").cast(pl.Float64),
    ).join(orders.select("order_id", "date", "store_id"), on="order_id", how="left")
    payments, bad_payments = split_valid(
        payments,
        "pos.payment",
        "payment_id",
        [
            (pl.col("date").is_null(), "payment's order is not a sale order of this day"),
            (pl.col("payment_method_id").is_null(), "payment has no method"),
            (~_finite("amount"), "amount is not a number"),
        ],
    )
    out_of_balance = (
        lines.group_by("order_id")
        .agg(pl.col("price_subtotal_incl").sum().alias("lines_total"), pl.col("order_amount_total").first())
        .filter((pl.col("lines_total") - pl.col("order_amount_total")).abs() > ORDER_TOTAL_TOLERANCE)
        .height
    )
    quarantine = pl.concat(
        [
            bad_orders.select(pl.lit("pos.order").alias("model"), pl.col("order_id").alias("record_id"),
                              pl.lit("order has no valid date or a duplicate id").alias("reason")),
            bad_lines,
            bad_payments,
        ],
        how="vertical_relaxed",
    ).cast(dict(QUARANTINE_SCHEMA))
    return CleanResult(
        tables={
            CLEAN_LINES: lines.select(CLEAN_LINES_SCHEMA.names()).cast(dict(CLEAN_LINES_SCHEMA)),
            CLEAN_PAYMENTS: payments.select(CLEAN_PAYMENTS_SCHEMA.names()).cast(dict(CLEAN_PAYMENTS_SCHEMA)),
        },
        quarantine=quarantine,
        metrics={"orders": orders.height, "orders_out_of_balance": out_of_balance},
    )

"""Load clean POS data into the star schema: fact_sales (one row per order line) and fact_payments."""

from __future__ import annotations

import polars as pl

from etl import schemas
from etl.transform.pos_order_lines import CLEAN_LINES, CLEAN_PAYMENTS


def fact_sales_from_clean(lines: pl.DataFrame) -> pl.DataFrame:
    """fact_sales rows: revenue is Odoo's price_subtotal_incl (tax included, after discount), revenue_excl_tax its
    price_subtotal; tax_amount is their difference; discount_amount is qty × price_unit × discount % in price_unit's
    own tax basis; a line is a refund when it points at a refunded line or its quantity is negative."""
    return schemas.conform(
        lines.with_columns(
            pl.col("price_subtotal_incl").alias("revenue"),
            pl.col("price_subtotal").alias("revenue_excl_tax"),
            (pl.col("price_subtotal_incl") - pl.col("price_subtotal")).alias("tax_amount"),
            (pl.col("quantity") * pl.col("price_unit") * pl.col("discount_pct") / 100.0).alias("discount_amount"),
            (pl.col("refunded_line_id").is_not_null() | (pl.col("quantity") < 0)).alias("is_refund"),
        ),
        schemas.FACT_SALES,
    )


def fact_payments_from_clean(payments: pl.DataFrame) -> pl.DataFrame:
    return schemas.conform(payments, schemas.FACT_PAYMENTS)


def pos_facts(clean: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The star-schema facts of one POS day, by fact name."""
    return {
        "fact_sales": fact_sales_from_clean(clean[CLEAN_LINES]),
        "fact_payments": fact_payments_from_clean(clean[CLEAN_PAYMENTS]),
    }

"""Load clean invoice sales into the star schema: fact_invoice_sales, one row per product line of a posted customer
invoice or credit note (not from POS). The clean table already holds the fact's signed company-currency figures,
quantity and price_unit in the product's unit of measure (see etl/transform/invoice_sales.py for the formulas);
loading selects the contract's columns."""

from __future__ import annotations

import polars as pl

from etl import schemas
from etl.transform.invoice_sales import CLEAN_LINES


def invoice_sales_facts(clean: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The star-schema facts of one invoice-sales day, by fact name."""
    return {"fact_invoice_sales": schemas.conform(clean[CLEAN_LINES], schemas.FACT_INVOICE_SALES)}

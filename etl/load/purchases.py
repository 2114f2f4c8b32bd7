"""Load clean purchases into the star schema: fact_purchases, one row per product line of a posted vendor bill or
refund (grain, signs, tax basis and unit cost: see etl/transform/purchases.py)."""

from __future__ import annotations

import polars as pl

from etl import schemas
from etl.transform.purchases import CLEAN_TABLE


def purchases_facts(clean: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The star-schema facts of one purchases day, by fact name (the clean table already has every amount)."""
    return {"fact_purchases": schemas.conform(clean[CLEAN_TABLE], schemas.FACT_PURCHASES)}

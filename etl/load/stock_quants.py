"""Load a clean stock-on-hand day into fact_stock_on_hand_snapshot (one row per product, internal location and lot
at the end of the day; quantities in the product's unit, costs tax excluded in company currency)."""

from __future__ import annotations

import polars as pl

from etl import schemas
from etl.transform.stock_quants import CLEAN_TABLE

FACT = "fact_stock_on_hand_snapshot"


def stock_quants_facts(clean: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The star-schema fact of one stock day (the clean table's audit columns stay in the clean layer)."""
    return {FACT: schemas.conform(clean[CLEAN_TABLE], schemas.FACT_STOCK_ON_HAND_SNAPSHOT)}

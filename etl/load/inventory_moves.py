"""Load clean stock moves into the star schema: fact_inventory_moves, one row per done stock.move.line (quantity in
the product's unit; no money, so no tax basis)."""

from __future__ import annotations

import polars as pl

from etl import schemas
from etl.transform.inventory_moves import CLEAN_TABLE


def inventory_moves_facts(clean: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The star-schema fact of one inventory-moves day, by fact name (the clean table already has its columns)."""
    return {"fact_inventory_moves": schemas.conform(clean[CLEAN_TABLE], schemas.FACT_INVENTORY_MOVES)}

"""Stock per position implied by inventory moves: one definition for the reconciliation with stock.quant
(etl/reconcile/inventory_moves.py) and the dashboard's stock variance (services/inventory_metrics.py).

Pure polars with no other import from the ETL, so the dashboard reads it without loading any Odoo client code.
"""

from __future__ import annotations

import polars as pl

TRANSFER = "transfer"  # DESIGN §5 movement_type of internal↔internal (and via transit) lines
STOCK_KEY = ["product_id", "location_id", "lot_id"]  # one stock position


def on_hand_from_moves(moves: pl.DataFrame) -> pl.DataFrame:
    """Stock per (product_id, location_id, lot_id) implied by fact_inventory_moves rows.

    A line adds its quantity at its destination when that is internal stock and takes it from its source when that
    is. signed_quantity carries the net effect on internal stock, so it tells the legs apart: > 0 → destination
    only, < 0 → source only; an internal↔internal transfer has signed_quantity 0 but moves stock between two
    internal locations, so it gives both legs (− at the source, + at the destination). Other lines with 0 touch no
    internal location.
    """
    signed = pl.col("signed_quantity")
    both = (pl.col("movement_type") == TRANSFER) & (signed == 0)
    into = moves.filter((signed > 0) | both).select(
        "product_id", pl.col("location_dest_id").alias("location_id"), "lot_id", "quantity")
    out = moves.filter((signed < 0) | both).select("product_id", "location_id", "lot_id", -pl.col("quantity"))
    return pl.concat([into, out]).group_by(STOCK_KEY).agg(pl.col("quantity").sum())

"""Inventory moves against Odoo (DESIGN §6).

Per business day (`reconcile_inventory_day`): the number of done move lines (Odoo's own `search_count`) and
Σ quantity in the product's unit per movement_type, Odoo's lines read afresh and classified by the DESIGN §5 table,
beside the published fact_inventory_moves. A quarantined line, a stale day or a misclassified one shows here.

On hand (`on_hand_variance`): the stock the published moves imply per (product, internal location, lot) beside
stock.quant. It only balances when every day since the first stock move is published; Odoo keeps quants for
storable products only (stock_move_line.py `_synchronize_quant` / 16's `_action_done` skip the others), so both
sides are restricted to them.
"""

from __future__ import annotations

import os
from datetime import date
from typing import Iterable
from zoneinfo import ZoneInfo

import polars as pl

from etl import io_parquet
from etl.extract.inventory_moves import DATASET, LINE_MODEL, extract_inventory_span, inventory_day_domains
from etl.extract.records import ALL_RECORDS
from etl.published import read_published
from etl.raw_records import raw_frame, records_frame
from etl.reconcile import Check, DayReconciliation
from etl.stock_positions import STOCK_KEY, on_hand_from_moves
from etl.transform.inventory_moves import MOVEMENT_TYPE_NAMES, received_lines
from odoorpc_connector import OdooClient

FACT = "fact_inventory_moves"
QUANTITY_TOLERANCE = 1e-6  # per line: float sums taken in another order
QUANT_FIELDS = {"product_id": "many2one", "location_id": "many2one", "lot_id": "many2one", "quantity": "float"}


def quantity_by_movement_type(lines: pl.DataFrame) -> dict[str, float]:
    """Σ quantity per movement type (every type of DESIGN §5, 0 when absent)."""
    sums = dict(lines.group_by("movement_type").agg(pl.col("quantity").sum()).iter_rows())
    return {kind: float(sums.get(kind) or 0.0) for kind in MOVEMENT_TYPE_NAMES}


def reconcile_inventory_day(client: OdooClient, lake: str | os.PathLike[str], day: date,
                            tz: ZoneInfo) -> DayReconciliation:
    """Compare one business day of fact_inventory_moves with Odoo's done move lines of that day."""
    count = client.call(LINE_MODEL, "search_count", [inventory_day_domains(day, tz, client)[LINE_MODEL]])
    extraction = extract_inventory_span(client, [day], tz)[day]
    odoo = received_lines(raw_frame(extraction.records, extraction.field_types), tz.key)
    fact = read_published(lake, io_parquet.STAR, FACT, day)
    lake_lines = fact if fact is not None else odoo.clear()
    odoo_sums, lake_sums = quantity_by_movement_type(odoo), quantity_by_movement_type(lake_lines)
    tolerance = QUANTITY_TOLERANCE * max(1, count)
    return DayReconciliation(DATASET, day, fact is not None, (
        Check("move_lines", count, lake_lines.height),
        *(Check(f"quantity_{kind}", odoo_sums[kind], lake_sums[kind], tolerance) for kind in MOVEMENT_TYPE_NAMES),
    ))


def storable_products(client: OdooClient, product_ids: Iterable[int]) -> set[int]:
    """Which of `product_ids` Odoo keeps quants for: `is_storable` on Odoo 18, type 'product' before."""
    storable = [("is_storable", "=", True)] if client.has_field("product.product", "is_storable") \
        else [("type", "=", "product")]
    domain = [("id", "in", sorted(set(product_ids))), *storable]
    return set(client.call("product.product", "search", [domain], {"context": ALL_RECORDS}))


def internal_quants(client: OdooClient) -> pl.DataFrame:
    """stock.quant quantities per (product, internal location, lot), packages and owners summed."""
    rows = client.search_read_all("stock.quant", [("location_id.usage", "=", "internal")], list(QUANT_FIELDS))
    frame = records_frame("stock.quant", rows, QUANT_FIELDS)
    return frame.group_by(STOCK_KEY).agg(pl.col("quantity").sum())


def on_hand_variance(client: OdooClient, lake: str | os.PathLike[str], days: Iterable[date]) -> pl.DataFrame:
    """Per (product, internal location, lot) of a storable product: on hand from the published moves of `days`
    (`moves_qty`), from stock.quant (`quant_qty`) and `variance` = moves − quants; rows where either is non-zero."""
    facts = [frame for day in days if (frame := read_published(lake, io_parquet.STAR, FACT, day)) is not None]
    moves = on_hand_from_moves(pl.concat(facts)) if facts else pl.DataFrame(
        schema={"product_id": pl.Int64, "location_id": pl.Int64, "lot_id": pl.Int64, "quantity": pl.Float64})
    quants = internal_quants(client)
    keep = storable_products(client, [*moves["product_id"].drop_nulls(), *quants["product_id"].drop_nulls()])
    joined = moves.rename({"quantity": "moves_qty"}).join(
        quants.rename({"quantity": "quant_qty"}), on=STOCK_KEY, how="full", coalesce=True, nulls_equal=True)
    return joined.filter(pl.col("product_id").is_in(sorted(keep))).with_columns(
        pl.col("moves_qty", "quant_qty").fill_null(0.0),
    ).with_columns((pl.col("moves_qty") - pl.col("quant_qty")).alias("variance")).filter(
        (pl.col("moves_qty") != 0) | (pl.col("quant_qty") != 0)).sort(STOCK_KEY)

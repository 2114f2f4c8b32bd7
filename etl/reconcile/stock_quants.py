"""Stock on hand against Odoo (DESIGN §6: snapshot quantities = stock.quant exactly).

Odoo's figure for day D, per (product, internal location, lot): the quants now, with the done moves of storable
products since the end of D taken back — the day that has just ended is then stock.quant itself, give or take the
moves made since midnight; an older day is what Odoo's own "inventory at date" computes the same way. It is
recomputed here with plain reads and Python sums (not the ETL's cleaner); Odoo 16's `qty_done`, in the move line's
unit, is converted with the uom.uom factors. Checks: keys with stock, total quantity, and keys whose quantity differs.
"""

from __future__ import annotations

import os
from collections import defaultdict
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from etl import io_parquet
from etl.dates import ODOO_DATETIME_FORMAT, odoo_window
from etl.extract.stock_quants import (
    ALL_RECORDS, MOVE_LINE, SIDES, done_quantity, moves_domain, quant_domain, read_groups, storable_leaf,
)
from etl.load.stock_quants import FACT
from etl.published import read_published
from etl.reconcile import Check, DayReconciliation
from etl.transform.stock_quants import OUT
from odoorpc_connector import OdooClient

DATASET = "stock_quants"
QTY_TOLERANCE = 1e-6  # per key: float sums, and the lake rounds rebuilt quantities to 6 decimals
Key = tuple[int, int, int | None]  # product, location, lot


def _id(value: object) -> int | None:
    return value[0] if value else None  # type: ignore[index]


def _to_product_unit(client: OdooClient, groups: list[dict]) -> dict[tuple[int, int], float]:
    """(product, line unit) → product-unit quantity per line unit, from the uom.uom factors (Odoo 16)."""
    factor = {row["id"]: row["factor"] for row in client.search_read_all("uom.uom", [], ["factor"],
                                                                           context=ALL_RECORDS)}
    products = {_id(group["product_id"]) for group in groups}
    unit = {row["id"]: _id(row["uom_id"]) for row in client.search_read_all(
        "product.product", [("id", "in", sorted(products))], ["uom_id"], context=ALL_RECORDS)}
    pairs = {(_id(group["product_id"]), _id(group["product_uom_id"])) for group in groups}
    return {(product, line_unit): factor[unit[product]] / factor[line_unit] for product, line_unit in pairs}


def odoo_on_hand(client: OdooClient, day: date, tz: ZoneInfo) -> dict[Key, float]:
    """Odoo's quantity on hand at the end of business day `day`, per key."""
    on_hand: dict[Key, float] = defaultdict(float)
    for quant in client.search_read_all("stock.quant", quant_domain(), ["product_id", "location_id", "lot_id",
                                                                         "quantity"], context=ALL_RECORDS):
        on_hand[(_id(quant["product_id"]), _id(quant["location_id"]), _id(quant["lot_id"]))] += quant["quantity"]
    since, until = odoo_window(day, tz)[1], datetime.now(timezone.utc).strftime(ODOO_DATETIME_FORMAT)
    quantity, product_unit = done_quantity(client)
    storable = storable_leaf(client)
    for direction, side in SIDES.items():
        groups = read_groups(client, MOVE_LINE, moves_domain(direction, since, until, storable), [f"{quantity}:sum"],
                             ["product_id", side, "lot_id", *([] if product_unit else ["product_uom_id"])])
        ratio = {} if product_unit else _to_product_unit(client, groups)
        for group in groups:
            product = _id(group["product_id"])
            moved = group[quantity] * (1.0 if product_unit else ratio[(product, _id(group["product_uom_id"]))])
            key = (product, _id(group[side]), _id(group["lot_id"]))
            on_hand[key] += moved if direction == OUT else -moved  # going back in time: outgoing comes back
    return dict(on_hand)


def reconcile_stock_quants_day(client: OdooClient, lake: str | os.PathLike[str], day: date,
                               tz: ZoneInfo) -> DayReconciliation:
    """Compare one day of fact_stock_on_hand_snapshot with Odoo's quantities on hand at the end of that day."""
    odoo = odoo_on_hand(client, day, tz)
    snapshot = read_published(lake, io_parquet.STAR, FACT, day)
    lake_qty: dict[Key, float] = defaultdict(float)
    for product, location, lot, quantity in (snapshot.select("product_id", "location_id", "lot_id", "quantity").rows()
                                             if snapshot is not None else []):
        lake_qty[(product, location, lot)] += quantity

    def stocked(figures: dict[Key, float]) -> int:
        return sum(abs(quantity) > QTY_TOLERANCE for quantity in figures.values())

    differing = sum(abs(odoo.get(key, 0.0) - lake_qty.get(key, 0.0)) > QTY_TOLERANCE for key in {*odoo, *lake_qty})
    return DayReconciliation(DATASET, day, snapshot is not None, (
        Check("keys", stocked(odoo), stocked(lake_qty)),
        Check("quantity", sum(odoo.values()), sum(lake_qty.values()), QTY_TOLERANCE * max(1, len(odoo))),
        Check("keys_differing", 0, differing),
    ))

"""Read what puts a line's quantity in its product's unit of measure: the products the lines refer to (their
`uom_id`) and the units of both (uom.uom `factor` and `category_id`), by id.

One paged chain per model (archived records included: a past document may use a product or unit archived since), so
calls grow with pages, never with lines. The transform side is etl/transform/uom.py (`product_unit_ratio`).
"""

from __future__ import annotations

from etl.extract.records import Extraction, Record, read_by_ids, referenced_ids
from etl.transform.uom import PRODUCT_MODEL, UOM_MODEL
from odoorpc_connector import OdooClient

PRODUCT_FIELDS = ("uom_id", "write_date")
UOM_FIELDS = ("factor", "category_id", "write_date")


def read_product_units(client: OdooClient, extraction: Extraction, lines: list[Record]) -> None:
    """Into `extraction`: the products `lines` refer to (`product_id`) and the units of measure of the lines
    (`product_uom_id`) and of those products (`uom_id`)."""
    products = read_by_ids(client, extraction, PRODUCT_MODEL, referenced_ids(lines, "product_id"), PRODUCT_FIELDS)
    units = referenced_ids([*lines, *products], "product_uom_id", "uom_id")
    read_by_ids(client, extraction, UOM_MODEL, units, UOM_FIELDS)

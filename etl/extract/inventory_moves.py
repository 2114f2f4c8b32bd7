"""Extract business days of stock moves: the done stock.move.line of the days and the records that classify them.

A line belongs to the business day of its `date` (UTC datetime; Odoo sets it when the line is done); its move goes to
every day one of its lines belongs to. Days are read in spans (etl/extract/spans.py), each model once a span.
Filtering is on the line's `state` = done, never on `picked` (on Odoo 17+ a line's `quantity` is its reserved quantity
until it is done). Each model is one paged call chain, so calls grow with pages, never with the number of lines:

- stock.move.line of the day (the done quantity: `quantity_product_uom` where fields_get has it (17+), else
  `qty_done` in the line's unit (16));
- stock.move of those lines, by the same day filter through `move_line_ids` (so the day's fingerprint covers them);
  where the server understands the `any` operator (Odoo 17+) as one `("move_line_ids", "any", <line domain>)` leaf,
  else as the three `move_line_ids.<field>` path leaves (see `inventory_day_domains`);
- then by id: their pickings, the operation types of moves and pickings (for `code`), the lines' locations (for
  `usage`) and, only where Odoo does not store the quantity in the product's unit (16), the products' units and the
  uom.uom factors.

Optional fields (mrp's `production_id` / `raw_material_production_id`, `is_inventory`) are read when fields_get
shows them and come back null otherwise.
"""

from __future__ import annotations

from datetime import date
from weakref import WeakKeyDictionary
from zoneinfo import ZoneInfo

from etl.dates import odoo_window
from etl.extract.records import Extraction, read_by_ids, referenced_ids
from etl.extract.spans import SpanLayout, read_span
from odoorpc_connector import Domain, OdooAccessError, OdooClient, OdooError, OdooUnavailableError

DATASET = "inventory_moves"
LINE_MODEL = "stock.move.line"
MOVE_MODEL = "stock.move"
PRODUCT_UOM_QTY = "quantity_product_uom"  # stock.move.line, Odoo 17+: stored, computed by Odoo in the product's unit

LINE_FIELDS = ("move_id", "picking_id", "product_id", "lot_id", "location_id", "location_dest_id",
               PRODUCT_UOM_QTY, "qty_done", "product_uom_id", "state", "date", "reference", "company_id",
               "write_date")
MOVE_FIELDS = ("picking_id", "picking_type_id", "production_id", "raw_material_production_id", "is_inventory",
               "reference", "state", "write_date")
PICKING_FIELDS = ("name", "picking_type_id", "write_date")
PICKING_TYPE_FIELDS = ("code", "write_date")
LOCATION_FIELDS = ("usage", "write_date")
PRODUCT_FIELDS = ("uom_id", "write_date")
UOM_FIELDS = ("factor", "rounding", "category_id", "write_date")
DAY_FIELDS = {LINE_MODEL: LINE_FIELDS, MOVE_MODEL: MOVE_FIELDS}
LAYOUT = SpanLayout(LINE_MODEL, "date", root_points_to={MOVE_MODEL: "move_id"})


def done_line_domain(prefix: str, start: str, end: str) -> Domain:
    """Done move lines dated in [start, end); `prefix` reaches the lines from another model."""
    return [(f"{prefix}date", ">=", start), (f"{prefix}date", "<", end), (f"{prefix}state", "=", "done")]


# Whether a server evaluates an `any` leaf on an x2many field, per client (probed once; see accepts_any).
_ACCEPTS_ANY: WeakKeyDictionary[OdooClient, bool] = WeakKeyDictionary()


def accepts_any(client: OdooClient) -> bool:
    """Whether the server understands `(x2many, "any", domain)` leaves: Odoo 17 and 18 do, Odoo 16 (and demo_odoo)
    answer "Invalid leaf". Asked once per client with a search that matches nothing; an Odoo outage or a refused
    model is raised, not taken for an answer."""
    known = _ACCEPTS_ANY.get(client)
    if known is None:
        try:
            client.call(MOVE_MODEL, "search", [[("move_line_ids", "any", [("id", "=", 0)])]], {"limit": 1})
            known = True
        except (OdooUnavailableError, OdooAccessError):
            raise
        except OdooError:
            known = False
        _ACCEPTS_ANY[client] = known
    return known


def inventory_span_domains(client: OdooClient | None, first: date, last: date, tz: ZoneInfo) -> dict[str, Domain]:
    """The done move lines of business days `first`..`last` and their stock moves, one domain per model (for one
    day, what the day's fingerprint covers: a late correction creates or writes move lines, and a stock.move change
    shows too).

    The moves are those with a done line of the day. Given a `client` whose server accepts `any` (Odoo 17+), that is
    one leaf, `("move_line_ids", "any", <the lines' domain>)`: one indexed subquery on the day's lines. Otherwise
    (Odoo 16, demo_odoo, or no client) it is the three path leaves `move_line_ids.date >= start`, `... < end`,
    `move_line_ids.state = done`, which Odoo turns into three independent subqueries over stock_move_line — each
    matching most of the table (every line after the start, every line before the end, every done line); on the
    real Odoo 17 this took 3-4 s per day (PostgreSQL semi-joins on tables without statistics) against ~10 ms for the
    `any` leaf. Both select the same moves whenever a move's done lines share one business day (Odoo stamps a
    move's lines when it is done); checked day by day on the real Odoo 17's month.
    """
    start, end = odoo_window(first, tz)[0], odoo_window(last, tz)[1]
    lines = done_line_domain("", start, end)
    if client is not None and accepts_any(client):
        moves: Domain = [("move_line_ids", "any", lines)]
    else:
        moves = done_line_domain("move_line_ids.", start, end)
    return {LINE_MODEL: lines, MOVE_MODEL: moves}


def inventory_day_domains(day: date, tz: ZoneInfo, client: OdooClient | None = None) -> dict[str, Domain]:
    """The done move lines of business day `day` and their stock moves (what its fingerprint covers)."""
    return inventory_span_domains(client, day, day, tz)


def read_move_references(client: OdooClient, extraction: Extraction) -> None:
    """The pickings, operation types and locations of the extraction's lines and moves, and on Odoo 16 their units."""
    lines, moves = extraction.records[LINE_MODEL], extraction.records[MOVE_MODEL]
    pickings = read_by_ids(client, extraction, "stock.picking", referenced_ids(lines + moves, "picking_id"),
                           PICKING_FIELDS)
    read_by_ids(client, extraction, "stock.picking.type", referenced_ids(moves + pickings, "picking_type_id"),
                PICKING_TYPE_FIELDS)
    read_by_ids(client, extraction, "stock.location", referenced_ids(lines, "location_id", "location_dest_id"),
                LOCATION_FIELDS)
    if not client.has_field(LINE_MODEL, PRODUCT_UOM_QTY):
        products = read_by_ids(client, extraction, "product.product", referenced_ids(lines, "product_id"),
                               PRODUCT_FIELDS)
        read_by_ids(client, extraction, "uom.uom", referenced_ids(lines + products, "product_uom_id", "uom_id"),
                    UOM_FIELDS)


def extract_inventory_span(client: OdooClient, days: list[date], tz: ZoneInfo) -> dict[date, Extraction]:
    """Read the done move lines of consecutive business `days` with their moves, pickings, operation types and
    locations, one extraction per day."""
    return read_span(client, DATASET, days, tz, inventory_span_domains, DAY_FIELDS, LAYOUT,
                     references=read_move_references)

"""Extract one business day of invoice sales: the posted customer invoices and credit notes of the day, their
product lines, and the products' and lines' units of measure (a line's unit may differ from its product's:
account.move.line `product_uom_id` is editable, and a sale order line passes its own unit on to the invoice).

The day of an invoice is its `invoice_date` (a date, already the business day: no timezone shift). Two paged
`search_read` call chains (moves, lines), each filtered through the move's type, state and invoice date, then the
products and units read by id (etl/extract/uoms.py), so calls grow with pages, never with the number of invoices.

Invoices created from POS orders are read too and left out by the cleaner (they are already in fact_sales): their
link, account.move `pos_order_ids` (added by point_of_sale), is requested only when `fields_get` shows it. Reading
them keeps the day's domains independent of the installed modules, so the fingerprint domains are exactly the
domains read here. Validation (`pos_excluded_domains`) asks Odoo directly for the non-POS invoices instead.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from etl.extract.records import Extraction
from etl.extract.spans import SpanLayout, read_span
from etl.extract.uoms import read_product_units
from odoorpc_connector import Domain, OdooClient

DATASET = "invoice_sales"
MOVE_MODEL = "account.move"
LINE_MODEL = "account.move.line"
CUSTOMER_MOVE_TYPES = ("out_invoice", "out_refund")
POSTED = "posted"
PRODUCT_LINE = "product"  # display_type of an invoice's product lines (16, 17 and 18 alike)
POS_LINK = "pos_order_ids"  # account.move field of point_of_sale: the POS orders an invoice was created from

MOVE_FIELDS = ("name", "move_type", "state", "invoice_date", "partner_id", "invoice_user_id", "company_id",
               "currency_id", "amount_untaxed_signed", "amount_total_signed", "amount_total", POS_LINK, "write_date")
LINE_FIELDS = ("move_id", "display_type", "product_id", "quantity", "product_uom_id", "price_unit", "discount",
               "price_subtotal", "price_total", "balance", "amount_currency", "currency_id", "write_date")
MODEL_FIELDS = {MOVE_MODEL: MOVE_FIELDS, LINE_MODEL: LINE_FIELDS}
LAYOUT = SpanLayout(MOVE_MODEL, "invoice_date", root_day_is_date=True, points_to_root={LINE_MODEL: "move_id"})


def invoice_date_leaves(prefix: str, first: date, last: date) -> Domain:
    """`invoice_date` in `first`..`last`: one `=` leaf for a single day (the form Odoo users know), else a range."""
    if first == last:
        return [(f"{prefix}invoice_date", "=", first.isoformat())]
    return [(f"{prefix}invoice_date", ">=", first.isoformat()), (f"{prefix}invoice_date", "<=", last.isoformat())]


def customer_invoice_domain(prefix: str, first: date, last: date) -> Domain:
    """Posted customer invoices and credit notes dated `first`..`last`; `prefix` reaches the move from a line."""
    return [(f"{prefix}move_type", "in", list(CUSTOMER_MOVE_TYPES)), (f"{prefix}state", "=", POSTED),
            *invoice_date_leaves(prefix, first, last)]


def invoice_sales_span_domains(client: OdooClient | None, first: date, last: date, tz: ZoneInfo) -> dict[str, Domain]:
    """The customer invoices of business days `first`..`last` and their product lines, one domain per model (`tz`
    is unused: `invoice_date` is already a business day)."""
    return {MOVE_MODEL: customer_invoice_domain("", first, last),
            LINE_MODEL: [*customer_invoice_domain("move_id.", first, last), ("display_type", "=", PRODUCT_LINE)]}


def invoice_sales_day_domains(day: date, tz: ZoneInfo, client: OdooClient | None = None) -> dict[str, Domain]:
    """The customer invoices of business day `day` and their product lines (what its fingerprint covers)."""
    return invoice_sales_span_domains(client, day, day, tz)


def pos_excluded_domains(client: OdooClient, day: date) -> dict[str, Domain]:
    """The day's domains without the invoices created from POS orders (nothing to exclude without point_of_sale)."""
    domains = invoice_sales_day_domains(day, ZoneInfo("UTC"))
    if client.has_field(MOVE_MODEL, POS_LINK):
        domains[MOVE_MODEL].append((POS_LINK, "=", False))
        domains[LINE_MODEL].append((f"move_id.{POS_LINK}", "=", False))
    return domains


def extract_invoice_sales_span(client: OdooClient, days: list[date], tz: ZoneInfo) -> dict[date, Extraction]:
    """Read the customer invoices and product lines of consecutive business `days`, and their products' units."""
    return read_span(client, DATASET, days, tz, invoice_sales_span_domains, MODEL_FIELDS, LAYOUT,
                     references=lambda rpc, read: read_product_units(rpc, read, read.records[LINE_MODEL]))

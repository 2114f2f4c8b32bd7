"""Extract one business day of purchases: the posted vendor bills and refunds of the day, their product lines, and
what their unit costs need (the lines' taxes, the products' units of measure and those units' factors).

The day of a bill is its `invoice_date` (a date, already the business day: no timezone shift). The bills and their
lines are two paged `search_read` call chains filtered through the bill's type, state and date; the taxes, then the
products and units (etl/extract/uoms.py), are read by id (one paged chain each, archived records included), so calls
grow with pages, never with the number of bills.

Besides product lines, the bills' cash-rounding lines (display_type `rounding`) are read: Odoo's
account.move `_compute_amount` (16, 17 and 18 alike) adds them into the bill's untaxed amount or tax, so the
cleaner needs them to check that the product lines add up to the bill. Tax, payment-term, section and note lines
are not read (the bill's own totals stand for them).

Version differences come from `fields_get`: account.tax `price_include` is a stored boolean on 16/17 and a computed
one on 18 (from `price_include_override` and the company default), readable over RPC on all three; when a server
only shows `price_include_override`, that is read instead. account.move.line `tax_repartition_line_id` (which
tells a tax rounding line from an untaxed one) is read when the server has it.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from etl.extract.invoice_sales import invoice_date_leaves
from etl.extract.records import Extraction, Record, read_by_ids, referenced_ids
from etl.extract.spans import SpanLayout, read_span
from etl.extract.uoms import read_product_units
from odoorpc_connector import Domain, OdooClient

DATASET = "purchases"
MOVE_MODEL = "account.move"
LINE_MODEL = "account.move.line"
TAX_MODEL = "account.tax"

VENDOR_MOVE_TYPES = ("in_invoice", "in_refund")
REFUND_TYPE = "in_refund"
POSTED = "posted"
PRODUCT_LINE = "product"  # display_type of a bill's product lines (16, 17 and 18 alike)
ROUNDING_LINE = "rounding"  # cash rounding: counted in the bill's totals by account.move._compute_amount

MOVE_FIELDS = ("name", "move_type", "state", "invoice_date", "partner_id", "company_id", "currency_id",
               "amount_untaxed_signed", "amount_total_signed", "write_date")
LINE_FIELDS = ("move_id", "display_type", "product_id", "quantity", "product_uom_id", "price_unit", "discount",
               "price_subtotal", "price_total", "balance", "amount_currency", "tax_ids", "tax_repartition_line_id",
               "write_date")
TAX_FIELDS = ("price_include", "price_include_override", "write_date")
DAY_FIELDS = {MOVE_MODEL: MOVE_FIELDS, LINE_MODEL: LINE_FIELDS}
LAYOUT = SpanLayout(MOVE_MODEL, "invoice_date", root_day_is_date=True, points_to_root={LINE_MODEL: "move_id"})


def vendor_bill_domain(prefix: str, first: date, last: date) -> Domain:
    """Posted vendor bills and refunds dated `first`..`last`; `prefix` reaches the bill from a line."""
    return [(f"{prefix}move_type", "in", list(VENDOR_MOVE_TYPES)), (f"{prefix}state", "=", POSTED),
            *invoice_date_leaves(prefix, first, last)]


def purchase_span_domains(client: OdooClient | None, first: date, last: date, tz: ZoneInfo) -> dict[str, Domain]:
    """The vendor bills of business days `first`..`last` and their product and rounding lines, one domain per model
    (`tz` is unused: `invoice_date` is already a business day)."""
    return {MOVE_MODEL: vendor_bill_domain("", first, last),
            LINE_MODEL: [*vendor_bill_domain("move_id.", first, last),
                         ("display_type", "in", [PRODUCT_LINE, ROUNDING_LINE])]}


def purchase_day_domains(day: date, tz: ZoneInfo, client: OdooClient | None = None) -> dict[str, Domain]:
    """The vendor bills of business day `day` and their product and rounding lines (what its fingerprint covers)."""
    return purchase_span_domains(client, day, day, tz)


def read_unit_references(client: OdooClient, extraction: Extraction, lines: list[Record]) -> None:
    """The taxes, products and units of measure `lines` refer to (what a unit cost in product UoM needs)."""
    read_by_ids(client, extraction, TAX_MODEL, referenced_ids(lines, "tax_ids"), TAX_FIELDS)
    read_product_units(client, extraction, lines)


def extract_purchases_span(client: OdooClient, days: list[date], tz: ZoneInfo) -> dict[date, Extraction]:
    """Read the vendor bills of consecutive business `days`, their lines and the records their unit costs refer to."""
    return read_span(client, DATASET, days, tz, purchase_span_domains, DAY_FIELDS, LAYOUT,
                     references=lambda rpc, read: read_unit_references(rpc, read, read.records[LINE_MODEL]))

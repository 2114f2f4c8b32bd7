"""Extract one business day of purchases: the posted vendor bills and refunds of the day, their product lines, and
what their unit costs need (the lines' taxes, the products' units of measure and those units' factors).

The day of a bill is its `invoice_date` (a date, already the business day: no timezone shift). The bills and their
lines are two paged `search_read` call chains filtered through the bill's type, state and date; the taxes, products
and units are then read by id (one paged chain each, archived records included), so calls grow with pages, never
with the number of bills.

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
from typing import Iterable, Sequence
from zoneinfo import ZoneInfo

from etl.extract.records import Extraction, read_model, read_models
from odoorpc_connector import Domain, OdooClient

DATASET = "purchases"
MOVE_MODEL = "account.move"
LINE_MODEL = "account.move.line"
TAX_MODEL = "account.tax"
PRODUCT_MODEL = "product.product"
UOM_MODEL = "uom.uom"

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
PRODUCT_FIELDS = ("uom_id", "write_date")
UOM_FIELDS = ("factor", "category_id", "write_date")
DAY_FIELDS = {MOVE_MODEL: MOVE_FIELDS, LINE_MODEL: LINE_FIELDS}
ALL_RECORDS = {"active_test": False}  # a bill of the past may use a tax, product or unit archived since


def vendor_bill_domain(prefix: str, day: date) -> Domain:
    """Posted vendor bills and refunds dated `day`; `prefix` reaches the bill from a line."""
    return [(f"{prefix}move_type", "in", list(VENDOR_MOVE_TYPES)), (f"{prefix}state", "=", POSTED),
            (f"{prefix}invoice_date", "=", day.isoformat())]


def purchase_day_domains(day: date, tz: ZoneInfo) -> dict[str, Domain]:
    """The vendor bills of business day `day` and their product and rounding lines, one domain per model (`tz` is
    unused: `invoice_date` is already a business day)."""
    return {MOVE_MODEL: vendor_bill_domain("", day),
            LINE_MODEL: [*vendor_bill_domain("move_id.", day),
                         ("display_type", "in", [PRODUCT_LINE, ROUNDING_LINE])]}


def _referenced(rows: Iterable[dict], *fields: str) -> list[int]:
    """The distinct ids the many2one (`[id, "name"]`) or many2many (`[ids]`) `fields` of `rows` refer to, sorted."""
    ids: set[int] = set()
    for row in rows:
        for name in fields:
            value = row.get(name) or []
            ids.update(value[:1] if len(value) == 2 and isinstance(value[1], str) else value)
    return sorted(ids)


def read_by_ids(client: OdooClient, extraction: Extraction, model: str, ids: list[int],
                wanted: Sequence[str]) -> list[dict]:
    """Records `ids` of `model` (archived ones too) into `extraction`; no call when there are none."""
    if not ids:
        extraction.field_types[model] = client.field_types(model, wanted)
        extraction.records[model] = []
        return []
    return read_model(client, extraction, model, [("id", "in", ids)], wanted, context=ALL_RECORDS)


def read_unit_references(client: OdooClient, extraction: Extraction, lines: list[dict]) -> None:
    """The taxes, products and units of measure `lines` refer to (what a unit cost in product UoM needs)."""
    read_by_ids(client, extraction, TAX_MODEL, _referenced(lines, "tax_ids"), TAX_FIELDS)
    products = read_by_ids(client, extraction, PRODUCT_MODEL, _referenced(lines, "product_id"), PRODUCT_FIELDS)
    uoms = _referenced([*lines, *products], "product_uom_id", "uom_id")
    read_by_ids(client, extraction, UOM_MODEL, uoms, UOM_FIELDS)


def extract_purchases_day(client: OdooClient, day: date, tz: ZoneInfo) -> Extraction:
    """Read the vendor bills of business day `day`, their lines and the records their unit costs refer to."""
    calls_before = client.stats.calls
    extraction = read_models(client, DATASET, day.isoformat(), purchase_day_domains(day, tz), DAY_FIELDS)
    read_unit_references(client, extraction, extraction.records[LINE_MODEL])
    extraction.rpc_calls = client.stats.calls - calls_before
    return extraction

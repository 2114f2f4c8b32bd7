"""Extract business days of POS sales: the days' paid/done/invoiced orders, their lines and payments.

Three paged `search_read` calls chains (orders, lines, payments) per span of days (etl/extract/spans.py), each
filtered through the order's `date_order` window and state, so calls grow with pages and never with the number of
orders; each line and payment goes to its order's business day. Optional fields (the cashier
employee of pos_hr, refund links) are requested only when `fields_get` shows them.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from etl.dates import odoo_window
from etl.extract.records import Extraction
from etl.extract.spans import SpanLayout, read_span
from odoorpc_connector import OdooClient

DATASET = "pos_order_lines"

# pos.order states that are sales (Odoo point_of_sale: draft and cancel are not).
SALE_STATES = ("paid", "done", "invoiced")

ORDER_FIELDS = ("name", "pos_reference", "date_order", "state", "session_id", "config_id", "partner_id",
                "user_id", "employee_id", "company_id", "amount_total", "amount_tax", "write_date")
LINE_FIELDS = ("order_id", "product_id", "qty", "price_unit", "discount", "price_subtotal", "price_subtotal_incl",
               "tax_ids_after_fiscal_position", "refunded_orderline_id", "company_id", "write_date")
PAYMENT_FIELDS = ("pos_order_id", "payment_method_id", "amount", "payment_date", "write_date")


def sale_order_domain(prefix: str, start: str, end: str) -> list:
    """Sale orders (SALE_STATES) dated in [start, end); `prefix` reaches the order from a line or payment."""
    return [(f"{prefix}date_order", ">=", start), (f"{prefix}date_order", "<", end),
            (f"{prefix}state", "in", list(SALE_STATES))]


MODEL_FIELDS = {"pos.order": ORDER_FIELDS, "pos.order.line": LINE_FIELDS, "pos.payment": PAYMENT_FIELDS}
LAYOUT = SpanLayout("pos.order", "date_order", points_to_root={"pos.order.line": "order_id",
                                                                "pos.payment": "pos_order_id"})


def pos_span_domains(client: OdooClient | None, first: date, last: date, tz: ZoneInfo) -> dict[str, list]:
    """The sale orders of business days `first`..`last`, their lines and their payments, one domain per model."""
    start, end = odoo_window(first, tz)[0], odoo_window(last, tz)[1]
    return {"pos.order": sale_order_domain("", start, end),
            "pos.order.line": sale_order_domain("order_id.", start, end),
            "pos.payment": sale_order_domain("pos_order_id.", start, end)}


def pos_day_domains(day: date, tz: ZoneInfo, client: OdooClient | None = None) -> dict[str, list]:
    """The sale orders of business day `day`, their lines and their payments (what its fingerprint covers)."""
    return pos_span_domains(client, day, day, tz)


def extract_pos_span(client: OdooClient, days: list[date], tz: ZoneInfo) -> dict[date, Extraction]:
    """Read the POS orders, lines and payments of consecutive business `days`, one extraction per day."""
    return read_span(client, DATASET, days, tz, pos_span_domains, MODEL_FIELDS, LAYOUT)

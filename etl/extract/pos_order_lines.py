"""Extract one business day of POS sales: the day's paid/done/invoiced orders, their lines and payments.

Three paged `search_read` calls chains (orders, lines, payments), each filtered through the order's `date_order`
window and state, so calls grow with pages and never with the number of orders. Optional fields (the cashier
employee of pos_hr, refund links) are requested only when `fields_get` shows them.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from etl.dates import odoo_window
from etl.extract.records import Extraction, read_models
from odoorpc_connector import OdooClient

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


def pos_day_domains(day: date, tz: ZoneInfo, client: OdooClient | None = None) -> dict[str, list]:
    """The sale orders of business day `day`, their lines and their payments, as one domain per model."""
    start, end = odoo_window(day, tz)
    return {"pos.order": sale_order_domain("", start, end),
            "pos.order.line": sale_order_domain("order_id.", start, end),
            "pos.payment": sale_order_domain("pos_order_id.", start, end)}


def extract_pos_day(client: OdooClient, day: date, tz: ZoneInfo) -> Extraction:
    """Read the POS orders, lines and payments of business day `day`."""
    return read_models(client, "pos_order_lines", day.isoformat(), pos_day_domains(day, tz), MODEL_FIELDS)

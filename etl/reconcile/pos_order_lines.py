"""POS sales against Odoo: revenue of day D = Σ amount_total of D's paid/done/invoiced pos.order, within 1 currency
unit per order (Odoo rounds each line); order and line counts exact (DESIGN §6)."""

from __future__ import annotations

import os
from datetime import date
from zoneinfo import ZoneInfo

from etl import io_parquet
from etl.extract.pos_order_lines import pos_day_domains
from etl.published import read_published
from etl.reconcile import Check, DayReconciliation
from odoorpc_connector import OdooClient

PER_ORDER_TOLERANCE = 1.0
DATASET = "pos_order_lines"


def reconcile_pos_day(client: OdooClient, lake: str | os.PathLike[str], day: date, tz: ZoneInfo) -> DayReconciliation:
    """Compare one business day of fact_sales with Odoo's own order totals and counts."""
    domains = pos_day_domains(day, tz)
    orders = client.search_read_all("pos.order", domains["pos.order"], ["amount_total"])
    lines = client.call("pos.order.line", "search_count", [domains["pos.order.line"]])
    sales = read_published(lake, io_parquet.STAR, "fact_sales", day)
    lake_orders = sales["order_id"].n_unique() if sales is not None else 0
    lake_revenue = float(sales["revenue"].sum() or 0.0) if sales is not None else 0.0
    return DayReconciliation(DATASET, day, sales is not None, (
        Check("orders", len(orders), lake_orders),
        Check("lines", lines, sales.height if sales is not None else 0),
        Check("revenue", sum(o["amount_total"] for o in orders), lake_revenue,
              max(1, len(orders)) * PER_ORDER_TOLERANCE),
    ))

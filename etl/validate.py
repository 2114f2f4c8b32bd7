"""Reconcile the lake with Odoo (DESIGN §6): what `scripts/validate_pos_data.py` reports and the tests assert.

POS revenue of day D = Σ pos.order amount_total of D's paid/done/invoiced orders, within 1 currency unit per order
(Odoo rounds each line); order and line counts must match exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

from etl import io_parquet
from etl.published import read_published
from etl.dates import odoo_window
from etl.extract.pos_order_lines import sale_order_domain
from odoorpc_connector import OdooClient

PER_ORDER_TOLERANCE = 1.0


@dataclass(frozen=True)
class PosReconciliation:
    day: date
    odoo_orders: int
    lake_orders: int
    odoo_lines: int
    lake_lines: int
    odoo_revenue: float
    lake_revenue: float

    @property
    def revenue_tolerance(self) -> float:
        return max(1, self.odoo_orders) * PER_ORDER_TOLERANCE

    @property
    def ok(self) -> bool:
        return (self.odoo_orders == self.lake_orders and self.odoo_lines == self.lake_lines
                and abs(self.odoo_revenue - self.lake_revenue) <= self.revenue_tolerance)


def reconcile_pos_day(client: OdooClient, lake: str | Path, day: date, tz: ZoneInfo) -> PosReconciliation:
    """Compare one business day of fact_sales with Odoo's own order totals and counts."""
    start, end = odoo_window(day, tz)
    orders = client.search_read_all("pos.order", sale_order_domain("", start, end), ["amount_total"])
    lines = client.call("pos.order.line", "search_count", [sale_order_domain("order_id.", start, end)])
    sales = read_published(lake, io_parquet.STAR, "fact_sales", day)
    if sales is None:
        sales = pl.DataFrame({"order_id": [], "revenue": []})
    return PosReconciliation(
        day=day, odoo_orders=len(orders), lake_orders=sales["order_id"].n_unique(), odoo_lines=lines,
        lake_lines=sales.height, odoo_revenue=sum(o["amount_total"] for o in orders),
        lake_revenue=float(sales["revenue"].sum() or 0.0),
    )

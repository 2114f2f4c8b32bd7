"""Invoice sales against Odoo (DESIGN §6): revenue of day D = Σ amount_total_signed (company currency) of D's posted
customer invoices and credit notes not created from POS orders, within 1 unit of each invoice's currency (Odoo
rounds each line); invoice and product-line counts exact. Odoo's side is asked with the POS exclusion in the domain
(when point_of_sale is installed), independently of how the ETL excluded them."""

from __future__ import annotations

import os
from datetime import date
from zoneinfo import ZoneInfo

import polars as pl

from etl import io_parquet
from etl.extract.invoice_sales import LINE_MODEL, MOVE_MODEL, pos_excluded_domains
from etl.published import read_published
from etl.reconcile import Check, DayReconciliation
from etl.transform.invoice_sales import tolerance_expr
from odoorpc_connector import OdooClient

DATASET = "invoice_sales"


def reconcile_invoice_sales_day(client: OdooClient, lake: str | os.PathLike[str], day: date,
                                tz: ZoneInfo) -> DayReconciliation:
    """Compare one business day of fact_invoice_sales with Odoo's own invoice totals and counts."""
    domains = pos_excluded_domains(client, day)
    moves = client.search_read_all(MOVE_MODEL, domains[MOVE_MODEL], ["amount_total_signed", "amount_total"])
    lines = client.call(LINE_MODEL, "search_count", [domains[LINE_MODEL]])
    columns = ("amount_total_signed", "amount_total")
    totals = pl.DataFrame({name: [move[name] for move in moves] for name in columns},
                          schema={name: pl.Float64 for name in columns})
    odoo_revenue, tolerance = totals.select(
        pl.sum("amount_total_signed"),
        tolerance_expr(pl.col("amount_total_signed"), pl.col("amount_total")).sum().alias("tolerance"),
    ).row(0)
    sales = read_published(lake, io_parquet.STAR, "fact_invoice_sales", day)
    return DayReconciliation(DATASET, day, sales is not None, (
        Check("invoices", len(moves), sales["move_id"].n_unique() if sales is not None else 0),
        Check("lines", lines, sales.height if sales is not None else 0),
        Check("revenue", odoo_revenue, float(sales["revenue"].sum() or 0.0) if sales is not None else 0.0, tolerance),
    ))

"""Typed column contracts of the star schema (DESIGN §5): the interface between the ETL and the dashboard.

Money is kept as Odoo returns it (Float64, company currency, no rounding); `date` is the business day in
BUSINESS_TIMEZONE; timestamps are UTC. Every fact partition and dimension file is written with exactly these
columns in this order, so an empty day is still a typed file.
"""

from __future__ import annotations

import polars as pl

ID = pl.Int64
MONEY = pl.Float64
QTY = pl.Float64
UTC_TS = pl.Datetime("us", "UTC")

# One row per POS order line (pos.order.line of a paid/done/invoiced order); revenue is tax included, after discount.
FACT_SALES = pl.Schema(
    {
        "date": pl.Date,
        "order_ts": UTC_TS,
        "order_id": ID,
        "order_ref": pl.String,
        "store_id": ID,
        "session_id": ID,
        "line_id": ID,
        "product_id": ID,
        "customer_id": ID,
        "cashier_id": ID,
        "user_id": ID,
        "company_id": ID,
        "quantity": QTY,
        "price_unit": MONEY,
        "discount_pct": pl.Float64,
        "revenue": MONEY,
        "revenue_excl_tax": MONEY,
        "tax_amount": MONEY,
        "discount_amount": MONEY,
        "is_refund": pl.Boolean,
        "refunded_line_id": ID,
    }
)

# One row per pos.payment of a paid/done/invoiced order; change given back is a negative payment row, as in Odoo.
FACT_PAYMENTS = pl.Schema(
    {
        "date": pl.Date,
        "order_id": ID,
        "payment_id": ID,
        "payment_method_id": ID,
        "amount": MONEY,
        "store_id": ID,
    }
)

# One row per product line of a posted customer invoice or credit note that did not come from a POS order. Money is
# in company currency from Odoo's signed balances: credit notes (out_refund) have negative quantity and amounts.
FACT_INVOICE_SALES = pl.Schema(
    {
        "date": pl.Date,
        "move_id": ID,
        "move_name": pl.String,
        "move_type": pl.String,
        "line_id": ID,
        "product_id": ID,
        "customer_id": ID,
        "salesperson_id": ID,
        "company_id": ID,
        "quantity": QTY,
        "price_unit": MONEY,
        "discount_pct": pl.Float64,
        "revenue": MONEY,
        "revenue_excl_tax": MONEY,
        "tax_amount": MONEY,
    }
)

# One row per product line of a posted vendor bill or vendor credit note (in_refund: negative). Quantity and unit
# cost are in the product's UoM; unit cost excludes tax (from the line's own taxes) and is net of discount.
FACT_PURCHASES = pl.Schema(
    {
        "date": pl.Date,
        "move_id": ID,
        "move_name": pl.String,
        "move_type": pl.String,
        "line_id": ID,
        "product_id": ID,
        "vendor_id": ID,
        "company_id": ID,
        "quantity": QTY,
        "price_unit": MONEY,
        "discount_pct": pl.Float64,
        "amount_excl_tax": MONEY,
        "amount_incl_tax": MONEY,
        "tax_amount": MONEY,
        "unit_cost_excl_tax": MONEY,
        "is_bonus": pl.Boolean,
    }
)

# One row per done stock.move.line. quantity is positive in the product's UoM; signed_quantity is + into internal
# stock, − out of it, 0 between internal locations (DESIGN §5 gives movement_type per location usage pair).
FACT_INVENTORY_MOVES = pl.Schema(
    {
        "date": pl.Date,
        "move_line_id": ID,
        "move_id": ID,
        "picking_id": ID,
        "picking_type_code": pl.String,
        "reference": pl.String,
        "product_id": ID,
        "lot_id": ID,
        "location_id": ID,
        "location_dest_id": ID,
        "quantity": QTY,
        "signed_quantity": QTY,
        "movement_type": pl.String,
        "inventory_adjustment_flag": pl.Boolean,
        "manufacturing_order_id": ID,
        "company_id": ID,
    }
)

# One row per (product, internal location, lot) with stock at the end of snapshot_date. source = quant (read from
# stock.quant on the day it describes) | reconstructed (today's quants minus the signed moves after that day).
FACT_STOCK_ON_HAND_SNAPSHOT = pl.Schema(
    {
        "snapshot_date": pl.Date,
        "product_id": ID,
        "location_id": ID,
        "lot_id": ID,
        "company_id": ID,
        "quantity": QTY,
        "reserved_quantity": QTY,
        "unit_cost": MONEY,
        "stock_value": MONEY,
        "source": pl.String,
    }
)

# Profit (derived from the published facts, no Odoo call; see etl/transform/profit.py). Money in company currency,
# tax excluded throughout, exact (never rounded).
# One row per cost event: a non-bonus product line of a posted vendor bill (in_invoice; vendor refunds are not
# events) whose invoice_date is effective_date; unit cost net of discount, excl. the line's taxes, per product UoM unit.
FACT_PRODUCT_COST_EVENTS = pl.Schema(
    {
        "product_id": ID,
        "effective_date": pl.Date,
        "unit_cost_excl_tax": MONEY,
        "move_id": ID,
        "line_id": ID,
        "vendor_id": ID,
    }
)

# One row per sales line of fact_sales_all (POS order line, or product line of a non-POS customer invoice: order_id is
# its move_id, store_id null), signed (refunds negative), with the product's unit cost as of the sale date.
# cost_source: purchase (latest cost event on or before the date) | standard_price (dim_products) | missing (unit_cost,
# cogs and gross_profit null). cogs = unit_cost × quantity; gross_profit = revenue_excl_tax − cogs.
FACT_SALES_LINES_PROFIT = pl.Schema(
    {
        "date": pl.Date,
        "channel": pl.String,
        "order_id": ID,
        "line_id": ID,
        "product_id": ID,
        "customer_id": ID,
        "store_id": ID,
        "quantity": QTY,
        "revenue": MONEY,
        "revenue_excl_tax": MONEY,
        "unit_cost": MONEY,
        "cost_source": pl.String,
        "cogs": MONEY,
        "gross_profit": MONEY,
    }
)

# One row per business day and channel. revenue_excl_tax covers every line; cogs and gross_profit only the lines with
# a known cost; margin_pct = gross_profit ÷ revenue_excl_tax of those lines × 100 (null when none);
# cost_coverage_pct = their share of revenue_excl_tax × 100 (null when the revenue is 0).
AGG_PROFIT_DAILY = pl.Schema(
    {
        "date": pl.Date,
        "channel": pl.String,
        "revenue_excl_tax": MONEY,
        "cogs": MONEY,
        "gross_profit": MONEY,
        "margin_pct": pl.Float64,
        "cost_coverage_pct": pl.Float64,
    }
)

# One row per business day, channel and product (null product: lines without one). A product has one cost per day, so
# cogs and gross_profit are null exactly when its cost is missing (then revenue_excl_tax is the uncosted revenue).
AGG_PROFIT_DAILY_BY_PRODUCT = pl.Schema(
    {
        "date": pl.Date,
        "channel": pl.String,
        "product_id": ID,
        "quantity": QTY,
        "revenue_excl_tax": MONEY,
        "cogs": MONEY,
        "gross_profit": MONEY,
    }
)

# `deleted`: the record no longer exists in Odoo (unlinked); its row stays so past facts keep their names.
_DIM_COMMON = {"name": pl.String, "active": pl.Boolean, "write_date": UTC_TS, "deleted": pl.Boolean}


def _dim(key: str, **extra: pl.DataType) -> pl.Schema:
    return pl.Schema({key: ID, **_DIM_COMMON, **extra})


DIMENSIONS: dict[str, pl.Schema] = {
    "dim_products": _dim(
        "product_id",
        default_code=pl.String,
        barcode=pl.String,
        product_tmpl_id=ID,
        category_id=ID,
        category_name=pl.String,
        brand_id=ID,
        brand_name=pl.String,
        uom_id=ID,
        list_price=MONEY,
        standard_price=MONEY,
        product_type=pl.String,
    ),
    "dim_categories": _dim("category_id", complete_name=pl.String, parent_id=ID),
    "dim_brands": _dim("brand_id"),
    "dim_taxes": _dim(
        "tax_id", amount=pl.Float64, amount_type=pl.String, price_include=pl.Boolean, type_tax_use=pl.String,
        company_id=ID,
    ),
    "dim_partners": _dim(
        "partner_id", ref=pl.String, is_company=pl.Boolean, customer_rank=pl.Int64, supplier_rank=pl.Int64,
        city=pl.String,
    ),
    "dim_users": _dim("user_id", login=pl.String, company_id=ID),
    "dim_cashiers": _dim("cashier_id", user_id=ID, company_id=ID),
    "dim_stores": _dim("store_id", company_id=ID),
    "dim_payment_methods": _dim("payment_method_id", is_cash_count=pl.Boolean, company_id=ID),
    "dim_companies": _dim("company_id", currency=pl.String),
    "dim_uoms": _dim("uom_id", category_id=ID, factor=pl.Float64, uom_type=pl.String),
    "dim_locations": _dim("location_id", complete_name=pl.String, usage=pl.String, company_id=ID),
    "dim_lots": _dim("lot_id", product_id=ID, company_id=ID),
}


def empty_frame(schema: pl.Schema) -> pl.DataFrame:
    """A zero-row frame with the contract's columns and types."""
    return pl.DataFrame(schema=schema)


def conform(frame: pl.DataFrame, schema: pl.Schema) -> pl.DataFrame:
    """Select and cast `frame` to exactly `schema` (missing columns are an error, never silently null)."""
    missing = [name for name in schema.names() if name not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks contract columns {missing}")
    return frame.select([pl.col(name).cast(dtype, strict=True) for name, dtype in schema.items()])

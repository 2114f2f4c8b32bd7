"""Clean one day of raw customer invoices: type them, put each product line in company currency, and quarantine
what cannot be trusted.

Grain: one row per product line (account.move.line, display_type 'product') of a posted customer invoice
(out_invoice) or credit note (out_refund) whose `invoice_date` is the partition's day, excluding invoices created
from POS orders (account.move `pos_order_ids` not empty: their sales are in fact_sales). Those are left out and
counted (`moves_from_pos`, `lines_from_pos`), not quarantined.

Money is in company currency, signed by the document: s = +1 for an invoice, −1 for a credit note. From Odoo's own
fields (16, 17 and 18 alike), with ratio = balance / amount_currency (1 when amount_currency is 0):
  revenue_excl_tax = −balance                   (company currency, Odoo's booked income)
  revenue          = s × price_total × ratio    (tax included)
  tax_amount       = revenue − revenue_excl_tax
  quantity         = s × quantity × u           (in the product's unit of measure)
  price_unit       = price_unit × ratio ÷ u     (per product unit, company currency);  discount_pct = discount
Why: a product line's `amount_currency` is direction_sign × price_subtotal in the invoice's currency and its
`balance` is amount_currency converted at the invoice's rate and rounded (account_move_line.py `_sync_invoice`), so
−balance is the untaxed amount in company currency and ratio is the invoice's own rate as Odoo applied it to that
line — no rate of ours. For an invoice in company currency balance == amount_currency, the ratio is exactly 1 and
revenue is exactly ±price_total. Odoo's `amount_total_signed` is −Σ balance of the product, tax and rounding lines
(account_move.py `_compute_amount`), so an invoice's product lines must add up to it within rounding.

Units: a line's unit (account.move.line `product_uom_id`, editable, and set from the sale order line's own unit) can
differ from its product's, so quantity and price_unit are put in the product's unit, as in fact_purchases, by Odoo's
uom `_compute_quantity` rule: u = product UoM factor ÷ line UoM factor (2 Dozens at 120 → 24 Units at 10; not
rounded to the product unit's precision; etl/transform/uom.py). Revenue and tax are the line's own and do not change.
The clean table keeps Odoo's line_quantity and line_uom_id beside them.

An invoice is kept or quarantined whole (see MOVE_REASON_METRICS, first failing rule wins), with one tolerance:
1 unit of the invoice's currency per invoice, in company currency (`tolerance_expr`). An invoice with a cash
rounding line beyond that does not add up and is quarantined. Duplicates, lines without a received invoice, ids
unknown to dim_products: as in the POS cleaner. Lines without a product (free-text lines) are kept and counted.
A line whose unit cannot be converted to its product's (another category, or a unit or product not read) is
quarantined alone, as in the purchases cleaner; its revenue still counts in its invoice's total check.
"""

from __future__ import annotations

import polars as pl

from etl.catalog import INVOICE_SALES
from etl.extract.invoice_sales import LINE_MODEL, MOVE_MODEL, POS_LINK, POSTED
from etl.raw_records import models_rows
from etl.transform.quarantine import QUARANTINE_SCHEMA, CleanContext, CleanResult, split_valid
from etl.transform.uom import (
    PRODUCT_UNIT_COLUMNS, REASON_NOT_CONVERTIBLE, in_product_unit, not_convertible, per_product_unit,
    product_unit_ratio,
)
from etl.transform.validation import (
    RECORD_FLAGS, as_int, bad_discount, beyond, deduplicated, discount_number, document_status, move_identity,
    not_a_number, number, reason_counts, rejected_documents, settled_discount, unknown_ids,
)

CLEAN_LINES = "invoice_sales"
INVOICE_TOLERANCE = 1.0  # units of the invoice's currency per invoice (Odoo rounds each line and each tax line)

REASON_DUPLICATE_CONFLICT = "duplicate id with different values"
REASON_NOT_CUSTOMER_INVOICE = "not a posted customer invoice or credit note"
REASON_NO_DATE = "invoice has no valid invoice date"
REASON_OTHER_DAY = "invoice date is not the partition's day"
REASON_NOT_A_NUMBER = "amount null or not a number"
REASON_BEYOND_BOUND = "amount beyond bound"
REASON_LINES_MISMATCH = "product lines do not add up to the invoice total"
MOVE_REASON_METRICS = {
    REASON_DUPLICATE_CONFLICT: "moves_duplicate_conflict",
    REASON_NOT_CUSTOMER_INVOICE: "moves_not_customer_invoice",
    REASON_NO_DATE: "moves_without_date",
    REASON_OTHER_DAY: "moves_not_of_day",
    REASON_NOT_A_NUMBER: "moves_amount_not_a_number",
    REASON_BEYOND_BOUND: "moves_amount_beyond_bound",
    REASON_LINES_MISMATCH: "moves_lines_mismatch",
}
REASON_LINE_ORPHAN = "line's invoice is not a customer invoice of this day"
LINE_REASON_METRICS = {REASON_LINE_ORPHAN: "lines_orphan", REASON_NOT_CONVERTIBLE: "lines_uom_not_convertible"}

CLEAN_LINES_SCHEMA = pl.Schema(
    {
        "date": pl.Date,
        "move_id": pl.Int64,
        "move_name": pl.String,
        "move_type": pl.String,
        "line_id": pl.Int64,
        "product_id": pl.Int64,
        "customer_id": pl.Int64,
        "salesperson_id": pl.Int64,
        "company_id": pl.Int64,
        "currency_id": pl.Int64,  # the invoice's currency (the amounts below are in company currency)
        "quantity": pl.Float64,  # product unit
        "price_unit": pl.Float64,  # per product unit
        "discount_pct": pl.Float64,
        "revenue": pl.Float64,
        "revenue_excl_tax": pl.Float64,
        "tax_amount": pl.Float64,
        # Odoo's own figures of the line, as read (invoice currency except balance; quantity in the line's unit)
        "line_quantity": pl.Float64,
        "line_uom_id": pl.Int64,
        "product_uom_id": pl.Int64,
        "price_subtotal": pl.Float64,
        "price_total": pl.Float64,
        "amount_currency": pl.Float64,
        "balance": pl.Float64,
    }
)

MOVE_COLUMNS = ["id", "name", "move_type", "state", "invoice_date", "partner_id", "invoice_user_id", "company_id",
                "currency_id", "amount_total_signed", "amount_total", POS_LINK]
LINE_COLUMNS = ["id", "move_id", "product_id", "quantity", "product_uom_id", "price_unit", "discount",
                "price_subtotal", "price_total", "balance", "amount_currency"]
LINE_AMOUNTS = ("quantity", "price_unit", "price_subtotal", "price_total", "balance", "amount_currency")
COMPANY_AMOUNTS = ("price_unit", "revenue", "revenue_excl_tax")


def tolerance_expr(total_signed: pl.Expr, total: pl.Expr) -> pl.Expr:
    """INVOICE_TOLERANCE in company currency: × the invoice's own company/invoice-currency ratio
    (|amount_total_signed / amount_total|), never less than 1 company unit."""
    ratio = (total_signed / total).abs()
    return pl.when(total != 0).then(ratio.clip(lower_bound=1.0)).otherwise(1.0) * INVOICE_TOLERANCE


def _moves(rows: pl.DataFrame, context: CleanContext) -> pl.LazyFrame:
    return rows.lazy().select(
        *move_identity(),
        as_int("partner_id").alias("customer_id"),
        as_int("invoice_user_id").alias("salesperson_id"),
        as_int("company_id"),
        as_int("currency_id"),
        number("amount_total_signed").alias("move_total_signed"),
        number("amount_total").alias("move_total"),
        (pl.col(POS_LINK).cast(pl.List(pl.Int64)).list.len().fill_null(0) > 0).alias("_from_pos"),
        "_conflict",
    ).with_columns(
        pl.when(pl.col("move_type") == "out_invoice").then(1.0)
        .when(pl.col("move_type") == "out_refund").then(-1.0).alias("_sign"),
        not_a_number("move_total_signed", "move_total").alias("_not_a_number"),
        beyond(context.max_line_amount, "move_total_signed").alias("_beyond_bound"),
    )


def _lines(rows: pl.DataFrame) -> pl.LazyFrame:
    """Typed product lines with their not-a-number flag (amounts in invoice currency, unsigned, as Odoo has them;
    quantity in the line's unit)."""
    return rows.lazy().select(
        as_int("id").alias("line_id"),
        as_int("move_id"),
        as_int("product_id"),
        as_int("product_uom_id").alias("line_uom_id"),
        *[number(c) for c in LINE_AMOUNTS],
        *discount_number(),
        "_conflict",
    ).select(*settled_discount((not_a_number(*LINE_AMOUNTS) | bad_discount()).alias("_not_a_number")))


def _in_company_currency(lines: pl.LazyFrame, context: CleanContext) -> pl.LazyFrame:
    """Lines with the signed company-currency figures of the module docstring (null when the sign is unknown)."""
    sign = pl.col("_sign")
    ratio = pl.when(pl.col("amount_currency") != 0).then(pl.col("balance") / pl.col("amount_currency")).otherwise(1.0)
    return lines.with_columns(
        pl.col("quantity").alias("line_quantity"),
        (sign * in_product_unit(pl.col("quantity"))).alias("quantity"),
        per_product_unit(pl.col("price_unit") * ratio).alias("price_unit"),
        (sign * pl.col("price_total") * ratio).alias("revenue"),
        (-pl.col("balance")).alias("revenue_excl_tax"),
    ).with_columns(
        (pl.col("revenue") - pl.col("revenue_excl_tax")).alias("tax_amount"),
        beyond(context.max_line_amount, *COMPANY_AMOUNTS).alias("_beyond_bound"),
    )


def _move_status(moves: pl.LazyFrame, lines: pl.LazyFrame, context: CleanContext, conflicts: bool) -> pl.LazyFrame:
    """One row per received invoice id with its fields (first copy) and `_move_reason` (null when it is kept)."""
    total = pl.col("move_total_signed")
    rules = {
        REASON_DUPLICATE_CONFLICT: pl.col("_conflict"),
        REASON_NOT_CUSTOMER_INVOICE: pl.col("_sign").is_null() | (pl.col("state") != POSTED),
        REASON_NO_DATE: pl.col("date").is_null(),
        REASON_OTHER_DAY: pl.col("date") != context.day,
        REASON_NOT_A_NUMBER: pl.col("_not_a_number"),
        REASON_BEYOND_BOUND: pl.col("_beyond_bound"),
        REASON_LINES_MISMATCH: (pl.col("_lines_total") - total).abs() > tolerance_expr(total, pl.col("move_total")),
    }
    lines_total = lines.select("move_id", *RECORD_FLAGS, pl.col("revenue").alias("_lines_total"))
    return document_status(moves, [lines_total], "move_id", rules, "_move_reason", conflicts)


def clean_invoice_sales(raw: pl.DataFrame | pl.LazyFrame, context: CleanContext) -> CleanResult:
    """Typed, validated product lines of `context.day`'s customer invoices, plus the quarantined rows."""
    received = models_rows(raw, {MOVE_MODEL: MOVE_COLUMNS, LINE_MODEL: LINE_COLUMNS, **PRODUCT_UNIT_COLUMNS})
    move_rows, move_copies = deduplicated(received[MOVE_MODEL])
    line_rows, line_copies = deduplicated(received[LINE_MODEL])
    conflicts = bool(move_rows["_conflict"].any())
    all_moves = _moves(move_rows, context)
    from_pos = all_moves.filter(pl.col("_from_pos")).select("move_id").unique()
    moves = all_moves.filter(~pl.col("_from_pos")).drop("_from_pos")
    all_lines = _lines(line_rows)
    lines = all_lines.join(from_pos, on="move_id", how="anti", maintain_order="left")
    signs = moves.select("move_id", "_sign", pl.lit(True).alias("_move_received")).unique("move_id", keep="first")
    lines = _in_company_currency(
        product_unit_ratio(lines, received).join(signs, on="move_id", how="left", maintain_order="left"), context)
    status = _move_status(moves, lines, context, conflicts)

    move_reason = pl.col("_move_reason")
    bad_moves = rejected_documents(moves, status, MOVE_MODEL, "move_id", "_move_reason", conflicts)
    move_fields = status.select("move_id", "date", "move_name", "move_type", "customer_id", "salesperson_id",
                                "company_id", "currency_id", "_move_reason")
    kept, bad_lines = split_valid(
        lines.drop(*RECORD_FLAGS).join(move_fields, on="move_id", how="left", maintain_order="left"), LINE_MODEL,
        "line_id", [(pl.col("_move_received").is_null(), REASON_LINE_ORPHAN), (move_reason.is_not_null(), move_reason),
                    (not_convertible(), REASON_NOT_CONVERTIBLE)])
    summary = status.select(
        pl.len().alias("moves"), move_reason.is_not_null().sum().alias("moves_quarantined"),
        *reason_counts(move_reason, MOVE_REASON_METRICS),
    )
    pos_counts = pl.concat([from_pos.select(pl.len().alias("moves_from_pos")),
                            all_lines.join(from_pos, on="move_id").select(pl.len().alias("lines_from_pos"))],
                           how="horizontal")
    clean, quarantine, summary, pos_counts = pl.collect_all(
        [
            kept.select(CLEAN_LINES_SCHEMA.names()).cast(dict(CLEAN_LINES_SCHEMA)),
            pl.concat([bad_moves, bad_lines], how="vertical_relaxed").cast(dict(QUARANTINE_SCHEMA)),
            summary,
            pos_counts,
        ],
        engine="in-memory",
    )
    tables = {CLEAN_LINES: clean}
    metrics = {
        **summary.row(0, named=True),
        **pos_counts.row(0, named=True),
        "duplicates_identical": move_copies + line_copies,
        "duplicates_conflicting": int(move_rows["_conflict"].sum()) + int(line_rows["_conflict"].sum()),
        **quarantine.select(reason_counts(pl.col("reason"), LINE_REASON_METRICS)).row(0, named=True),
        "lines_without_product": clean["product_id"].null_count(),
        "lines_converted_uom": int((clean["line_uom_id"] != clean["product_uom_id"]).sum()),
        "lines_other_currency": int((clean["balance"] != clean["amount_currency"]).sum()),
        **unknown_ids(tables, context, INVOICE_SALES.known_dimensions),
    }
    return CleanResult(tables, quarantine, metrics={name: int(value) for name, value in metrics.items()})

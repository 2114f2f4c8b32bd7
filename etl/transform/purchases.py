"""Clean one day of raw vendor bills: type them, compute each product line's company-currency amounts and unit cost,
and quarantine what cannot be trusted.

Grain: one row per product line (account.move.line, display_type `product`) of a posted vendor bill (`in_invoice`)
or vendor refund (`in_refund`) whose `invoice_date` is the partition's day. Lines without a product (an expense
typed on the bill) are kept, with a null product, so the day adds up to Odoo's bills; they are counted.

Sign: a refund's lines are negative (quantity and amounts), a bill's positive (Odoo's own `*_signed` totals of
vendor documents have the opposite sign: a bill's `amount_untaxed_signed` is negative).

Money, all in company currency from Odoo's own figures (never a rate of ours):
- amount_excl_tax = the line's `balance` (Odoo's price_subtotal booked in company currency: tax excluded with the
  line's own taxes, net of discount, already signed as above);
- amount_incl_tax = ±`price_total` × (`balance` ÷ `amount_currency`), the line's own booked conversion (1 when the
  bill is in company currency, or when the line has no base to convert);
- tax_amount = amount_incl_tax − amount_excl_tax.

Quantity is in the product's unit of measure: Odoo's uom.uom `_compute_quantity` rule, line quantity × product UoM
factor ÷ line UoM factor (`factor` read over RPC; not rounded to the product UoM's precision; the same UoM category
is required, else the line is quarantined alone).
price_unit and discount_pct are Odoo's, as on the line (bill currency, per line UoM, in the tax basis of the line's
taxes).

unit_cost_excl_tax (company currency per product UoM unit, positive for bills and refunds alike): the line's price
net of discount and excluding the line's own taxes, then × the line's conversion rate ÷ (product UoM per line UoM):
- when none of the line's taxes is price-included (account.tax `price_include`), the price is already tax
  excluded: price_unit × (1 − discount ÷ 100), exact (not rounded like price_subtotal);
- when one is (or a tax could not be read), only Odoo knows how it removed it (percent, division, fixed, groups):
  price_subtotal ÷ quantity, Odoo's computed tax-excluded amount per line unit.
Odoo's own unit price of a bill line (stock_account `_get_gross_unit_price`) is price_subtotal ÷ quantity on 17.0,
price_unit × (1 − discount ÷ 100) for discounted lines on 18.0 (even with an included tax), and on later versions
the rule above with the price-included check; ours also takes the exact price for undiscounted lines without
included taxes. Free goods (`is_bonus`: price_unit ≤ 0,
quantity ≤ 0 or a zero subtotal, e.g. 100 % discount) have a null unit cost: they are never a cost event.

Validation (first failing rule wins; a bill is kept or quarantined whole, each of its lines with its reason, see
BILL_REASON_METRICS): a duplicated id with different values, not a posted vendor bill/refund, no or another date,
amounts that are not numbers or beyond `context.max_line_amount`, and product lines that do not add up to the
bill: Σ amount_excl_tax + the bill's untaxed cash rounding must equal −amount_untaxed_signed (Odoo's
`_compute_amount` is exactly that sum), and Σ amount_incl_tax + all its cash rounding must be within
BILL_TOTAL_TOLERANCE of −amount_total_signed (Odoo rounds tax per tax line, not per product line). Records received
twice identical are kept once. Lines alone: a line whose bill was not received, or whose UoM cannot be converted.
"""

from __future__ import annotations

import polars as pl

from etl import schemas
from etl.catalog import PURCHASES
from etl.extract.purchases import (
    LINE_MODEL, MOVE_MODEL, POSTED, PRODUCT_LINE, REFUND_TYPE, ROUNDING_LINE, TAX_MODEL, VENDOR_MOVE_TYPES,
)
from etl.raw_records import models_rows
from etl.transform.quarantine import QUARANTINE_SCHEMA, CleanContext, CleanResult, split_valid
from etl.transform.uom import (
    PRODUCT_UNIT_COLUMNS, RATIO, REASON_NOT_CONVERTIBLE, in_product_unit, not_convertible, per_product_unit,
    product_unit_ratio,
)
from etl.transform.validation import (
    RECORD_FLAGS, UTC_TS, as_int, bad_discount, beyond, deduplicated, discount_number, document_status, move_identity,
    not_a_number, number, reason_counts, rejected_documents, settled_discount, unknown_ids, utc,
)

CLEAN_TABLE = PURCHASES.clean_tables[0]
UNTAXED_TOLERANCE = 0.005  # Odoo's untaxed amount is exactly −Σ balance: only float summation differs
BILL_TOTAL_TOLERANCE = 1.0  # currency units per bill (tax rounded per tax line; DESIGN §6 allows ±1 for POS orders)

REASON_DUPLICATE_CONFLICT = "duplicate id with different values"
REASON_NOT_VENDOR_BILL = "not a posted vendor bill or refund"
REASON_NO_DATE = "bill has no valid date"
REASON_OTHER_DAY = "bill's date is not the partition's day"
REASON_NOT_A_NUMBER = "amount null or not a number"
REASON_BEYOND_BOUND = "amount beyond bound"
REASON_UNTAXED_MISMATCH = "product lines do not add up to the bill's untaxed amount"
REASON_TOTAL_MISMATCH = "product lines do not add up to the bill's total"
BILL_REASON_METRICS = {
    REASON_DUPLICATE_CONFLICT: "bills_duplicate_conflict",
    REASON_NOT_VENDOR_BILL: "bills_not_vendor_bill",
    REASON_NO_DATE: "bills_without_date",
    REASON_OTHER_DAY: "bills_not_of_day",
    REASON_NOT_A_NUMBER: "bills_amount_not_a_number",
    REASON_BEYOND_BOUND: "bills_amount_beyond_bound",
    REASON_UNTAXED_MISMATCH: "bills_untaxed_mismatch",
    REASON_TOTAL_MISMATCH: "bills_total_mismatch",
}
REASON_LINE_ORPHAN = "bill is not a vendor bill of this day"
REASON_UOM = REASON_NOT_CONVERTIBLE
LINE_REASON_METRICS = {REASON_LINE_ORPHAN: "lines_orphan", REASON_UOM: "lines_uom_not_convertible"}

# The fact's columns, then Odoo's own figures of the line (bill currency, line UoM) and its write_date.
CLEAN_SCHEMA = pl.Schema({
    **schemas.FACT_PURCHASES,
    "line_quantity": pl.Float64,
    "line_uom_id": pl.Int64,
    "product_uom_id": pl.Int64,
    "price_subtotal": pl.Float64,
    "price_total": pl.Float64,
    "write_date": UTC_TS,
})

MOVE_COLUMNS = ["id", "name", "move_type", "state", "invoice_date", "partner_id", "company_id",
                "amount_untaxed_signed", "amount_total_signed"]
LINE_COLUMNS = ["id", "move_id", "display_type", "product_id", "quantity", "product_uom_id", "price_unit", "discount",
                "price_subtotal", "price_total", "balance", "amount_currency", "tax_ids", "tax_repartition_line_id",
                "write_date"]
TAX_COLUMNS = ["id", "price_include", "price_include_override"]
PRICE_INCLUDED = "tax_included"  # account.tax price_include_override (18) value of a price-included tax

IS_PRODUCT = pl.col("display_type") == PRODUCT_LINE


def _bills(rows: pl.DataFrame, context: CleanContext) -> pl.LazyFrame:
    signed = ("amount_untaxed_signed", "amount_total_signed")
    return rows.lazy().select(
        *move_identity(),
        as_int("partner_id").alias("vendor_id"),
        as_int("company_id"),
        *[number(c) for c in signed],
        "_conflict",
    ).with_columns(
        not_a_number(*signed).alias("_not_a_number"),
        beyond(context.max_line_amount, *signed).alias("_beyond_bound"),
    )


def _lines(rows: pl.DataFrame, context: CleanContext) -> pl.LazyFrame:
    amounts = ("price_unit", "price_subtotal", "price_total", "balance", "amount_currency")
    return rows.lazy().select(
        as_int("id").alias("line_id"),
        as_int("move_id"),
        pl.col("display_type").cast(pl.String),
        as_int("product_id"),
        number("quantity").alias("line_quantity"),
        as_int("product_uom_id").alias("line_uom_id"),
        *[number(c) for c in amounts],
        *discount_number(),
        pl.col("tax_ids").cast(pl.List(pl.Int64)),
        as_int("tax_repartition_line_id"),
        utc("write_date").alias("write_date"),
        "_conflict",
    ).select(*settled_discount(
        pl.when(IS_PRODUCT).then(not_a_number("line_quantity", *amounts) | bad_discount())
        .otherwise(not_a_number("balance")).alias("_not_a_number"),
        beyond(context.max_line_amount, *amounts).alias("_beyond_bound"),
    ))


def _tax_inclusion(lines: pl.LazyFrame, tax_rows: pl.DataFrame) -> pl.LazyFrame:
    """Per line: `_included` (one of its taxes is price-included, or could not be read) and `_unknown_taxes`."""
    taxes = tax_rows.lazy().select(
        as_int("id").alias("tax_ids"),
        pl.coalesce(pl.col("price_include").cast(pl.Boolean, strict=False),
                    pl.col("price_include_override").cast(pl.String) == PRICE_INCLUDED).fill_null(False)
        .alias("_tax_included"),
    ).unique("tax_ids", keep="first")
    per_tax = lines.select("line_id", "tax_ids").explode("tax_ids").join(taxes, on="tax_ids", how="left")
    unknown = pl.col("tax_ids").is_not_null() & pl.col("_tax_included").is_null()
    return per_tax.group_by("line_id").agg(
        (unknown | pl.col("_tax_included").fill_null(False)).any().alias("_included"),
        unknown.sum().alias("_unknown_taxes"),
    )


def _amounts(lines: pl.LazyFrame) -> pl.LazyFrame:
    """Company-currency amounts, quantity in product UoM and unit cost of each line (see the module docstring)."""
    sign = pl.when(pl.col("move_type") == REFUND_TYPE).then(-1.0).otherwise(1.0)
    rate = pl.when(pl.col("amount_currency") != 0).then(pl.col("balance") / pl.col("amount_currency")).otherwise(1.0)
    is_bonus = (pl.col("price_unit") <= 0) | (pl.col("line_quantity") <= 0) | (pl.col("price_subtotal") == 0)
    net_price = (pl.when(pl.col("_included")).then(pl.col("price_subtotal") / pl.col("line_quantity"))
                 .otherwise(pl.col("price_unit") * (1 - pl.col("discount_pct") / 100)))
    return lines.with_columns(
        (sign * in_product_unit(pl.col("line_quantity"))).alias("quantity"),
        pl.col("balance").alias("amount_excl_tax"),
        (sign * pl.col("price_total") * rate).alias("amount_incl_tax"),
        is_bonus.fill_null(False).alias("is_bonus"),
        pl.when(~is_bonus).then(per_product_unit(net_price * rate)).alias("unit_cost_excl_tax"),
    ).with_columns((pl.col("amount_incl_tax") - pl.col("amount_excl_tax")).alias("tax_amount"))


def _bill_status(bills: pl.LazyFrame, lines: pl.LazyFrame, context: CleanContext, conflicts: bool) -> pl.LazyFrame:
    """One row per received bill id with its fields (first copy) and `_bill_reason` (null when it is kept)."""
    rounding = pl.col("display_type") == ROUNDING_LINE
    sums = lines.select(
        "move_id", *RECORD_FLAGS,
        pl.when(IS_PRODUCT).then("amount_excl_tax").alias("_excl"),
        pl.when(IS_PRODUCT).then("amount_incl_tax").alias("_incl"),
        pl.when(rounding & pl.col("tax_repartition_line_id").is_null()).then("balance").alias("_rounding_untaxed"),
        pl.when(rounding).then("balance").alias("_rounding"),
        rounding.cast(pl.Int64).alias("_rounding_lines"),
    )
    untaxed_gap = pl.col("_excl") + pl.col("_rounding_untaxed") + pl.col("amount_untaxed_signed")
    total_gap = pl.col("_incl") + pl.col("_rounding") + pl.col("amount_total_signed")
    rules = {
        REASON_DUPLICATE_CONFLICT: pl.col("_conflict"),
        REASON_NOT_VENDOR_BILL: ~pl.col("move_type").is_in(VENDOR_MOVE_TYPES) | (pl.col("state") != POSTED),
        REASON_NO_DATE: pl.col("date").is_null(),
        REASON_OTHER_DAY: pl.col("date") != context.day,
        REASON_NOT_A_NUMBER: pl.col("_not_a_number"),
        REASON_BEYOND_BOUND: pl.col("_beyond_bound"),
        REASON_UNTAXED_MISMATCH: untaxed_gap.abs() > UNTAXED_TOLERANCE,
        REASON_TOTAL_MISMATCH: total_gap.abs() > BILL_TOTAL_TOLERANCE,
    }
    return document_status(bills, [sums], "move_id", rules, "_bill_reason", conflicts).with_columns(
        pl.lit(True).alias("_bill_received"))


def _received_rows(raw: pl.DataFrame | pl.LazyFrame) -> dict[str, pl.DataFrame]:
    return models_rows(raw, {MOVE_MODEL: MOVE_COLUMNS, LINE_MODEL: LINE_COLUMNS, TAX_MODEL: TAX_COLUMNS,
                             **PRODUCT_UNIT_COLUMNS})


def clean_purchases(raw: pl.DataFrame | pl.LazyFrame, context: CleanContext) -> CleanResult:
    """Typed, validated product lines of the vendor bills of `context.day`, plus the quarantined rows."""
    received = _received_rows(raw)
    bill_rows, bill_copies = deduplicated(received[MOVE_MODEL])
    line_rows, line_copies = deduplicated(received[LINE_MODEL])
    bills, lines = _bills(bill_rows, context), _lines(line_rows, context)
    conflicts = bool(bill_rows["_conflict"].any())
    bill_fields = bills.select("move_id", "move_type", "date", "move_name", "vendor_id", "company_id")
    if conflicts:
        bill_fields = bill_fields.unique("move_id", keep="first", maintain_order=True)
    lines = _amounts(
        product_unit_ratio(lines, received)
        .join(_tax_inclusion(lines, received[TAX_MODEL]), on="line_id", how="left", maintain_order="left")
        .join(bill_fields, on="move_id", how="left", maintain_order="left")
    )
    status = _bill_status(bills, lines, context, conflicts)

    bill_reason = pl.col("_bill_reason")
    bad_bills = rejected_documents(bills, status, MOVE_MODEL, "move_id", "_bill_reason", conflicts)
    kept, bad_lines = split_valid(
        lines.filter(IS_PRODUCT).drop(*RECORD_FLAGS)
        .join(status.select("move_id", "_bill_reason", "_bill_received"), on="move_id", how="left",
              maintain_order="left"),
        LINE_MODEL, "line_id",
        [(pl.col("_bill_received").is_null(), REASON_LINE_ORPHAN), (bill_reason.is_not_null(), bill_reason),
         (not_convertible(), REASON_UOM)],
    )
    quarantine = pl.concat([bad_bills, bad_lines], how="vertical_relaxed").cast(dict(QUARANTINE_SCHEMA))
    summary = status.select(pl.len().alias("bills"), bill_reason.is_not_null().sum().alias("bills_quarantined"),
                            (pl.col("_rounding_lines") > 0).sum().alias("bills_with_rounding"),
                            *reason_counts(bill_reason, BILL_REASON_METRICS))
    line_summary = kept.select(pl.col("is_bonus").sum().alias("lines_bonus"),
                               pl.col("product_id").is_null().sum().alias("lines_without_product"),
                               (pl.col(RATIO) != 1.0).sum().alias("lines_converted_uom"),
                               (pl.col("_unknown_taxes") > 0).sum().alias("lines_unknown_tax"))
    clean, quarantine, summary, line_summary = pl.collect_all(
        [kept.select(CLEAN_SCHEMA.names()).cast(dict(CLEAN_SCHEMA)), quarantine, summary, line_summary],
        engine="in-memory",
    )
    metrics = {
        **summary.row(0, named=True),
        **line_summary.row(0, named=True),
        "duplicates_identical": bill_copies + line_copies,
        "duplicates_conflicting": int(bill_rows["_conflict"].sum()) + int(line_rows["_conflict"].sum()),
        **quarantine.select(reason_counts(pl.col("reason"), LINE_REASON_METRICS)).row(0, named=True),
        **unknown_ids({CLEAN_TABLE: clean}, context, PURCHASES.known_dimensions),
    }
    return CleanResult({CLEAN_TABLE: clean}, quarantine,
                       metrics={name: int(value or 0) for name, value in metrics.items()})

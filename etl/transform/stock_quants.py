"""Clean one business day of stock on hand: rebuild the snapshot of day D from today's quants and the moves since.

Pure: polars in, polars out (the clock was read by the extractor, which put the day and `source` in the raw file).
Grain: one row per (product, internal location, lot) — the company follows the location — with quantities in the
product's unit of measure. Costs are cost prices, tax excluded, in company currency.

    on hand at the end of D = Σ quants read now + what left the location after D − what arrived there after D

`source` is `quant` for the business day that had just ended when the snapshot was read (its quantities still take
out the moves made since midnight) and `reconstructed` for older days. A key with a quant and no move after D keeps
Odoo's figures exactly (zero quants included); a rebuilt quantity is rounded to QTY_DECIMALS and a rebuilt key that
comes to zero is left out (counted in `rows_zero_dropped`). Reservations are today's: `reserved_quantity` is the
quants' for a `quant` day and null for a reconstructed one. `unit_cost` is the quants' own valuation (stock_account
`value` ÷ quantity) when the server exposes it, else the product's `standard_price` (both today's costs); `stock_value`
is Odoo's `value` for an unchanged quant, else quantity × unit_cost.

Quarantine (first failing rule wins, one reason per record): a raw file of another day; a quant id received twice with
different values (identical copies are kept once); a quant or move group without product or location; quantities or
values that are not numbers or lie beyond `max_line_amount`; a move group whose unit cannot be converted to the
product's. Every record of a (product, location, lot) with a quarantined record is quarantined with it, so no row is
built from part of its records. A product whose cost is unusable is quarantined alone: its rows stay, without cost.
"""

from __future__ import annotations

import polars as pl

from etl import schemas
from etl.catalog import STOCK_QUANTS
from etl.raw_records import MODEL_COLUMN, models_rows
from etl.transform.quarantine import QUARANTINE_SCHEMA, CleanContext, CleanResult, Rule, first_reason, split_valid
from etl.transform.uom import convert_quantity
from etl.transform.validation import as_int, beyond, deduplicated, not_a_number, number, reason_counts, unknown_ids

CLEAN_TABLE = "stock_quants"
QUANT_MODEL = "stock.quant"
MOVES_MODEL = "stock.move.line:read_group"  # done move lines after the day, summed by Odoo (read_group rows)
PRODUCT_MODEL = "product.product"
UOM_MODEL = "uom.uom"
SNAPSHOT_MODEL = "nkdash.snapshot"  # one record written by the extractor: which day, which source, which window
SOURCE_QUANT = "quant"
SOURCE_RECONSTRUCTED = "reconstructed"
OUT, IN = "out", "in"  # a move group leaving (location_id) or entering (location_dest_id) an internal location
QTY_DECIMALS = 6  # rebuilt quantities; Odoo's "Product Unit of Measure" precision is a few decimals at most
KEY = ["product_id", "location_id", "lot_id"]

REASON_OTHER_DAY = "raw snapshot is not of the partition's day"
REASON_DUPLICATE_CONFLICT = "duplicate id with different values"
REASON_NO_KEY = "no product or location"
REASON_NOT_A_NUMBER = "quantity or value null or not a number"
REASON_BEYOND_BOUND = "quantity or value beyond bound"
REASON_NO_UOM = "unit of measure cannot be converted to the product's"
REASON_KEY_QUARANTINED = "another record of its product, location and lot is quarantined"
REASON_COST = "cost null, not a number or beyond bound"
REASON_METRICS = {
    REASON_OTHER_DAY: "records_not_of_day",
    REASON_DUPLICATE_CONFLICT: "records_duplicate_conflict",
    REASON_NO_KEY: "records_without_key",
    REASON_NOT_A_NUMBER: "records_not_a_number",
    REASON_BEYOND_BOUND: "records_beyond_bound",
    REASON_NO_UOM: "move_groups_uom_unconvertible",
    REASON_KEY_QUARANTINED: "records_of_quarantined_keys",
    REASON_COST: "products_cost_unusable",
}

CLEAN_SCHEMA = pl.Schema({
    **schemas.FACT_STOCK_ON_HAND_SNAPSHOT,
    "quant_quantity": schemas.QTY,  # Σ quants read now (null: no quant)
    "moved_out_after": schemas.QTY,  # left the location after the day (product UoM)
    "moved_in_after": schemas.QTY,  # arrived at the location after the day (product UoM)
})

QUANT_COLUMNS = ["id", "product_id", "location_id", "lot_id", "company_id", "quantity", "reserved_quantity", "value"]
MOVE_COLUMNS = ["id", "direction", "product_id", "location_id", "location_dest_id", "lot_id", "company_id",
                "product_uom_id", "quantity_product_uom", "qty_done", "quantity"]
PRODUCT_COLUMNS = ["id", "standard_price", "uom_id", "type", "is_storable"]
UOM_COLUMNS = ["id", "factor", "rounding", "category_id"]
SNAPSHOT_COLUMNS = ["snapshot_date", "source"]


def _flagged(frame: pl.DataFrame, amounts: list[str], context: CleanContext, other_day: bool) -> pl.LazyFrame:
    """Records with `_reason`: their own first failing rule (other day, conflict, key, number, bound)."""
    rules: list[Rule] = [
        (pl.lit(other_day), REASON_OTHER_DAY),
        (pl.col("_conflict"), REASON_DUPLICATE_CONFLICT),
        (pl.col("product_id").is_null() | pl.col("location_id").is_null(), REASON_NO_KEY),
        (not_a_number(*amounts), REASON_NOT_A_NUMBER),
        (beyond(context.max_line_amount, *amounts), REASON_BEYOND_BOUND),
    ]
    return frame.lazy().with_columns(first_reason(rules).alias("_reason"))


def _quants(rows: pl.DataFrame, has_value: bool, context: CleanContext, other_day: bool) -> pl.LazyFrame:
    typed = rows.select(
        as_int("id"), *[as_int(c) for c in (*KEY, "company_id")], number("quantity"),
        number("reserved_quantity"), number("value"), pl.lit(QUANT_MODEL).alias("_model"), "_conflict")
    return _flagged(typed, ["quantity", "reserved_quantity", *(["value"] if has_value else [])], context, other_day)


def _move_groups(rows: pl.DataFrame, products: pl.DataFrame, uoms: pl.DataFrame, context: CleanContext,
                 other_day: bool) -> pl.LazyFrame:
    """Move groups with `product_qty` in the product's UoM: Odoo's own sum (17+, quantity_product_uom), or on Odoo 16
    the sum of qty_done in the lines' unit, kept as is when it is the product's unit and otherwise converted with the
    uom.uom factors and rounded HALF-UP to the product unit's rounding as Odoo does — per group here, per line in
    Odoo, so a group of lines whose conversions each round may differ from Odoo by the rounding step."""
    line_uom = uoms.select(pl.col("uom_id").alias("product_uom_id"), pl.col("factor").alias("from_factor"),
                           pl.col("category_id").alias("from_category"))
    product_uom = products.select("product_id", pl.col("uom_id").alias("to_uom")).join(
        uoms.rename({"uom_id": "to_uom", "factor": "to_factor", "category_id": "to_category",
                     "rounding": "to_rounding"}), on="to_uom", how="left")
    typed = rows.select(
        as_int("id"), pl.col("direction").cast(pl.String),
        as_int("product_id"), pl.coalesce(as_int("location_id"), as_int("location_dest_id")).alias("location_id"),
        as_int("lot_id"), as_int("company_id"), as_int("product_uom_id"),
        number("quantity_product_uom").alias("_product_qty"),
        pl.coalesce(number("qty_done"), number("quantity")).alias("_line_qty"),
        pl.lit(MOVES_MODEL).alias("_model"), pl.lit(False).alias("_conflict"),
    ).join(line_uom, on="product_uom_id", how="left").join(product_uom, on="product_id", how="left")
    same_unit = (pl.col("product_uom_id") == pl.col("to_uom")) & pl.col("to_uom").is_not_null()
    converted = pl.when(same_unit).then("_line_qty").otherwise(convert_quantity(
        pl.col("_line_qty"), pl.col("product_uom_id"), pl.col("from_factor"), pl.col("from_category"),
        pl.col("to_uom"), pl.col("to_factor"), pl.col("to_category"), pl.col("to_rounding")))
    raw_qty = pl.coalesce("_product_qty", "_line_qty").alias("_raw_qty")
    with_qty = typed.with_columns(raw_qty, pl.coalesce("_product_qty", converted).alias("product_qty"))
    flagged = _flagged(with_qty, ["_raw_qty"], context, other_day)
    no_uom = pl.col("_reason").is_null() & pl.col("product_qty").is_null()
    return flagged.with_columns(pl.when(no_uom).then(pl.lit(REASON_NO_UOM)).otherwise("_reason").alias("_reason"))


def _products(rows: pl.DataFrame, context: CleanContext) -> tuple[pl.DataFrame, pl.DataFrame, int, int]:
    """(valid products with `_storable`, their quarantine rows, identical copies dropped, conflicting ids)."""
    unique, copies = deduplicated(rows)
    typed = unique.select(
        as_int("id").alias("product_id"), number("standard_price"), as_int("uom_id"), "_conflict",
        # Odoo 18 says is_storable; 16/17 call a storable product type 'product'
        pl.coalesce(pl.col("is_storable").cast(pl.Boolean, strict=False),
                    pl.col("type").cast(pl.String) == "product").fill_null(False).alias("_storable"),
    )
    bad_cost = not_a_number("standard_price") | beyond(context.max_line_amount, "standard_price")
    valid, rejected = split_valid(typed, PRODUCT_MODEL, "product_id",
                                  [(pl.col("_conflict"), REASON_DUPLICATE_CONFLICT), (bad_cost, REASON_COST)])
    return valid.drop("_conflict"), rejected, copies, int(typed["_conflict"].sum())


def _uoms(rows: pl.DataFrame) -> pl.DataFrame:
    return rows.select(as_int("id").alias("uom_id"), number("factor"), number("rounding"),
                       as_int("category_id")).unique("uom_id", keep="first")


def _snapshot(rows: pl.DataFrame, context: CleanContext) -> tuple[str, bool]:
    """(source, whether the raw file describes another day than the partition's)."""
    if rows.height != 1:
        return SOURCE_RECONSTRUCTED, True
    meta = rows.row(0, named=True)
    return str(meta["source"]), meta["snapshot_date"] != context.day.isoformat()


def _with_key_reasons(records: pl.LazyFrame) -> pl.LazyFrame:
    """Every record of a key that has a quarantined record gets REASON_KEY_QUARANTINED (unless it has its own)."""
    key_bad = pl.col("_reason").is_not_null().any().over(KEY) & pl.col("product_id").is_not_null()
    return records.with_columns(
        pl.when(pl.col("_reason").is_null() & key_bad).then(pl.lit(REASON_KEY_QUARANTINED))
        .otherwise("_reason").alias("_reason"))


def _snapshot_rows(quants: pl.LazyFrame, moves: pl.LazyFrame, products: pl.DataFrame, has_value: bool,
                   source: str, context: CleanContext) -> pl.LazyFrame:
    """One row per key from the valid quants and move groups (see the module docstring for each column)."""
    held = quants.group_by(KEY).agg(
        pl.sum("quantity").alias("quant_quantity"), pl.sum("reserved_quantity").alias("_reserved"),
        pl.col("value").sum().alias("_value"), pl.first("company_id").alias("_quant_company"))
    moved = moves.group_by(KEY).agg(
        pl.col("product_qty").filter(pl.col("direction") == OUT).sum().alias("moved_out_after"),
        pl.col("product_qty").filter(pl.col("direction") == IN).sum().alias("moved_in_after"),
        pl.first("company_id").alias("_move_company"), pl.lit(True).alias("_moved"))
    rows = held.join(moved, on=KEY, how="full", coalesce=True, nulls_equal=True).join(
        products.lazy().select("product_id", "standard_price"), on="product_id", how="left")
    moved_any, has_quant = pl.col("_moved").fill_null(False), pl.col("quant_quantity").is_not_null()
    rebuilt = (pl.col("quant_quantity").fill_null(0.0) + pl.col("moved_out_after").fill_null(0.0)
               - pl.col("moved_in_after").fill_null(0.0)).round(QTY_DECIMALS)
    own_cost = (pl.col("_value") / pl.col("quant_quantity")) if has_value else pl.lit(None, pl.Float64)
    unit_cost = pl.when(pl.col("quant_quantity") != 0).then(own_cost).otherwise(None)
    return rows.with_columns(
        pl.when(moved_any).then(rebuilt).otherwise(pl.col("quant_quantity")).alias("quantity"),
        pl.coalesce(unit_cost, "standard_price").alias("unit_cost"),
    ).filter(
        (has_quant & ~moved_any) | (pl.col("quantity") != 0)
    ).with_columns(
        pl.lit(context.day).alias("snapshot_date"),
        pl.coalesce("_quant_company", "_move_company").alias("company_id"),
        (pl.col("_reserved").fill_null(0.0) if source == SOURCE_QUANT else pl.lit(None, pl.Float64))
        .alias("reserved_quantity"),
        pl.when(has_quant & ~moved_any & pl.lit(has_value)).then("_value")
        .otherwise(pl.col("quantity") * pl.col("unit_cost")).alias("stock_value"),
        pl.col("moved_out_after").fill_null(0.0), pl.col("moved_in_after").fill_null(0.0),
        pl.lit(source).alias("source"),
    ).select(CLEAN_SCHEMA.names()).cast(dict(CLEAN_SCHEMA)).sort(KEY, nulls_last=True)


def clean_stock_quants(raw: pl.DataFrame | pl.LazyFrame, context: CleanContext) -> CleanResult:
    """The stock on hand at the end of `context.day`, plus the quarantined records with their reason."""
    has_value = "value" in raw.collect_schema().names()
    received = models_rows(raw, {QUANT_MODEL: QUANT_COLUMNS, MOVES_MODEL: MOVE_COLUMNS, PRODUCT_MODEL: PRODUCT_COLUMNS,
                                 UOM_MODEL: UOM_COLUMNS, SNAPSHOT_MODEL: SNAPSHOT_COLUMNS})
    source, other_day = _snapshot(received[SNAPSHOT_MODEL], context)
    quant_rows, quant_copies = deduplicated(received[QUANT_MODEL])
    products, bad_products, product_copies, product_conflicts = _products(received[PRODUCT_MODEL], context)
    quants = _quants(quant_rows, has_value, context, other_day)
    moves = _move_groups(received[MOVES_MODEL], products, _uoms(received[UOM_MODEL]), context, other_day)
    records = _with_key_reasons(pl.concat([quants, moves], how="diagonal_relaxed"))
    valid = records.filter(pl.col("_reason").is_null())
    quarantined = records.filter(pl.col("_reason").is_not_null()).select(
        pl.col(MODEL_COLUMN).alias("model"), pl.col("id").alias("record_id"), pl.col("_reason").alias("reason"))
    snapshot, quarantine, counts = pl.collect_all([
        _snapshot_rows(valid.filter(pl.col(MODEL_COLUMN) == QUANT_MODEL),
                       valid.filter(pl.col(MODEL_COLUMN) == MOVES_MODEL), products, has_value, source, context),
        pl.concat([quarantined, bad_products.lazy()], how="vertical_relaxed").cast(dict(QUARANTINE_SCHEMA)),
        records.select(
            (pl.col(MODEL_COLUMN) == QUANT_MODEL).sum().alias("quants"),
            (pl.col(MODEL_COLUMN) == MOVES_MODEL).sum().alias("move_groups"),
            ((pl.col(MODEL_COLUMN) == QUANT_MODEL) & pl.col("_reason").is_not_null()).sum().alias("quants_quarantined"),
            ((pl.col(MODEL_COLUMN) == MOVES_MODEL) & pl.col("_reason").is_not_null()).sum()
            .alias("move_groups_quarantined"),
            pl.col("_conflict").sum().alias("quants_duplicate_conflicting"),
            pl.struct(KEY).filter(pl.col("_reason").is_null()).n_unique().alias("keys"),
        ),
    ], engine="in-memory")
    not_storable = products.filter(~pl.col("_storable"))["product_id"].to_list()
    tables = {CLEAN_TABLE: snapshot}
    counted = counts.row(0, named=True)
    quant_conflicts = counted.pop("quants_duplicate_conflicting")
    metrics = {
        **counted,
        **quarantine.select(reason_counts(pl.col("reason"), REASON_METRICS)).row(0, named=True),
        "rows": snapshot.height,
        "rows_zero_dropped": counted["keys"] - snapshot.height,
        "rows_rebuilt": snapshot.filter((pl.col("moved_out_after") != 0) | (pl.col("moved_in_after") != 0)).height,
        "rows_without_cost": snapshot["unit_cost"].null_count(),
        # quants of products Odoo does not track (no move of theirs is taken back: their past is today's figure)
        "rows_not_storable": snapshot.filter(pl.col("product_id").is_in(not_storable)).height,
        "duplicates_identical": quant_copies + product_copies,
        "duplicates_conflicting": quant_conflicts + product_conflicts,
        **unknown_ids(tables, context, STOCK_QUANTS.known_dimensions),
    }
    return CleanResult(tables, quarantine, metrics={name: int(value) for name, value in metrics.items()})

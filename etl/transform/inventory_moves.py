"""Clean one day of raw stock moves into typed, classified move lines; quarantine what cannot be trusted.

Grain: one row per done stock.move.line whose `date` (UTC; Odoo stamps it when the line is done) falls on the
business day. `quantity` is in the product's unit of measure and never negative; `signed_quantity` is the effect on
internal stock. There is no money here (no tax basis): valuation belongs to the cost side.

Pure: polars in, polars out. Each line is enriched from the other models of the raw file — its stock.move (operation
type, production links, inventory flag), its picking (reference, operation type), the operation type's `code`, the
usage of both locations, and on Odoo 16 the product's unit and the uom.uom factors. `enrich_lines` does that for
every line; `clean_inventory_moves` then quarantines, with the first failing rule of LINE_RULES as reason:
- a line id received twice with different values, or referring to a record received so (identical copies are kept
  once and counted in `duplicates_identical`);
- a line of another business day, not done, without product, with a quantity that is not a number, negative,
  beyond `context.max_line_amount`, or in a unit that cannot be converted to the product's;
- a line whose stock.move or locations were not received (the extraction reads them with the lines).
Product ids missing from dim_products are kept and counted (`unknown_product_id`).
"""

from __future__ import annotations

import polars as pl

from etl import schemas
from etl.catalog import INVENTORY_MOVES
from etl.raw_records import models_rows
from etl.transform.quarantine import QUARANTINE_SCHEMA, CleanContext, CleanResult, split_valid
from etl.transform.uom import convert_quantity
from etl.transform.validation import (
    UTC_TS, as_int, beyond, deduplicated, not_a_number, number, reason_counts, unknown_ids, utc,
)

CLEAN_TABLE = "inventory_moves"
LINE_MODEL = "stock.move.line"
DONE = "done"
INTERNAL = "internal"

# DESIGN §5: movement_type by (source location usage → destination location usage). This table is the only place
# the classification is written down; any pair not listed is OTHER.
MOVEMENT_TYPES: dict[tuple[str, str], str] = {
    ("supplier", "internal"): "incoming",
    ("internal", "supplier"): "vendor_return",
    ("internal", "customer"): "outgoing",
    ("customer", "internal"): "customer_return",
    ("production", "internal"): "production_in",
    ("internal", "production"): "production_out",
    ("inventory", "internal"): "adjustment",
    ("internal", "inventory"): "adjustment",
    ("internal", "internal"): "transfer",
    ("internal", "transit"): "transfer",
    ("transit", "internal"): "transfer",
}
ADJUSTMENT = "adjustment"
OTHER = "other"
MOVEMENT_TYPE_NAMES = tuple(dict.fromkeys([*MOVEMENT_TYPES.values(), OTHER]))

CLEAN_SCHEMA = pl.Schema({**schemas.FACT_INVENTORY_MOVES, "move_ts": UTC_TS, "write_date": UTC_TS})

# Columns read from each model of the raw file (a field the server lacks, e.g. mrp's links, comes back null).
RAW_COLUMNS = {
    LINE_MODEL: ["id", "move_id", "picking_id", "product_id", "lot_id", "location_id", "location_dest_id",
                 "quantity_product_uom", "qty_done", "product_uom_id", "state", "date", "reference", "company_id",
                 "write_date"],
    "stock.move": ["id", "picking_id", "picking_type_id", "production_id", "raw_material_production_id",
                   "is_inventory", "reference"],
    "stock.picking": ["id", "name", "picking_type_id"],
    "stock.picking.type": ["id", "code"],
    "stock.location": ["id", "usage"],
    "product.product": ["id", "uom_id"],
    "uom.uom": ["id", "factor", "rounding", "category_id"],
}

REASON_DUPLICATE_CONFLICT = "duplicate id with different values"
REASON_NO_DATE = "move line has no valid date"
REASON_OTHER_DAY = "move line's business day is not the partition's day"
REASON_NOT_DONE = "move line is not done"
REASON_NO_PRODUCT = "move line has no product"
REASON_NOT_A_NUMBER = "quantity null or not a number"
REASON_NO_CONVERSION = "unit of measure cannot be converted to the product's"
REASON_NEGATIVE = "quantity is negative"
REASON_BEYOND_BOUND = "quantity beyond bound"
REASON_NO_MOVE = "stock move not received"
REASON_NO_LOCATION = "location usage not received"
REASON_METRICS = {
    REASON_DUPLICATE_CONFLICT: "lines_duplicate_conflict",
    REASON_NO_DATE: "lines_without_date",
    REASON_OTHER_DAY: "lines_not_of_day",
    REASON_NOT_DONE: "lines_not_done",
    REASON_NO_PRODUCT: "lines_without_product",
    REASON_NOT_A_NUMBER: "lines_quantity_not_a_number",
    REASON_NO_CONVERSION: "lines_unit_not_convertible",
    REASON_NEGATIVE: "lines_quantity_negative",
    REASON_BEYOND_BOUND: "lines_quantity_beyond_bound",
    REASON_NO_MOVE: "lines_move_missing",
    REASON_NO_LOCATION: "lines_location_missing",
}


def classify_moves(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Add `movement_type`, `signed_quantity` and `inventory_adjustment_flag` to a frame of `source_usage`,
    `dest_usage`, `quantity` and `is_inventory`.

    signed_quantity is + into internal stock (destination internal, source not), − out of it (source internal,
    destination not), 0 otherwise (internal↔internal, or no internal side). The adjustment flag is set for the
    adjustment movement type and for any line of a move Odoo marks `is_inventory`.
    """
    pair = pl.concat_str([pl.col("source_usage"), pl.col("dest_usage")], separator="→")
    mapping = {f"{source}→{dest}": kind for (source, dest), kind in MOVEMENT_TYPES.items()}
    into = (pl.col("dest_usage") == INTERNAL).fill_null(False)
    out = (pl.col("source_usage") == INTERNAL).fill_null(False)
    movement_type = pair.replace_strict(mapping, default=OTHER, return_dtype=pl.String)
    return frame.with_columns(
        movement_type.alias("movement_type"),
        pl.when(into & ~out).then(pl.col("quantity"))
        .when(out & ~into).then(-pl.col("quantity"))
        .otherwise(0.0).alias("signed_quantity"),
        ((movement_type == ADJUSTMENT) | pl.col("is_inventory").fill_null(False)).alias("inventory_adjustment_flag"),
    )


class Received:
    """The raw rows of the day by model, identical copies dropped, with the duplicate counts."""

    def __init__(self, raw: pl.DataFrame | pl.LazyFrame) -> None:
        rows = models_rows(raw, RAW_COLUMNS)
        self.copies = 0
        self.conflicts = 0
        self.models: dict[str, pl.DataFrame] = {}
        for model, frame in rows.items():
            unique, copies = deduplicated(frame)
            self.models[model] = unique
            self.copies += copies
            self.conflicts += int(unique["_conflict"].sum())

    def lookup(self, model: str, key: str, **columns: pl.Expr) -> pl.LazyFrame:
        """One row per id of `model` as `key`, with `columns` and `_conflict_<key>` (true when the id came twice
        with different values; its first copy is used)."""
        return self.models[model].lazy().select(
            as_int("id").alias(key), *[expr.alias(name) for name, expr in columns.items()],
            pl.col("_conflict").alias(f"_conflict_{key}"),
        ).unique(key, keep="first", maintain_order=True)


def _typed_lines(lines: pl.DataFrame, timezone: str) -> pl.LazyFrame:
    return lines.lazy().select(
        as_int("id").alias("move_line_id"),
        as_int("move_id"),
        as_int("picking_id").alias("_line_picking_id"),
        as_int("product_id"),
        as_int("lot_id"),
        as_int("location_id"),
        as_int("location_dest_id"),
        as_int("product_uom_id").alias("_line_uom"),
        as_int("company_id"),
        number("quantity_product_uom").alias("_product_uom_qty"),  # Odoo 17+: computed and stored by Odoo
        number("qty_done").alias("_line_uom_qty"),  # Odoo 16: done quantity in the line's unit
        pl.col("state").cast(pl.String).alias("_state"),
        utc("date").alias("move_ts"),
        pl.col("reference").cast(pl.String).alias("_line_reference"),
        utc("write_date").alias("write_date"),
        "_conflict",
    ).with_columns(pl.col("move_ts").dt.convert_time_zone(timezone).dt.date().alias("date"))


def _product_quantity(received: Received, lines: pl.LazyFrame) -> pl.LazyFrame:
    """`quantity` in the product's unit: Odoo's own `quantity_product_uom` when the server has it (17+), else the
    done quantity converted from the line's unit as Odoo 16's `_action_done` does (HALF-UP to the product unit)."""
    uoms = received.lookup("uom.uom", "_uom", _factor=number("factor"), _rounding=number("rounding"),
                           _category=as_int("category_id"))
    line_uom = uoms.rename({"_uom": "_line_uom", "_factor": "_from_factor", "_category": "_from_category",
                            "_conflict__uom": "_conflict_line_uom"}).drop("_rounding")
    product_uom = uoms.rename({"_uom": "_product_uom", "_factor": "_to_factor", "_category": "_to_category",
                               "_conflict__uom": "_conflict_product_uom"})
    converted = convert_quantity(pl.col("_line_uom_qty"), pl.col("_line_uom"), pl.col("_from_factor"),
                                 pl.col("_from_category"), pl.col("_product_uom"), pl.col("_to_factor"),
                                 pl.col("_to_category"), pl.col("_rounding"))
    return (
        lines.join(received.lookup("product.product", "product_id", _product_uom=as_int("uom_id")),
                   on="product_id", how="left", maintain_order="left")
        .join(line_uom, on="_line_uom", how="left", maintain_order="left")
        .join(product_uom, on="_product_uom", how="left", maintain_order="left")
        .with_columns(
            pl.coalesce("_product_uom_qty", "_line_uom_qty").alias("_received_qty"),
            (pl.col("_product_uom_qty").is_null() & pl.col("_line_uom_qty").is_not_null()).alias("_converts"),
            pl.coalesce("_product_uom_qty", converted).alias("quantity"),
        )
    )


def _with_usages(received: Received, lines: pl.LazyFrame) -> pl.LazyFrame:
    locations = received.lookup("stock.location", "_location", _usage=pl.col("usage").cast(pl.String))
    for column, usage in (("location_id", "source_usage"), ("location_dest_id", "dest_usage")):
        lines = lines.join(
            locations.rename({"_location": column, "_usage": usage, "_conflict__location": f"_conflict_{usage}"}),
            on=column, how="left", maintain_order="left")
    return lines


def _with_operation(received: Received, lines: pl.LazyFrame) -> pl.LazyFrame:
    """The move's and picking's fields: picking, operation type code, reference, production order, inventory flag."""
    moves = received.lookup(
        "stock.move", "move_id", _move_received=pl.lit(True), _move_picking_id=as_int("picking_id"),
        _move_type=as_int("picking_type_id"), _finished_mo=as_int("production_id"),
        _component_mo=as_int("raw_material_production_id"), is_inventory=pl.col("is_inventory").cast(pl.Boolean),
        _move_reference=pl.col("reference").cast(pl.String))
    pickings = received.lookup("stock.picking", "picking_id", _picking_name=pl.col("name").cast(pl.String),
                               _picking_type=as_int("picking_type_id"))
    types = received.lookup("stock.picking.type", "_type", picking_type_code=pl.col("code").cast(pl.String))
    return (
        lines.join(moves, on="move_id", how="left", maintain_order="left")
        .with_columns(pl.coalesce("_line_picking_id", "_move_picking_id").alias("picking_id"))
        .join(pickings, on="picking_id", how="left", maintain_order="left")
        .with_columns(pl.coalesce("_move_type", "_picking_type").alias("_type"))
        .join(types, on="_type", how="left", maintain_order="left")
        .with_columns(
            pl.coalesce("_line_reference", "_picking_name", "_move_reference").alias("reference"),
            pl.coalesce("_finished_mo", "_component_mo").alias("manufacturing_order_id"),
        )
    )


def enrich_lines(received: Received, timezone: str) -> pl.LazyFrame:
    """Every received move line, typed, joined to its related records and classified (nothing filtered yet)."""
    lines = _typed_lines(received.models[LINE_MODEL], timezone)
    lines = _with_operation(received, _with_usages(received, _product_quantity(received, lines)))
    conflict = pl.any_horizontal(pl.col("_conflict"), pl.col("^_conflict_.*$").fill_null(False))
    return classify_moves(lines).with_columns(conflict.alias("_conflict"))


def _line_rules(context: CleanContext) -> list[tuple[pl.Expr, str]]:
    """(bad, reason) in priority order: the first failing rule is the line's reason."""
    qty = pl.col("_received_qty")
    return [
        (pl.col("_conflict"), REASON_DUPLICATE_CONFLICT),
        (pl.col("move_ts").is_null(), REASON_NO_DATE),
        (pl.col("date") != context.day, REASON_OTHER_DAY),
        (pl.col("_state").fill_null("") != DONE, REASON_NOT_DONE),
        (pl.col("product_id").is_null(), REASON_NO_PRODUCT),
        (not_a_number("_received_qty"), REASON_NOT_A_NUMBER),
        (pl.col("_converts") & pl.col("quantity").is_null(), REASON_NO_CONVERSION),
        (qty < 0, REASON_NEGATIVE),
        (beyond(context.max_line_amount, "_received_qty", "quantity"), REASON_BEYOND_BOUND),
        (pl.col("move_id").is_not_null() & pl.col("_move_received").is_null(), REASON_NO_MOVE),
        (pl.col("source_usage").is_null() | pl.col("dest_usage").is_null(), REASON_NO_LOCATION),
    ]


def received_lines(raw: pl.DataFrame | pl.LazyFrame, timezone: str) -> pl.DataFrame:
    """Every move line of a raw file, enriched and classified, without validation (what reconciliation sums)."""
    return enrich_lines(Received(raw), timezone).collect()


def clean_inventory_moves(raw: pl.DataFrame | pl.LazyFrame, context: CleanContext) -> CleanResult:
    """The day's valid move lines (CLEAN_SCHEMA) and the quarantined ones with their reason."""
    received = Received(raw)
    lines = enrich_lines(received, context.timezone)
    kept, rejected = split_valid(lines, LINE_MODEL, "move_line_id", _line_rules(context))
    clean, quarantine = pl.collect_all(
        [kept.select(CLEAN_SCHEMA.names()).cast(dict(CLEAN_SCHEMA)), rejected.cast(dict(QUARANTINE_SCHEMA))],
        engine="in-memory",
    )
    tables = {CLEAN_TABLE: clean}
    metrics = {
        "move_lines": received.models[LINE_MODEL]["id"].n_unique(),
        "move_lines_quarantined": quarantine["record_id"].n_unique(),
        "duplicates_identical": received.copies,
        "duplicates_conflicting": received.conflicts,
        **quarantine.select(reason_counts(pl.col("reason"), REASON_METRICS)).row(0, named=True),
        **unknown_ids(tables, context, INVENTORY_MOVES.known_dimensions),
    }
    return CleanResult(tables, quarantine, metrics={name: int(value) for name, value in metrics.items()})

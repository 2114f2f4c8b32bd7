"""The inventory-moves cleaner and fact: movement types and signs (DESIGN §5), business days, units, quarantine."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from etl import schemas
from etl.load.inventory_moves import inventory_moves_facts
from etl.raw_records import raw_frame
from etl.reconcile.inventory_moves import on_hand_from_moves
from etl.transform.inventory_moves import (
    CLEAN_SCHEMA, CLEAN_TABLE, REASON_BEYOND_BOUND, REASON_DUPLICATE_CONFLICT, REASON_NEGATIVE, REASON_NO_CONVERSION,
    REASON_NO_DATE, REASON_NO_LOCATION, REASON_NO_MOVE, REASON_NO_PRODUCT, REASON_NOT_A_NUMBER, REASON_NOT_DONE,
    REASON_OTHER_DAY, classify_moves, clean_inventory_moves,
)
from etl.transform.quarantine import CleanContext, CleanResult

JAKARTA = "Asia/Jakarta"
DAY = date(2026, 11, 20)
LOCATIONS = {"supplier": 1, "customer": 2, "inventory": 3, "production": 4, "transit": 5, "internal": 6,
             "view": 7, "internal2": 8}
USAGE = {loc_id: name.rstrip("2") for name, loc_id in LOCATIONS.items()}
UNITS, DOZENS, KG, GRAM = 1, 2, 3, 4

M2O, FLOAT, CHAR, SEL, DT, BOOL = "many2one", "float", "char", "selection", "datetime", "boolean"
LINE_TYPES = {"move_id": M2O, "picking_id": M2O, "product_id": M2O, "lot_id": M2O, "location_id": M2O,
              "location_dest_id": M2O, "product_uom_id": M2O, "state": SEL, "date": DT, "reference": CHAR,
              "company_id": M2O, "write_date": DT}
TYPES_17 = {
    "stock.move.line": {**LINE_TYPES, "quantity_product_uom": FLOAT},
    "stock.move": {"picking_id": M2O, "picking_type_id": M2O, "production_id": M2O,
                   "raw_material_production_id": M2O, "is_inventory": BOOL, "reference": CHAR, "state": SEL},
    "stock.picking": {"name": CHAR, "picking_type_id": M2O},
    "stock.picking.type": {"code": SEL},
    "stock.location": {"usage": SEL},
}
TYPES_16 = {**TYPES_17, "stock.move.line": {**LINE_TYPES, "qty_done": FLOAT},
            "product.product": {"uom_id": M2O}, "uom.uom": {"factor": FLOAT, "rounding": FLOAT, "category_id": M2O}}
UOMS = [{"id": UNITS, "factor": 1.0, "rounding": 0.01, "category_id": [1, "Unit"]},
        {"id": DOZENS, "factor": 1 / 12, "rounding": 0.01, "category_id": [1, "Unit"]},
        {"id": KG, "factor": 1.0, "rounding": 0.001, "category_id": [2, "Weight"]},
        {"id": GRAM, "factor": 1000.0, "rounding": 0.01, "category_id": [2, "Weight"]}]


def ref(record_id: int | None) -> list | bool:
    return [record_id, f"#{record_id}"] if record_id else False


def line(lid: int, source: str = "supplier", dest: str = "internal", qty: object = 5.0, *, move: int | None = None,
         when: str = "2026-11-20 03:00:00", state: str = "done", product: int | None = 100, uom: int = UNITS,
         picking: int | None = None, lot: int | None = None, reference: str | bool = False,
         qty_field: str = "quantity_product_uom") -> dict:
    return {"id": lid, "move_id": ref(move if move is not None else lid + 1000), "picking_id": ref(picking),
            "product_id": ref(product), "lot_id": ref(lot), "location_id": ref(LOCATIONS[source]),
            "location_dest_id": ref(LOCATIONS[dest]), qty_field: qty, "product_uom_id": ref(uom), "state": state,
            "date": when, "reference": reference, "company_id": ref(1), "write_date": when}


def move(mid: int, *, picking: int | None = None, picking_type: int | None = None, finished_mo: int | None = None,
         component_mo: int | None = None, inventory: bool = False, reference: str | bool = False) -> dict:
    return {"id": mid, "picking_id": ref(picking), "picking_type_id": ref(picking_type),
            "production_id": ref(finished_mo), "raw_material_production_id": ref(component_mo),
            "is_inventory": inventory, "reference": reference, "state": "done"}


def records(lines: list[dict], moves: list[dict] | None = None, pickings: list[dict] = (),
            types: list[dict] = (), locations: list[dict] | None = None, **extra: list[dict]) -> dict:
    moves = [move(ln["move_id"][0]) for ln in lines if ln["move_id"]] if moves is None else moves
    locations = [{"id": i, "usage": u} for i, u in USAGE.items()] if locations is None else locations
    return {"stock.move.line": lines, "stock.move": moves, "stock.picking": list(pickings),
            "stock.picking.type": list(types), "stock.location": locations, **extra}


def clean(recs: dict, *, field_types: dict = TYPES_17, day: date = DAY, max_amount: float = 1e12,
          known_ids: dict | None = None) -> CleanResult:
    context = CleanContext(day=day, timezone=JAKARTA, max_line_amount=max_amount, known_ids=known_ids or {})
    return clean_inventory_moves(raw_frame(recs, {m: field_types[m] for m in recs}), context)


def rows(result: CleanResult) -> list[dict]:
    return result.tables[CLEAN_TABLE].to_dicts()


def reasons(result: CleanResult) -> dict[int, str]:
    return dict(zip(result.quarantine["record_id"].to_list(), result.quarantine["reason"].to_list()))


@pytest.mark.parametrize(
    ("source", "dest", "is_inventory", "movement_type", "sign", "adjustment"),
    [
        ("supplier", "internal", False, "incoming", 1, False),
        ("internal", "supplier", False, "vendor_return", -1, False),
        ("internal", "customer", False, "outgoing", -1, False),
        ("customer", "internal", False, "customer_return", 1, False),
        ("production", "internal", False, "production_in", 1, False),
        ("internal", "production", False, "production_out", -1, False),
        ("inventory", "internal", True, "adjustment", 1, True),
        ("internal", "inventory", True, "adjustment", -1, True),
        ("internal", "inventory", False, "adjustment", -1, True),  # scrap: an inventory-usage location
        ("internal", "internal", False, "transfer", 0, False),
        ("internal", "transit", False, "transfer", -1, False),  # leaves internal stock for the transit location
        ("transit", "internal", False, "transfer", 1, False),
        ("supplier", "customer", False, "other", 0, False),  # dropship: never in internal stock
        ("customer", "supplier", False, "other", 0, False),
        ("inventory", "production", False, "other", 0, False),
        ("transit", "transit", False, "other", 0, False),
        ("view", "internal", False, "other", 1, False),  # unexpected pair: other, still signed by usage
        ("supplier", "internal", True, "incoming", 1, True),  # Odoo's is_inventory sets the flag on any move
    ],
)
def test_movement_type_and_sign_follow_location_usages(source: str, dest: str, is_inventory: bool,
                                                       movement_type: str, sign: int, adjustment: bool) -> None:
    frame = pl.LazyFrame({"source_usage": [source], "dest_usage": [dest], "quantity": [4.0],
                          "is_inventory": [is_inventory]})
    got = classify_moves(frame).collect().row(0, named=True)
    assert (got["movement_type"], got["signed_quantity"], got["inventory_adjustment_flag"]) == (
        movement_type, 4.0 * sign, adjustment)
    dest_key = "internal2" if (source, dest) == ("internal", "internal") else dest
    result = clean(records([line(1, source, dest_key, 4.0)], [move(1001, inventory=is_inventory)]))
    (row,) = rows(result)
    assert (row["movement_type"], row["signed_quantity"], row["inventory_adjustment_flag"]) == (
        movement_type, 4.0 * sign, adjustment)
    assert row["quantity"] == 4.0


@pytest.mark.parametrize(
    ("utc_time", "business_day"),
    [("2026-11-20 16:59:59", date(2026, 11, 20)), ("2026-11-20 17:00:00", date(2026, 11, 21)),
     ("2026-11-19 17:00:00", date(2026, 11, 20))],
)
def test_business_day_is_the_line_date_in_jakarta(utc_time: str, business_day: date) -> None:
    result = clean(records([line(1, when=utc_time)]), day=business_day)
    assert [r["date"] for r in rows(result)] == [business_day]


BAD_LINES = [
    ({"when": "not a date"}, REASON_NO_DATE),
    ({"when": "2026-11-20 17:30:00"}, REASON_OTHER_DAY),
    ({"state": "assigned"}, REASON_NOT_DONE),
    ({"product": None}, REASON_NO_PRODUCT),
    ({"qty": False}, REASON_NOT_A_NUMBER),
    ({"qty": "12abc"}, REASON_NOT_A_NUMBER),
    ({"qty": -1.0}, REASON_NEGATIVE),
    ({"qty": 5e9}, REASON_BEYOND_BOUND),
    ({"move": 4242}, REASON_NO_MOVE),
    ({"source": "view"}, None),  # a location whose record was not received
]


@pytest.mark.parametrize(("overrides", "reason"), BAD_LINES)
def test_a_bad_line_is_quarantined_with_its_reason(overrides: dict, reason: str | None) -> None:
    good, bad = line(1), line(2, **overrides)
    moves = [move(1001), move(1002)]
    locations = [{"id": i, "usage": u} for i, u in USAGE.items() if u != "view"]
    result = clean(records([good, bad], moves, locations=locations), max_amount=1e9)
    assert [r["move_line_id"] for r in rows(result)] == [1]
    assert reasons(result) == {2: reason or REASON_NO_LOCATION}
    assert result.metrics["move_lines_quarantined"] == 1 and result.metrics["move_lines"] == 2


def test_duplicates_identical_kept_once_conflicting_quarantined() -> None:
    result = clean(records([line(1), line(1), line(2, qty=3.0), line(2, qty=6.0), line(3)],
                           [move(1001), move(1002), move(1003), move(1003, reference="changed")]))
    assert [r["move_line_id"] for r in rows(result)] == [1]
    assert result.quarantine.sort("record_id")["record_id"].to_list() == [2, 2, 3]
    assert set(reasons(result).values()) == {REASON_DUPLICATE_CONFLICT}
    assert result.metrics["duplicates_identical"] == 1
    assert result.metrics["duplicates_conflicting"] == 4  # line 2's copies and move 1003's copies


def test_operation_fields_come_from_move_then_picking() -> None:
    recs = records(
        [line(1, picking=50, reference="WH/IN/00001"), line(2, "internal", "production", move=1002),
         line(3, "production", "internal", move=1003), line(4, "inventory", "internal", move=1004)],
        [move(1001, picking=50), move(1002, picking_type=61, component_mo=7, reference="WH/MO/00007"),
         move(1003, picking_type=61, finished_mo=7, reference="WH/MO/00007"),
         move(1004, inventory=True, reference="Product Quantity Updated")],
        pickings=[{"id": 50, "name": "WH/IN/00001", "picking_type_id": ref(60)}],
        types=[{"id": 60, "code": "incoming"}, {"id": 61, "code": "mrp_operation"}],
    )
    got = {r["move_line_id"]: r for r in rows(clean(recs))}
    assert (got[1]["picking_id"], got[1]["picking_type_code"], got[1]["reference"]) == (50, "incoming", "WH/IN/00001")
    assert (got[2]["picking_type_code"], got[2]["manufacturing_order_id"], got[2]["reference"]) == (
        "mrp_operation", 7, "WH/MO/00007")
    assert (got[3]["movement_type"], got[3]["manufacturing_order_id"]) == ("production_in", 7)
    assert (got[4]["picking_id"], got[4]["picking_type_code"], got[4]["manufacturing_order_id"]) == (None, None, None)
    assert got[4]["reference"] == "Product Quantity Updated" and got[4]["inventory_adjustment_flag"]


def test_without_mrp_the_production_links_are_null() -> None:
    types = {**TYPES_17, "stock.move": {k: v for k, v in TYPES_17["stock.move"].items()
                                        if k not in ("production_id", "raw_material_production_id")}}
    recs = records([line(1)], [{k: v for k, v in move(1001).items() if "production" not in k}])
    (row,) = rows(clean(recs, field_types=types))
    assert row["manufacturing_order_id"] is None and row["movement_type"] == "incoming"


@pytest.mark.parametrize(
    ("line_uom", "product_uom", "qty", "expected"),
    [(UNITS, UNITS, 3.0, 3.0), (DOZENS, UNITS, 2.0, 24.0), (GRAM, KG, 1234.5, 1.235), (KG, GRAM, 0.25, 250.0),
     (GRAM, KG, 0.4, 0.0)],
)
def test_odoo16_done_quantity_is_converted_to_the_product_unit(line_uom: int, product_uom: int, qty: float,
                                                               expected: float) -> None:
    recs = records([line(1, qty=qty, uom=line_uom, qty_field="qty_done")],
                   **{"product.product": [{"id": 100, "uom_id": ref(product_uom)}], "uom.uom": UOMS})
    (row,) = rows(clean(recs, field_types=TYPES_16))
    assert row["quantity"] == pytest.approx(expected, abs=1e-9)


def test_odoo16_unit_of_another_category_is_quarantined() -> None:
    recs = records([line(1, qty=2.0, uom=GRAM, qty_field="qty_done"), line(2, qty=1.0, qty_field="qty_done")],
                   **{"product.product": [{"id": 100, "uom_id": ref(UNITS)}], "uom.uom": UOMS})
    result = clean(recs, field_types=TYPES_16)
    assert reasons(result) == {1: REASON_NO_CONVERSION} and [r["move_line_id"] for r in rows(result)] == [2]


def test_empty_day_gives_typed_empty_tables_and_fact() -> None:
    result = clean(records([], []))
    assert result.tables[CLEAN_TABLE].schema == CLEAN_SCHEMA and result.tables[CLEAN_TABLE].height == 0
    assert result.quarantine.height == 0
    fact = inventory_moves_facts(result.tables)["fact_inventory_moves"]
    assert fact.schema == schemas.FACT_INVENTORY_MOVES and fact.height == 0


def test_fact_has_the_contract_columns_and_unknown_products_are_counted() -> None:
    result = clean(records([line(1), line(2, product=999, lot=77)]),
                   known_ids={"dim_products": frozenset({100})})
    fact = inventory_moves_facts(result.tables)["fact_inventory_moves"]
    assert fact.schema == schemas.FACT_INVENTORY_MOVES
    assert fact["move_line_id"].to_list() == [1, 2] and fact["lot_id"].to_list() == [None, 77]
    assert result.metrics["unknown_product_id"] == 1


def test_on_hand_from_moves_takes_both_legs_of_internal_transfers() -> None:
    recs = records([line(1, "supplier", "internal", 10.0), line(2, "internal", "internal2", 4.0),
                    line(3, "internal2", "customer", 1.0), line(4, "internal", "transit", 2.0),
                    line(5, "supplier", "customer", 7.0)])
    fact = inventory_moves_facts(clean(recs).tables)["fact_inventory_moves"]
    on_hand = dict(on_hand_from_moves(fact).select("location_id", "quantity").iter_rows())
    assert on_hand == {LOCATIONS["internal"]: 10.0 - 4.0 - 2.0, LOCATIONS["internal2"]: 4.0 - 1.0}
    assert fact["signed_quantity"].sum() == 10.0 - 1.0 - 2.0

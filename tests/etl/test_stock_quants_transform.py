"""The stock-on-hand cleaner: a snapshot of day D rebuilt from today's quants and the moves since, its units, costs,
sources and quarantine — on raw frames shaped exactly as the extractor saves them."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from etl import schemas
from etl.load.stock_quants import FACT, stock_quants_facts
from etl.raw_records import raw_frame
from etl.transform.quarantine import CleanContext, CleanResult
from etl.transform.stock_quants import (
    CLEAN_SCHEMA, CLEAN_TABLE, IN, MOVES_MODEL, OUT, PRODUCT_MODEL, QUANT_MODEL, REASON_BEYOND_BOUND, REASON_COST,
    REASON_DUPLICATE_CONFLICT, REASON_KEY_QUARANTINED, REASON_NO_KEY, REASON_NO_UOM, REASON_NOT_A_NUMBER,
    REASON_OTHER_DAY, SNAPSHOT_MODEL, SOURCE_QUANT, SOURCE_RECONSTRUCTED, UOM_MODEL, clean_stock_quants,
)

DAY = date(2026, 11, 20)
STORE, CENTRAL = 11, 12  # internal locations
UNITS, DOZENS, KG, G, LITRE = 1, 2, 3, 4, 5
M2O = "many2one"
QUANT_TYPES = {"product_id": M2O, "location_id": M2O, "lot_id": M2O, "company_id": M2O, "quantity": "float",
               "reserved_quantity": "float"}
MOVE_TYPES_17 = {"direction": "char", "__count": "integer", "quantity_product_uom": "float", "product_id": M2O,
                 "location_id": M2O, "location_dest_id": M2O, "lot_id": M2O, "company_id": M2O}
MOVE_TYPES_16 = {**{k: v for k, v in MOVE_TYPES_17.items() if k != "quantity_product_uom"}, "qty_done": "float",
                 "product_uom_id": M2O}
PRODUCT_TYPES = {"standard_price": "float", "uom_id": M2O, "type": "selection"}
UOM_TYPES = {"factor": "float", "rounding": "float", "category_id": M2O}
SNAPSHOT_TYPES = {"snapshot_date": "char", "source": "char", "moves_from": "datetime", "moves_to": "datetime"}
UOMS = [{"id": UNITS, "factor": 1.0, "rounding": 0.01, "category_id": [1, "Unit"]},
        {"id": DOZENS, "factor": 1 / 12, "rounding": 0.01, "category_id": [1, "Unit"]},
        {"id": KG, "factor": 1.0, "rounding": 0.001, "category_id": [2, "Weight"]},
        {"id": G, "factor": 1000.0, "rounding": 1.0, "category_id": [2, "Weight"]},
        {"id": LITRE, "factor": 1.0, "rounding": 0.01, "category_id": [3, "Volume"]}]


def m2o(value: int | None) -> list | bool:
    return [value, f"#{value}"] if value else False


def quant(qid: int, product: int | None, location: int | None, qty: float | str, *, lot: int | None = None,
          reserved: float = 0.0, value: float | None = None) -> dict:
    record = {"id": qid, "product_id": m2o(product), "location_id": m2o(location), "lot_id": m2o(lot),
              "company_id": m2o(1), "quantity": qty, "reserved_quantity": reserved}
    return record if value is None else {**record, "value": value}


def moved(direction: str, product: int | None, location: int, qty: float, *, lot: int | None = None,
          unit: int | None = None) -> dict:
    """A read_group row of done move lines after the day (`unit` set: an Odoo 16 row in the lines' unit)."""
    side = "location_id" if direction == OUT else "location_dest_id"
    quantity = {"qty_done": qty, "product_uom_id": m2o(unit)} if unit else {"quantity_product_uom": qty}
    return {"direction": direction, "__count": 1, "product_id": m2o(product), side: m2o(location), "lot_id": m2o(lot),
            "company_id": m2o(1), **quantity}


def product(pid: int, cost: float | str = 2.5, unit: int = UNITS) -> dict:
    return {"id": pid, "standard_price": cost, "uom_id": m2o(unit), "type": "product"}


def clean(quants: list[dict], moves: list[dict] = (), products: list[dict] | None = None, *,
          source: str = SOURCE_QUANT, snapshot_day: date = DAY, max_amount: float = 1e12,
          known_ids: dict | None = None) -> CleanResult:
    """Run the cleaner on the raw frame the extractor would save for these records."""
    has_value = any("value" in q for q in quants)
    has_units = any("product_uom_id" in m for m in moves)
    records = {QUANT_MODEL: quants, MOVES_MODEL: [{"id": n, **m} for n, m in enumerate(moves, 1)],
               PRODUCT_MODEL: products if products is not None else [
                   product(pid) for pid in sorted({r["product_id"][0] for r in [*quants, *moves] if r["product_id"]})],
               SNAPSHOT_MODEL: [{"id": 1, "snapshot_date": snapshot_day.isoformat(), "source": source,
                                 "moves_from": "2026-11-20 17:00:00", "moves_to": "2026-11-20 17:10:00"}]}
    types = {QUANT_MODEL: {**QUANT_TYPES, **({"value": "monetary"} if has_value else {})},
             MOVES_MODEL: MOVE_TYPES_16 if has_units else MOVE_TYPES_17, PRODUCT_MODEL: PRODUCT_TYPES,
             SNAPSHOT_MODEL: SNAPSHOT_TYPES}
    if has_units:
        records[UOM_MODEL], types[UOM_MODEL] = UOMS, UOM_TYPES
    context = CleanContext(day=DAY, timezone="Asia/Jakarta", max_line_amount=max_amount, known_ids=known_ids or {})
    result = clean_stock_quants(raw_frame(records, types).lazy(), context)
    assert result.tables[CLEAN_TABLE].schema == CLEAN_SCHEMA
    return result


def rows(result: CleanResult) -> dict[tuple, dict]:
    table = result.tables[CLEAN_TABLE]
    return {(r["product_id"], r["location_id"], r["lot_id"]): r for r in table.iter_rows(named=True)}


def reasons(result: CleanResult) -> dict[tuple[str, int], str]:
    return {(r["model"], r["record_id"]): r["reason"] for r in result.quarantine.iter_rows(named=True)}


def test_day_just_ended_is_the_quants_per_key() -> None:
    result = clean([quant(1, 100, STORE, 5.0, reserved=1.0), quant(2, 100, STORE, 2.0),  # two packages, one key
                    quant(3, 101, CENTRAL, 0.0), quant(4, 100, STORE, 4.0, lot=7)])
    snapshot = rows(result)
    assert set(snapshot) == {(100, STORE, None), (101, CENTRAL, None), (100, STORE, 7)}
    row = snapshot[(100, STORE, None)]
    assert (row["quantity"], row["reserved_quantity"], row["source"], row["snapshot_date"]) == (7.0, 1.0, "quant", DAY)
    assert (row["unit_cost"], row["stock_value"], row["company_id"]) == (2.5, 17.5, 1)
    assert snapshot[(101, CENTRAL, None)]["quantity"] == 0.0  # a zero quant Odoo still has stays as Odoo has it
    assert result.quarantine.height == 0 and result.metrics["rows_rebuilt"] == 0


def test_moves_after_the_day_are_taken_back() -> None:
    result = clean(
        [quant(1, 100, STORE, 5.0, reserved=2.0), quant(2, 100, CENTRAL, 20.0), quant(3, 102, STORE, 3.0)],
        [moved(OUT, 100, STORE, 4.0),  # sold after the day: it was still on hand at its end
         moved(IN, 100, STORE, 10.0), moved(OUT, 100, CENTRAL, 10.0),  # transfer central → store after the day
         moved(OUT, 101, STORE, 6.0),  # sold out since: no quant any more
         moved(IN, 102, STORE, 3.0)],  # received since: nothing at the end of the day
        source=SOURCE_RECONSTRUCTED)
    snapshot = rows(result)
    assert {key: row["quantity"] for key, row in snapshot.items()} == {
        (100, STORE, None): -1.0, (100, CENTRAL, None): 30.0, (101, STORE, None): 6.0}
    store = snapshot[(100, STORE, None)]
    assert (store["quant_quantity"], store["moved_out_after"], store["moved_in_after"]) == (5.0, 4.0, 10.0)
    assert store["reserved_quantity"] is None and store["source"] == "reconstructed"
    assert snapshot[(101, STORE, None)]["stock_value"] == 15.0
    assert result.metrics["rows_zero_dropped"] == 1 and result.metrics["rows_rebuilt"] == 3


def test_day_just_ended_takes_out_the_moves_since_midnight() -> None:
    row = rows(clean([quant(1, 100, STORE, 5.0, reserved=2.0)], [moved(OUT, 100, STORE, 1.5)]))[(100, STORE, None)]
    assert (row["quantity"], row["reserved_quantity"], row["source"]) == (6.5, 2.0, "quant")


def test_odoo_16_line_units_are_converted_to_the_product_unit() -> None:
    result = clean(
        [quant(1, 100, STORE, 24.0), quant(2, 200, STORE, 2.0), quant(3, 201, STORE, 1.0)],
        [moved(IN, 100, STORE, 1.0, unit=DOZENS), moved(OUT, 200, STORE, 250.0, unit=G),
         moved(OUT, 201, STORE, 1.941, unit=KG), moved(OUT, 201, STORE, 1.0, unit=LITRE)],
        [product(100), product(200, unit=KG), product(201, unit=KG)], source=SOURCE_RECONSTRUCTED)
    snapshot = rows(result)
    assert snapshot[(100, STORE, None)]["quantity"] == 12.0
    assert snapshot[(200, STORE, None)]["quantity"] == 2.25
    assert (201, STORE, None) not in snapshot  # litres cannot become kilograms: the whole key is quarantined
    assert reasons(result) == {(MOVES_MODEL, 4): REASON_NO_UOM, (MOVES_MODEL, 3): REASON_KEY_QUARANTINED,
                               (QUANT_MODEL, 3): REASON_KEY_QUARANTINED}
    assert result.metrics["move_groups_uom_unconvertible"] == 1


def test_the_quants_own_valuation_gives_the_cost() -> None:
    snapshot = rows(clean([quant(1, 100, STORE, 4.0, value=10.0), quant(2, 101, STORE, 4.0, value=12.0),
                           quant(3, 102, STORE, 0.0, value=0.0)],
                          [moved(OUT, 101, STORE, 1.0), moved(OUT, 102, STORE, 2.0)], source=SOURCE_RECONSTRUCTED))
    assert (snapshot[(100, STORE, None)]["unit_cost"], snapshot[(100, STORE, None)]["stock_value"]) == (2.5, 10.0)
    assert (snapshot[(101, STORE, None)]["unit_cost"], snapshot[(101, STORE, None)]["stock_value"]) == (3.0, 15.0)
    assert snapshot[(102, STORE, None)]["unit_cost"] == 2.5  # no quantity to divide by: the product's cost


def test_bad_records_are_quarantined_with_their_key() -> None:
    result = clean(
        [quant(1, 100, STORE, 5.0), quant(1, 100, STORE, 5.0),  # received twice, identical: kept once
         quant(2, 101, STORE, 5.0), quant(2, 101, STORE, 6.0),  # same id, different values
         quant(3, 102, STORE, "12abc"), quant(4, 103, STORE, 2e13), quant(5, None, STORE, 1.0),
         quant(6, 104, STORE, 1.0)],
        [moved(OUT, 101, STORE, 1.0), moved(OUT, 104, STORE, 1.0)], max_amount=1e12)
    assert set(rows(result)) == {(100, STORE, None), (104, STORE, None)}
    assert rows(result)[(100, STORE, None)]["quantity"] == 5.0
    assert reasons(result) == {(QUANT_MODEL, 2): REASON_DUPLICATE_CONFLICT, (MOVES_MODEL, 1): REASON_KEY_QUARANTINED,
                               (QUANT_MODEL, 3): REASON_NOT_A_NUMBER, (QUANT_MODEL, 4): REASON_BEYOND_BOUND,
                               (QUANT_MODEL, 5): REASON_NO_KEY}
    assert (result.quarantine["record_id"] == 2).sum() == 2  # every copy of the conflicting quant
    metrics = result.metrics
    assert (metrics["duplicates_identical"], metrics["duplicates_conflicting"]) == (1, 2)
    assert (metrics["quants_quarantined"], metrics["move_groups_quarantined"]) == (5, 1)
    assert metrics["records_of_quarantined_keys"] == 1 and metrics["records_not_a_number"] == 1


def test_a_product_without_usable_cost_keeps_its_rows() -> None:
    result = clean([quant(1, 100, STORE, 3.0), quant(2, 101, STORE, 1.0)], [],
                   [product(100, cost="n/a"), product(101, cost=4.0)])
    snapshot = rows(result)
    assert snapshot[(100, STORE, None)]["quantity"] == 3.0 and snapshot[(100, STORE, None)]["unit_cost"] is None
    assert snapshot[(100, STORE, None)]["stock_value"] is None and snapshot[(101, STORE, None)]["stock_value"] == 4.0
    assert reasons(result) == {(PRODUCT_MODEL, 100): REASON_COST}
    assert result.metrics["rows_without_cost"] == 1 and result.metrics["products_cost_unusable"] == 1


def test_a_raw_file_of_another_day_is_quarantined_whole() -> None:
    result = clean([quant(1, 100, STORE, 3.0)], [moved(OUT, 100, STORE, 1.0)], snapshot_day=date(2026, 11, 19))
    assert result.tables[CLEAN_TABLE].height == 0
    assert set(reasons(result).values()) == {REASON_OTHER_DAY} and result.metrics["records_not_of_day"] == 2


def test_an_empty_day_is_a_typed_empty_table() -> None:
    result = clean([], [])
    assert result.tables[CLEAN_TABLE].height == 0 and result.quarantine.height == 0
    fact = stock_quants_facts(result.tables)[FACT]
    assert fact.schema == schemas.FACT_STOCK_ON_HAND_SNAPSHOT and fact.height == 0


def test_fact_keeps_the_contract_columns_and_counts_unknown_products() -> None:
    result = clean([quant(1, 100, STORE, 3.0), quant(2, 999, STORE, 1.0)],
                   known_ids={"dim_products": frozenset({100})})
    fact = stock_quants_facts(result.tables)[FACT]
    assert fact.columns == list(schemas.FACT_STOCK_ON_HAND_SNAPSHOT.names()) and fact.height == 2
    assert result.metrics["unknown_product_id"] == 1


@pytest.mark.parametrize("source", [SOURCE_QUANT, SOURCE_RECONSTRUCTED])
def test_source_comes_from_the_raw_file(source: str) -> None:
    fact = clean([quant(1, 100, STORE, 3.0)], source=source).tables[CLEAN_TABLE]
    assert fact["source"].to_list() == [source] and fact.filter(pl.col("source") == source).height == 1

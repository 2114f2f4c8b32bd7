"""Inventory moves from a (demo) Odoo 16, 17 and 18 over the real odoorpc client into the lake.

Reconciliation (DESIGN §6): per business day, the done move-line count and Σ quantity per movement type equal
Odoo's; over every demo day, the on hand the moves imply per (product, internal location, lot) equals stock.quant.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Iterator

import polars as pl
import pytest

from etl import schemas
from etl.catalog import INVENTORY_MOVES
from etl.dates import business_today
from etl.day_manifest import read_manifest
from etl.pipelines.runs import nightly_days, run_days
from etl.reconcile.inventory_moves import on_hand_variance, reconcile_inventory_day
from etl.status import read_status
from odoorpc_connector import OdooClient
from tests.conftest import DemoOdoo
from tests.support.demo_days import DEMO_DAYS
from tests.support.demo_days import demo_days, fast_client
from tests.support.demo_control import faults
from tests.support.lake import fact

DATASET = INVENTORY_MOVES.name
FACT = "fact_inventory_moves"
VARIANCE_TOLERANCE = 1e-4  # demo quants are Σ moves rounded to 4 decimals


def all_stock_days(settings) -> list[date]:
    """The demo's days plus today: sessions closed after midnight move stock on the current business day."""
    return [*demo_days(settings), business_today(settings.business_timezone)]


@pytest.fixture(scope="module")
def loaded(demo_odoo: DemoOdoo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DemoOdoo, Path]]:
    """Every demo day of inventory moves loaded once per Odoo version (dimensions refreshed first)."""
    lake = tmp_path_factory.mktemp(f"moves{demo_odoo.version}")
    settings = demo_odoo.settings(lake)
    run_days(["inventory-moves"], all_stock_days(settings), settings, fast_client(settings)).raise_if_failed()
    yield demo_odoo, lake


def test_each_day_reconciles_with_odoo(loaded: tuple[DemoOdoo, Path]) -> None:
    demo, lake = loaded
    settings = demo.settings(lake)
    client = fast_client(settings)
    kinds: set[str] = set()
    for day in all_stock_days(settings):
        check = reconcile_inventory_day(client, lake, day, settings.business_timezone)
        assert check.ok, (day, check.differences())
        moves = fact(lake, FACT, day)
        assert moves.schema == schemas.FACT_INVENTORY_MOVES
        assert moves["move_line_id"].is_unique().all() and (moves["quantity"] >= 0).all()
        assert read_manifest(lake, DATASET, day).quarantined == 0
        kinds |= set(moves["movement_type"].to_list())
    assert {"incoming", "outgoing", "adjustment", "customer_return"} <= kinds
    assert read_status(lake)["datasets"][DATASET]["last_processed_date"] == demo_days(settings)[-1].isoformat()


def test_on_hand_from_moves_equals_stock_quants(loaded: tuple[DemoOdoo, Path]) -> None:
    demo, lake = loaded
    settings = demo.settings(lake)
    variance = on_hand_variance(fast_client(settings), lake, all_stock_days(settings))
    assert variance.height > 100, "the demo's quants should be compared"
    assert variance.filter(pl.col("variance").abs() > VARIANCE_TOLERANCE).is_empty()


def test_version_fields_are_detected(loaded: tuple[DemoOdoo, Path]) -> None:
    demo, lake = loaded
    client = fast_client(demo.settings(lake))
    on_16 = demo.version == 16
    assert client.has_field("stock.move.line", "qty_done") == on_16
    assert client.has_field("stock.move.line", "quantity_product_uom") == (not on_16)
    raw = pl.read_parquet(read_manifest(lake, DATASET, demo_days(demo.settings(lake))[-1]).path(lake, f"raw/{DATASET}"))
    models = set(raw["_model"].to_list())
    assert ("uom.uom" in models) == on_16  # units converted by us only where Odoo does not store them
    assert {"stock.move.line", "stock.move", "stock.picking", "stock.picking.type", "stock.location"} <= models


def late_correction(client: OdooClient, version: int, day: date, settings) -> tuple[int, int]:
    """Create, over RPC, a done inventory correction (+2 of a product into a store) dated `day`."""
    when = (datetime.combine(day, time(10), settings.business_timezone).astimezone(timezone.utc)
            .strftime("%Y-%m-%d %H:%M:%S"))
    inventory = client.call("stock.location", "search", [[("usage", "=", "inventory")]], {"limit": 1})[0]
    stock = client.call("stock.location", "search", [[("usage", "=", "internal")]], {"limit": 1})[0]
    product = client.search_read_all("product.product", [("sale_ok", "=", True)], ["uom_id"], page_size=1)[0]
    move = client.call("stock.move", "create", [{
        "name": "Late count correction", "product_id": product["id"], "product_uom_qty": 2.0,
        "product_uom": product["uom_id"][0], "location_id": inventory, "location_dest_id": stock,
        "is_inventory": True, "state": "done", "date": when}])
    quantity = {"qty_done": 2.0} if version == 16 else {"quantity": 2.0, "picked": True, "quantity_product_uom": 2.0}
    line = client.call("stock.move.line", "create", [{
        "move_id": move, "product_id": product["id"], "product_uom_id": product["uom_id"][0],
        "location_id": inventory, "location_dest_id": stock, "state": "done", "date": when, **quantity}])
    return move, line


def test_late_correction_makes_the_nightly_run_redo_its_day(demo_odoo: DemoOdoo, tmp_path: Path) -> None:
    settings = demo_odoo.settings(tmp_path)
    client = fast_client(settings)
    target = demo_days(settings)[-1]
    corrected, untouched = target - timedelta(days=2), target - timedelta(days=1)
    run_days([DATASET], [corrected, untouched], settings, client, refresh_first=False).raise_if_failed()
    assert nightly_days(DATASET, target, settings, client) == [target]
    move, line = late_correction(client, demo_odoo.version, corrected, settings)
    try:
        assert nightly_days(DATASET, target, settings, client) == [corrected, target]
        run_days([DATASET], [corrected], settings, client, refresh_first=False).raise_if_failed()
        row = fact(tmp_path, FACT, corrected).filter(pl.col("move_line_id") == line).row(0, named=True)
        assert (row["movement_type"], row["signed_quantity"], row["inventory_adjustment_flag"]) == (
            "adjustment", 2.0, True)
        assert reconcile_inventory_day(client, tmp_path, corrected, settings.business_timezone).ok
        assert nightly_days(DATASET, target, settings, client) == [target]
    finally:
        client.call("stock.move", "unlink", [[move]])  # the demo server is shared by the session's tests


def test_a_write_on_a_done_stock_move_is_a_late_change(demo_odoo17: DemoOdoo, tmp_path: Path) -> None:
    settings = demo_odoo17.settings(tmp_path)
    client = fast_client(settings)
    target = demo_days(settings)[-1]
    changed = target - timedelta(days=3)
    run_days([DATASET], [changed], settings, client, refresh_first=False).raise_if_failed()
    move_id = fact(tmp_path, FACT, changed)["move_id"][0]
    origin = client.call("stock.move", "read", [[int(move_id)], ["origin"]])[0]["origin"]
    client.call("stock.move", "write", [[int(move_id)], {"origin": origin}])  # same value: only write_date moves
    assert nightly_days(DATASET, target, settings, client) == [changed, target]


def test_a_day_without_moves_is_a_typed_empty_partition(demo_odoo17: DemoOdoo, tmp_path: Path) -> None:
    settings = demo_odoo17.settings(tmp_path)
    client = fast_client(settings)
    before = demo_days(settings)[0] - timedelta(days=DEMO_DAYS)
    run_days([DATASET], [before], settings, client, refresh_first=False).raise_if_failed()
    empty = fact(tmp_path, FACT, before)
    assert empty.height == 0 and empty.schema == schemas.FACT_INVENTORY_MOVES
    assert reconcile_inventory_day(client, tmp_path, before, settings.business_timezone).ok


def test_calls_grow_with_pages_not_lines(demo_odoo17: DemoOdoo, tmp_path: Path) -> None:
    settings = demo_odoo17.settings(tmp_path, ODOO_PAGE_SIZE="100")
    client = fast_client(settings)
    day = demo_days(settings)[-1]
    run_days([DATASET], [day], settings, client, refresh_first=False).raise_if_failed()
    lines = fact(tmp_path, FACT, day).height
    calls = client.stats.by_method
    assert lines > 100
    assert calls["stock.move.line.search_read"] == lines // 100 + 1
    assert calls["stock.move.search_read"] == lines // 100 + 1  # one move per line in the demo
    assert calls["stock.location.search_read"] == 1 and calls["stock.picking.type.search_read"] == 1
    assert sum(count for key, count in calls.items() if key.endswith(".search_read")) <= 2 * (lines // 100 + 1) + 4


def test_an_odoo_error_on_a_related_model_fails_the_day_and_keeps_the_old_one(demo_odoo17: DemoOdoo,
                                                                               tmp_path: Path) -> None:
    settings = demo_odoo17.settings(tmp_path)
    client = fast_client(settings)
    day = demo_days(settings)[-1]
    run_days([DATASET], [day], settings, client, refresh_first=False).raise_if_failed()
    manifest = read_manifest(tmp_path, DATASET, day)
    with faults(demo_odoo17.url, deny_models=["stock.location"]):  # lines and moves read, then locations fail
        outcome = run_days([DATASET], [day], settings, client, refresh_first=False)
    assert list(outcome.failed) == [f"{DATASET} {day.isoformat()}"]
    assert read_manifest(tmp_path, DATASET, day) == manifest

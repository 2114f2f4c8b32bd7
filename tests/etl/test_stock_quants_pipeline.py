"""Stock-on-hand snapshots from a (demo) Odoo 16/17/18 over the real odoorpc client into the lake.

Reconciliation follows DESIGN §6, with Odoo's figures computed here independently of the ETL, from plain search_read:
the stock on hand at the end of day D is Σ done move lines dated before the end of D per (product, internal location,
lot) in the product's unit — the demo's stock.quant is that sum over every line, so each past snapshot must equal the
quants the demo had on that day, and the last day must equal stock.quant once the moves made after its midnight
(the demo closes POS sessions after midnight) are counted back.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from etl import io_parquet, schemas
from etl.dates import business_yesterday, odoo_window
from etl.io_parquet import write_parquet_atomic
from etl.pipelines.runs import run_days
from etl.published import published_path, read_published
from etl.reconcile.stock_quants import reconcile_stock_quants_day
from odoorpc_connector import OdooClient
from tests.conftest import DemoOdoo
from tests.support.demo_days import DEMO_DAYS
from tests.etl.test_operator_scripts import run
from tests.support.lake import fact
from tests.support.processes import isolated_env

FACT = "fact_stock_on_hand_snapshot"
TOLERANCE = 1e-6
ALL = {"active_test": False}
Key = tuple[int, int, int | None]


def _id(value: object) -> int | None:
    return value[0] if value else None  # type: ignore[index]


class OdooStock:
    """Odoo's stock read with plain search_read: every done move line in product units, and the quants."""

    def __init__(self, client: OdooClient, version: int) -> None:
        self.internal = set(client.call("stock.location", "search", [[("usage", "=", "internal")]], {"context": ALL}))
        storable = [("is_storable", "=", True)] if version >= 18 else [("type", "=", "product")]
        products = client.search_read_all("product.product", storable, ["uom_id"], context=ALL)
        self.unit = {p["id"]: _id(p["uom_id"]) for p in products}  # storable products only: others move no quant
        factor = {u["id"]: u["factor"] for u in client.search_read_all("uom.uom", [], ["factor"], context=ALL)}
        qty = "quantity_product_uom" if version >= 17 else "qty_done"
        fields = ["product_id", "lot_id", "location_id", "location_dest_id", "date", "product_uom_id", qty]
        self.lines = []
        for line in client.search_read_all("stock.move.line", [("state", "=", "done")], fields):
            product = _id(line["product_id"])
            if product in self.unit:
                ratio = 1.0 if version >= 17 else factor[self.unit[product]] / factor[_id(line["product_uom_id"])]
                self.lines.append((line["date"], product, _id(line["lot_id"]), _id(line["location_id"]),
                                   _id(line["location_dest_id"]), line[qty] * ratio))
        self.quants = client.search_read_all("stock.quant", [("location_id.usage", "=", "internal")],
                                             ["product_id", "location_id", "lot_id", "quantity", "reserved_quantity"])

    def on_hand(self, before: str, after: str = "") -> dict[Key, float]:
        """Σ done lines dated in [after, before) per key (signed: + into an internal location, − out of it)."""
        total: dict[Key, float] = defaultdict(float)
        for when, product, lot, source, destination, qty in self.lines:
            if after <= when < before:
                if source in self.internal:
                    total[(product, source, lot)] -= qty
                if destination in self.internal:
                    total[(product, destination, lot)] += qty
        return total

    def quant_totals(self, column: str) -> dict[Key, float]:
        total: dict[Key, float] = defaultdict(float)
        for q in self.quants:
            total[(_id(q["product_id"]), _id(q["location_id"]), _id(q["lot_id"]))] += q[column]
        return total


def per_key(frame: pl.DataFrame, column: str = "quantity") -> dict[Key, float]:
    return {(p, loc, lot): value for p, loc, lot, value in frame.select(
        "product_id", "location_id", "lot_id", column).rows()}


def differences(expected: dict[Key, float], actual: dict[Key, float]) -> dict[Key, tuple[float, float]]:
    return {key: (expected.get(key, 0.0), actual.get(key, 0.0)) for key in {*expected, *actual}
            if abs(expected.get(key, 0.0) - actual.get(key, 0.0)) > TOLERANCE}


def fast_client(demo: DemoOdoo, lake: Path) -> tuple[OdooClient, object]:
    settings = demo.settings(lake)
    return OdooClient(settings.require_odoo(), backoff_seconds=0.01).connect(), settings


def test_snapshots_are_the_stock_odoo_had_each_day(demo_odoo: DemoOdoo, tmp_path: Path) -> None:
    client, settings = fast_client(demo_odoo, tmp_path)
    tz = settings.business_timezone
    last = business_yesterday(tz)
    days = [last - timedelta(days=n) for n in reversed(range(DEMO_DAYS + 1))]  # and the day before the data
    outcome = run_days(["quants"], days, settings, client, refresh_first=False)
    assert outcome.failed == {}
    odoo = OdooStock(client, demo_odoo.version)
    assert not differences(odoo.on_hand("9999"), odoo.quant_totals("quantity")), "demo quants = Σ its move lines"
    for day in days:
        end = odoo_window(day, tz)[1]
        snapshot = fact(tmp_path, FACT, day)
        assert snapshot.schema == schemas.FACT_STOCK_ON_HAND_SNAPSHOT
        assert snapshot.select(pl.struct("product_id", "location_id", "lot_id").is_unique().all()).item()
        mismatched = differences(odoo.on_hand(end), per_key(snapshot))
        assert not mismatched, f"{day}: {len(mismatched)} keys differ, e.g. {next(iter(mismatched.items()))}"
        assert snapshot["source"].unique().to_list() in ([], ["quant" if day == last else "reconstructed"])
        assert snapshot.filter(pl.col("unit_cost").is_null()).height == 0
        check = reconcile_stock_quants_day(client, tmp_path, day, tz)
        assert check.ok, check.differences()
    assert fact(tmp_path, FACT, days[0]).height == 0  # before the opening inventory: an empty, typed day
    # the day that has just ended is stock.quant itself once the moves made after its midnight are counted back
    last_day = fact(tmp_path, FACT, last)
    since_midnight = odoo.on_hand("9999", after=odoo_window(last, tz)[1])
    counted_back = {key: qty + since_midnight.get(key, 0.0) for key, qty in per_key(last_day).items()}
    assert not differences(odoo.quant_totals("quantity"), counted_back)
    reserved = odoo.quant_totals("reserved_quantity")
    assert any(reserved.values()) and not differences(reserved, per_key(last_day, "reserved_quantity"))
    past = fact(tmp_path, FACT, days[-2])
    assert past.height > 0 and past["reserved_quantity"].null_count() == past.height
    # the days went as one span: Odoo sums the moves after it once, and the span's few calls are shared by its days
    calls = [summary["rpc_calls"] for summary in outcome.done]
    assert len(set(calls)) == 1 and calls[0] * len(days) <= 12, calls


def test_operator_refresh_and_validation(demo_odoo17: DemoOdoo, tmp_path: Path) -> None:
    env = isolated_env(**demo_odoo17.env(tmp_path))
    last = business_yesterday(demo_odoo17.settings(tmp_path).business_timezone)
    first = last - timedelta(days=1)
    days = ["--start", first.isoformat(), "--end", last.isoformat()]
    loaded = run(env, "-m", "scripts.force_refresh_stock_quants", *days, "--no-dimensions")
    assert loaded.returncode == 0, loaded.stderr
    assert "done: 2 day(s) loaded, 0 failed" in loaded.stderr
    valid = run(env, "-m", "scripts.validate_stock_quants", *days)
    assert valid.returncode == 0 and valid.stdout.count("  ok") == 2, valid.stdout + valid.stderr
    path = published_path(tmp_path, io_parquet.STAR, FACT, first)
    assert path is not None
    write_parquet_atomic(pl.read_parquet(path).slice(1), path)  # lose one key
    tampered = run(env, "-m", "scripts.validate_stock_quants", "--date", first.isoformat())
    assert tampered.returncode == 1 and "DIFFERS" in tampered.stdout and "keys_differing 0/1" in tampered.stdout
    dropped = run(env, "-m", "scripts.force_refresh_stock_quants", "--drop", "--date", first.isoformat(), "--yes")
    assert dropped.returncode == 0, dropped.stderr
    assert published_path(tmp_path, io_parquet.STAR, FACT, first) is None


def test_a_day_is_published_whole_with_its_audit_columns(demo_odoo17: DemoOdoo, tmp_path: Path) -> None:
    client, settings = fast_client(demo_odoo17, tmp_path)
    day = business_yesterday(settings.business_timezone) - timedelta(days=2)
    summary = run_days(["stock-quants"], [day], settings, client, refresh_first=False).done[0]
    clean = read_published(tmp_path, io_parquet.CLEAN, "stock_quants", day)
    snapshot = fact(tmp_path, FACT, day)
    assert clean is not None and clean.height == snapshot.height == summary["rows_out"][FACT]
    rebuilt = clean.filter((pl.col("moved_out_after") != 0) | (pl.col("moved_in_after") != 0))
    assert rebuilt.height == summary["metrics"]["rows_rebuilt"] > 0
    assert (rebuilt["quantity"] - (rebuilt["quant_quantity"].fill_null(0.0) + rebuilt["moved_out_after"]
                                   - rebuilt["moved_in_after"])).abs().max() < TOLERANCE
    assert summary["fingerprint"] == {} and summary["quarantined"] == 0
    assert isinstance(date.fromisoformat(summary["day"]), date)

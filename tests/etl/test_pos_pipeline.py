"""POS sales from a (demo) Odoo over the real odoorpc client into the lake, for Odoo 16, 17 and 18.

Reconciliation follows DESIGN §6: per business day, Σ fact_sales.revenue equals Σ amount_total of that day's
paid/done/invoiced pos.order (±1 per order), with exact order and line counts.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from etl import io_parquet
from etl.day_manifest import read_manifest
from etl.pipelines.runs import run_days
from etl.status import read_status
from etl.reconcile.pos_order_lines import reconcile_pos_day
from odoorpc_connector import OdooAccessError, OdooAuthError, OdooClient
from tests.conftest import DemoOdoo
from tests.support.demo_days import demo_days, fast_client
from tests.support.demo_control import faults
from tests.support.lake import fact
from tests.support.reconciled import load_reconciled_days

DATASET = "pos_order_lines"


def test_client_detects_version_fields(demo_odoo: DemoOdoo, tmp_path: Path) -> None:
    client = fast_client(demo_odoo.settings(tmp_path))
    assert client.server_version.startswith(str(demo_odoo.version))
    done_qty = client.first_field("stock.move.line", ("quantity", "qty_done"))
    assert done_qty == ("qty_done" if demo_odoo.version == 16 else "quantity")
    assert client.has_field("product.product", "detailed_type") == (demo_odoo.version < 18)


def test_pos_days_reconcile_with_odoo(demo_odoo: DemoOdoo, tmp_path: Path) -> None:
    loaded = load_reconciled_days(demo_odoo.settings(tmp_path), tmp_path, "pos", reconcile_pos_day)
    days = loaded.days
    refunds = 0
    for day, check in zip(days, loaded.checks):
        assert check.check("orders").odoo > 0
        sales = fact(tmp_path, "fact_sales", day)
        assert sales["line_id"].is_unique().all()
        assert (sales.filter(pl.col("is_refund"))["revenue"] <= 0).all()
        refunds += sales["is_refund"].sum()
        payments = fact(tmp_path, "fact_payments", day)
        assert set(payments["order_id"].to_list()) <= set(sales["order_id"].to_list())
    assert refunds > 0, "the demo's refunds should reach the lake as refund lines"
    status = read_status(tmp_path)["datasets"][DATASET]
    assert status["last_processed_date"] == days[-1].isoformat()


def test_rerun_of_a_day_replaces_it_exactly(demo_odoo17: DemoOdoo, tmp_path: Path) -> None:
    settings = demo_odoo17.settings(tmp_path)
    client = fast_client(settings)
    day = demo_days(settings)[-1]
    run_days(["pos"], [day], settings, client).raise_if_failed()
    first = fact(tmp_path, "fact_sales", day)
    run_days(["pos"], [day], settings, client, refresh_first=False).raise_if_failed()
    second = fact(tmp_path, "fact_sales", day)
    assert first.height > 0
    assert second.equals(first)
    assert second["line_id"].is_unique().all()


def test_odoo_failure_mid_extraction_leaves_the_previous_partition(demo_odoo17: DemoOdoo, tmp_path: Path) -> None:
    settings = demo_odoo17.settings(tmp_path)
    client = fast_client(settings)
    day = demo_days(settings)[-1]
    run_days(["pos"], [day], settings, client).raise_if_failed()
    manifest = read_manifest(tmp_path, DATASET, day)
    before = {key: manifest.path(tmp_path, key).read_bytes() for key in manifest.files}
    with faults(demo_odoo17.url, deny_models=["pos.payment"]):  # orders and lines read, then payments fail
        outcome = run_days(["pos"], [day], settings, client, refresh_first=False)
    assert list(outcome.failed) == [f"{DATASET} {day.isoformat()}"]
    assert "AccessError" in outcome.failed[f"{DATASET} {day.isoformat()}"] or "denied" in next(iter(outcome.failed.values()))
    with pytest.raises(RuntimeError):
        outcome.raise_if_failed()
    assert read_manifest(tmp_path, DATASET, day) == manifest
    assert {key: manifest.path(tmp_path, key).read_bytes() for key in manifest.files} == before
    assert not list((tmp_path / "raw" / "_staging").rglob("*.parquet"))
    entry = read_status(tmp_path)["datasets"][DATASET]
    assert entry["last_failure"]["day"] == day.isoformat() and entry["last_success"]["day"] == day.isoformat()


def test_access_error_is_not_retried(demo_odoo17: DemoOdoo, tmp_path: Path) -> None:
    client = fast_client(demo_odoo17.settings(tmp_path))
    with faults(demo_odoo17.url, deny_models=["pos.order"]):
        with pytest.raises(OdooAccessError):
            client.search_read_all("pos.order", [], ["name"])
    assert client.stats.retries == 0


def test_transient_errors_and_expired_sessions_are_survived(demo_odoo17: DemoOdoo, tmp_path: Path) -> None:
    settings = demo_odoo17.settings(tmp_path, ODOO_PAGE_SIZE="100")
    client = OdooClient(settings.require_odoo(), retries=8, backoff_seconds=0.01).connect()
    day = demo_days(settings)[-1]
    with faults(demo_odoo17.url, failure_rate=0.2, session_expiry_calls=5):
        run_days(["pos"], [day], settings, client).raise_if_failed()
    assert client.stats.retries > 0 and client.stats.relogins > 0
    clean_client = fast_client(demo_odoo17.settings(tmp_path / "again"))
    run_days(["pos"], [day], demo_odoo17.settings(tmp_path / "again"), clean_client).raise_if_failed()
    assert fact(tmp_path, "fact_sales", day).sort("line_id").equals(
        fact(tmp_path / "again", "fact_sales", day).sort("line_id"))


def test_bad_login_is_one_clear_error(demo_odoo17: DemoOdoo, tmp_path: Path) -> None:
    settings = demo_odoo17.settings(tmp_path, ODOO_API_KEY="wrong-key-123")
    with pytest.raises(OdooAuthError) as caught:
        OdooClient(settings.require_odoo(), backoff_seconds=0.01).connect()
    message = str(caught.value)
    assert "ODOO_API_KEY" in message and "wrong-key-123" not in message and "\n" not in message


def test_rpc_calls_grow_with_pages_not_orders(demo_odoo17: DemoOdoo, tmp_path: Path) -> None:
    settings = demo_odoo17.settings(tmp_path, ODOO_PAGE_SIZE="100")
    client = fast_client(settings)
    day = demo_days(settings)[-1]
    run_days(["pos"], [day], settings, client, refresh_first=False).raise_if_failed()
    lines = fact(tmp_path, "fact_sales", day).height
    orders = fact(tmp_path, "fact_sales", day)["order_id"].n_unique()
    assert client.stats.by_method["pos.order.line.search_read"] == lines // 100 + 1
    assert client.stats.by_method["pos.order.search_read"] <= orders // 100 + 1


def test_unreachable_odoo_fails_after_retries_with_a_clear_error(tmp_path: Path) -> None:
    from etl.settings import load_settings
    from odoorpc_connector import OdooUnavailableError

    settings = load_settings({"ODOO_URL": "http://127.0.0.1:9", "ODOO_DB": "d", "ODOO_USERNAME": "u",
                              "ODOO_API_KEY": "k", "DATA_LAKE_ROOT": str(tmp_path)})
    client = OdooClient(settings.require_odoo(), retries=2, backoff_seconds=0.01)
    with pytest.raises(OdooUnavailableError) as caught:
        client.connect()
    assert "127.0.0.1:9" in str(caught.value) and client.stats.retries == 2


def test_a_write_error_between_two_fact_files_keeps_the_old_day_whole(
    demo_odoo17: DemoOdoo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = demo_odoo17.settings(tmp_path)
    client = fast_client(settings)
    day = demo_days(settings)[-1]
    run_days(["pos"], [day], settings, client).raise_if_failed()
    before = read_manifest(tmp_path, DATASET, day)
    sales, payments = fact(tmp_path, "fact_sales", day), fact(tmp_path, "fact_payments", day)
    real_write = io_parquet.write_parquet_atomic

    def disk_full_on_payments(frame: pl.DataFrame, target: Path) -> Path:
        if target.name.startswith("fact_payments"):
            raise OSError(28, "No space left on device")
        return real_write(frame, target)

    monkeypatch.setattr(io_parquet, "write_parquet_atomic", disk_full_on_payments)
    outcome = run_days(["pos"], [day], settings, client, refresh_first=False)
    assert "No space left" in outcome.failed[f"{DATASET} {day.isoformat()}"]
    assert read_manifest(tmp_path, DATASET, day) == before
    assert fact(tmp_path, "fact_sales", day).equals(sales) and fact(tmp_path, "fact_payments", day).equals(payments)
    failed = read_status(tmp_path)["datasets"][DATASET]["failed_days"][day.isoformat()]
    assert failed["step"] == "load" and "No space left" in failed["error"]

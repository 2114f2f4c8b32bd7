"""Synthetic star-schema lake for benchmarks and tests, written directly in the ETL's layout and schemas.

Vectorised with numpy + polars, one business day at a time: a day's orders are drawn from its own random stream
(growth over the period, weekly seasonality, lunch and evening peaks in the business timezone), expanded into lines
(Zipf-like product popularity, discounts, ~1 % refund orders) and payments (cash with change rows, QRIS, cards,
splits), written as that day's fact files in one version directory named by the day's manifest (etl.day_manifest),
as a run of the day publishes them, and dropped before the next day: memory is one day's, so the 100M-line lake of
`make bench-scale` is generated like the 10M-line one of `make bench` (each cached by its parameters) and the small
lakes of the tests. `publish_day` publishes one day the way the ETL does (atomic files, `commit_day`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import polars as pl

from etl import schemas
from etl.catalog import POS_ORDER_LINES
from etl.day_manifest import DayManifest, commit_day, manifest_path, new_version, table_key, version_file
from etl.io_parquet import STAR, dimension_path, write_parquet_atomic
from etl.status import RunRecord, record_run

logger = logging.getLogger(__name__)

LAYOUT = "day-manifests/streamed"  # part of a cached lake's key: a lake of another layout is generated again
DATASET = POS_ORDER_LINES.name

TAX_RATE = 0.11  # Indonesian PPN, price-included, as POS prices in Indonesia are shown
STORE_NAMES = ("Toko Pusat", "Cabang Bandung", "Cabang Surabaya", "Cabang Medan", "Cabang Bali")
STORE_WEIGHTS = (0.32, 0.22, 0.2, 0.14, 0.12)
PAYMENT_METHODS = ("Cash", "QRIS", "Debit BCA", "Credit Card", "GoPay")
PAYMENT_WEIGHTS = (0.38, 0.27, 0.17, 0.1, 0.08)
ROOT_CATEGORIES = ("Food", "Beverages", "Household", "Personal Care", "Baby", "Stationery", "Snacks", "Frozen")
SUBCATEGORIES = ("Basic", "Premium", "Imported", "Local")
WEEKDAY_FACTOR = np.array([0.9, 0.85, 0.9, 0.95, 1.1, 1.35, 1.25])  # Monday..Sunday
HOUR_WEIGHTS = np.array(  # local hours 0..23: closed at night, lunch and evening peaks
    [0, 0, 0, 0, 0, 0, 0, 0.2, 0.5, 0.8, 1.0, 1.3, 1.6, 1.4, 1.0, 0.9, 1.0, 1.3, 1.7, 1.8, 1.5, 1.0, 0.5, 0.1]
)


@dataclass(frozen=True)
class LakeSpec:
    """Parameters of a generated lake; equal specs generate identical lakes."""

    start: date = date(2023, 1, 1)
    days: int = 730
    orders_per_day: float = 4300.0  # average over the period; ≈3.2 lines per order
    products: int = 2000
    brands: int = 60
    customers: int = 20000
    refund_share: float = 0.01
    timezone: str = "Asia/Jakarta"
    seed: int = 7

    @property
    def end(self) -> date:
        return self.start + timedelta(days=self.days - 1)

    def key(self) -> str:
        payload = json.dumps({**asdict(self), "layout": LAYOUT}, default=str, sort_keys=True).encode()
        return hashlib.sha256(payload).hexdigest()[:12]


BENCHMARK_LAKE = LakeSpec()  # ≈10M lines over two years
SCALE_LAKE = LakeSpec(orders_per_day=43000.0)  # ≈100M lines over two years (`make bench-scale`)


def _categories(write_date: datetime) -> pl.DataFrame:
    rows = []
    for index, root_name in enumerate(ROOT_CATEGORIES):
        root_id = (index + 1) * 100
        rows.append((root_id, root_name, root_name, None))
        for sub_index, sub in enumerate(SUBCATEGORIES):
            rows.append((root_id + sub_index + 1, sub, f"{root_name} / {sub}", root_id))
    frame = pl.DataFrame(rows, schema=["category_id", "name", "complete_name", "parent_id"], orient="row")
    return frame.with_columns(active=pl.lit(True), write_date=pl.lit(write_date), deleted=pl.lit(False)).pipe(
        schemas.conform, schemas.DIMENSIONS["dim_categories"]
    )


def _named_dim(name: str, key: str, labels: list[str], write_date: datetime, **extra: pl.Expr) -> pl.DataFrame:
    frame = pl.DataFrame({key: np.arange(1, len(labels) + 1), "name": labels})
    frame = frame.with_columns(active=pl.lit(True), write_date=pl.lit(write_date), deleted=pl.lit(False), **extra)
    return schemas.conform(frame, schemas.DIMENSIONS[name])


def _products(spec: LakeSpec, rng: np.random.Generator, categories: pl.DataFrame, write_date: datetime) -> pl.DataFrame:
    leaves = categories.filter(pl.col("parent_id").is_not_null())
    leaf_index = rng.integers(0, leaves.height, spec.products)
    brand_ids = rng.integers(1, spec.brands + 1, spec.products).astype(float)
    brand_ids[rng.random(spec.products) < 0.15] = np.nan  # unbranded goods
    price = np.round(np.exp(rng.normal(np.log(22000), 0.8, spec.products)) / 500) * 500 + 500
    ids = np.arange(1, spec.products + 1)
    frame = pl.DataFrame(
        {
            "product_id": ids,
            "name": [f"Product {i:04d}" for i in ids],
            "default_code": [f"SKU{i:05d}" for i in ids],
            "barcode": [f"899{i:010d}" for i in ids],
            "product_tmpl_id": ids,
            "category_id": leaves["category_id"].gather(leaf_index),
            "category_name": leaves["complete_name"].gather(leaf_index),
            "brand_id": pl.Series(brand_ids).fill_nan(None).cast(pl.Int64),
            "list_price": price,
        }
    )
    frame = frame.with_columns(
        brand_name=pl.when(pl.col("brand_id").is_not_null()).then(pl.format("Brand {}", pl.col("brand_id"))),
        uom_id=pl.lit(1),
        standard_price=(pl.col("list_price") * 0.7).round(0),
        product_type=pl.lit("consu"),
        active=pl.lit(True),
        write_date=pl.lit(write_date),
        deleted=pl.lit(False),
    )
    return schemas.conform(frame, schemas.DIMENSIONS["dim_products"])


@dataclass
class _Ids:
    """The next order, line and payment ids: unique over the whole lake, as Odoo's are."""

    order: int = 1
    line: int = 1
    payment: int = 1


def _expected_orders(spec: LakeSpec, offset: int) -> float:
    """Average orders on day `offset`: growth over the period times the weekday's factor."""
    growth = 0.85 + 0.3 * offset / max(spec.days - 1, 1)
    weekday = (spec.start + timedelta(days=offset)).weekday()
    return spec.orders_per_day * growth * WEEKDAY_FACTOR[weekday] / WEEKDAY_FACTOR.mean()


def _orders(spec: LakeSpec, rng: np.random.Generator, day: date, ids: _Ids, n: int) -> pl.DataFrame:
    """One row per order of `day`: local time (lunch and evening peaks), UTC timestamp, store, customer, cashier;
    refunds flagged."""
    hour = rng.choice(24, n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    second_of_day = hour * 3600 + rng.integers(0, 3600, n)
    local = np.datetime64(day, "s") + second_of_day.astype("timedelta64[s]")
    store = rng.choice(len(STORE_NAMES), n, p=STORE_WEIGHTS) + 1
    customer = rng.integers(1, spec.customers + 1, n).astype(float)
    customer[rng.random(n) > 0.3] = np.nan  # walk-in
    frame = pl.DataFrame(
        {
            "order_id": np.arange(ids.order, ids.order + n),
            "local_ts": local.astype("datetime64[us]"),
            "store_id": store,
            "customer_id": pl.Series(customer).fill_nan(None).cast(pl.Int64),
            "cashier_id": store * 10 + rng.integers(0, 3, n),
            "is_refund": rng.random(n) < spec.refund_share,
        }
    )
    ids.order += n
    return frame.with_columns(
        date=pl.col("local_ts").dt.date(),
        order_ts=pl.col("local_ts").dt.replace_time_zone(spec.timezone).dt.convert_time_zone("UTC"),
        order_ref=pl.format("POS/{}", pl.col("order_id")),
        session_id=pl.col("store_id") * 100_000 + pl.col("local_ts").dt.date().cast(pl.Int32),
    ).drop("local_ts")


def _lines(spec: LakeSpec, rng: np.random.Generator, orders: pl.DataFrame, products: pl.DataFrame,
           ids: _Ids) -> pl.DataFrame:
    """One row per order line; money price-included as Odoo computes it (price_subtotal_incl)."""
    lines_per_order = 1 + rng.poisson(2.2, orders.height)
    order_index = np.repeat(np.arange(orders.height), lines_per_order)
    n = order_index.size
    popularity = 1.0 / np.arange(1, spec.products + 1) ** 0.9
    product_index = rng.choice(spec.products, n, p=popularity / popularity.sum())
    quantity = (1 + rng.poisson(0.5, n)).astype(float)
    discount = np.where(rng.random(n) < 0.1, rng.choice([5.0, 10.0, 20.0], n), 0.0)
    price = products["list_price"].to_numpy()[product_index]
    frame = orders.select(pl.all().gather(order_index)).with_columns(
        line_id=pl.Series(np.arange(ids.line, ids.line + n)),
        product_id=pl.Series(products["product_id"].to_numpy()[product_index]),
        price_unit=pl.Series(price),
        discount_pct=pl.Series(discount),
        quantity=pl.Series(quantity),
    )
    ids.line += n
    sign = pl.when(pl.col("is_refund")).then(-1.0).otherwise(1.0)
    gross = pl.col("price_unit") * pl.col("quantity")
    frame = frame.with_columns(
        quantity=pl.col("quantity") * sign,
        revenue=(gross * (1 - pl.col("discount_pct") / 100) * sign).round(2),
        discount_amount=(gross * pl.col("discount_pct") / 100).round(2),
        user_id=pl.col("cashier_id") + 1000,
        company_id=pl.lit(1),
    )
    frame = frame.with_columns(revenue_excl_tax=(pl.col("revenue") / (1 + TAX_RATE)).round(2))
    frame = frame.with_columns(
        tax_amount=(pl.col("revenue") - pl.col("revenue_excl_tax")).round(2),
        refunded_line_id=pl.when(pl.col("is_refund")).then(
            (pl.col("line_id") - 1000).clip(lower_bound=1)
        ),
    )
    return schemas.conform(frame, schemas.FACT_SALES)


def _payments(rng: np.random.Generator, lines: pl.DataFrame, ids: _Ids) -> pl.DataFrame:
    """Payments summing to each order's total; some cash orders overpay with a negative change row."""
    totals = lines.group_by("order_id", maintain_order=True).agg(
        pl.col("date").first(), pl.col("store_id").first(), amount=pl.col("revenue").sum().round(2)
    )
    n = totals.height
    method = rng.choice(len(PAYMENT_METHODS), n, p=PAYMENT_WEIGHTS) + 1
    change = np.where((method == 1) & (rng.random(n) < 0.3), rng.choice([500.0, 1000.0, 2000.0, 5000.0], n), 0.0)
    main = totals.with_columns(payment_method_id=pl.Series(method), amount=pl.col("amount") + pl.Series(change))
    change_rows = totals.with_columns(payment_method_id=pl.lit(1, pl.Int64), amount=-pl.Series(change)).filter(
        pl.col("amount") < 0
    )
    frame = pl.concat([main, change_rows.select(main.columns)]).sort("order_id", maintain_order=True)
    frame = frame.with_row_index("payment_id", offset=ids.payment)
    ids.payment += frame.height
    return schemas.conform(frame, schemas.FACT_PAYMENTS)


def _day_facts(spec: LakeSpec, offset: int, products: pl.DataFrame, ids: _Ids) -> dict[str, pl.DataFrame]:
    """fact_sales and fact_payments of day `offset`, drawn from the day's own random stream (a day's data does
    not depend on how many days were drawn before it; ids continue from the previous day's)."""
    rng = np.random.default_rng([spec.seed, offset])
    day = spec.start + timedelta(days=offset)
    lines = _lines(spec, rng, _orders(spec, rng, day, ids, int(rng.poisson(_expected_orders(spec, offset)))),
                   products, ids)
    return {"fact_sales": lines, "fact_payments": _payments(rng, lines, ids)}


def _utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _manifest(root: Path, dataset: str, day: date, version: str, frames: Mapping[str, pl.DataFrame]) -> DayManifest:
    files = {table_key(STAR, fact): version_file(root, STAR, fact, day, version).relative_to(root).as_posix()
             for fact in frames}
    return DayManifest(dataset, day.isoformat(), version, _utc_now(), files,
                       rows={fact: frame.height for fact, frame in frames.items()})


def publish_day(root: Path, day: date, frames: Mapping[str, pl.DataFrame], *, dataset: str = DATASET,
                version: str | None = None) -> DayManifest:
    """Publish `frames` (fact → rows) as `dataset`'s `day` as a run does: each file written atomically into a new
    version directory, then the day's manifest committed."""
    manifest = _manifest(root, dataset, day, version or new_version(), frames)
    for fact, frame in frames.items():
        write_parquet_atomic(frame, root / manifest.files[table_key(STAR, fact)])
    return commit_day(root, manifest)


def _write_day(root: Path, day: date, frames: Mapping[str, pl.DataFrame]) -> None:
    """Publish one generated day. Bulk speed: files and manifest written directly (no fsync, nothing to replace in
    a new lake)."""
    manifest = _manifest(root, DATASET, day, new_version(), frames)
    for fact, frame in frames.items():
        target = root / manifest.files[table_key(STAR, fact)]
        target.parent.mkdir(parents=True, exist_ok=True)
        frame.write_parquet(target, compression="zstd", statistics=True, row_group_size=128_000)
    target = manifest_path(root, DATASET, day)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(asdict(manifest), indent=1, sort_keys=True))


def write_lake(root: Path, spec: LakeSpec, *, record_status: bool = True) -> dict[str, int]:
    """Write the lake of `spec` under `root` (facts, dimensions, and the ETL status of its last day).

    Streams: one business day is drawn, written and dropped at a time (an empty day still writes typed empty
    files, as the ETL does), so memory stays that of one day whatever the lake's size."""
    rng = np.random.default_rng(spec.seed)
    write_date = datetime(spec.start.year, spec.start.month, spec.start.day, tzinfo=timezone.utc)
    categories = _categories(write_date)
    products = _products(spec, rng, categories, write_date)
    dims = {
        "dim_categories": categories,
        "dim_products": products,
        "dim_brands": _named_dim("dim_brands", "brand_id", [f"Brand {i}" for i in range(1, spec.brands + 1)],
                                 write_date),
        "dim_stores": _named_dim("dim_stores", "store_id", list(STORE_NAMES), write_date, company_id=pl.lit(1)),
        "dim_payment_methods": _named_dim(
            "dim_payment_methods", "payment_method_id", list(PAYMENT_METHODS), write_date,
            is_cash_count=pl.Series([True] + [False] * (len(PAYMENT_METHODS) - 1)), company_id=pl.lit(1),
        ),
    }
    for name, frame in dims.items():
        target = dimension_path(root, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        frame.write_parquet(target)
    ids = _Ids()
    for offset in range(spec.days):
        _write_day(root, spec.start + timedelta(days=offset), _day_facts(spec, offset, products, ids))
    lines, payments = ids.line - 1, ids.payment - 1
    if record_status:
        record_run(root, RunRecord(dataset=DATASET, day=spec.end.isoformat(), ok=True,
                                   rows_in=lines, rows_out=lines, quarantined=0, seconds=0.0, files=[]))
    logger.info("lake written", extra={"root": str(root), "lines": lines, "payments": payments})
    return {"lines": lines, "payments": payments}


def cached_lake(spec: LakeSpec = BENCHMARK_LAKE, base: Path | None = None) -> Path:
    """The lake of `spec` under `benchmarks/.lake-<key>`, generated once (into a temp dir, then renamed)."""
    base = base or Path(__file__).resolve().parent
    target = base / f".lake-{spec.key()}"
    if target.exists():
        return target
    staging = base / f".lake-{spec.key()}.tmp-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    write_lake(staging, spec)
    os.replace(staging, target)
    return target


# A few thousand lines over 60 days: fast enough to build per test session.
SMALL_LAKE = LakeSpec(start=date(2024, 1, 1), days=60, orders_per_day=30, products=200, brands=10, customers=100)

"""A richer test lake for the inventory and customer pages: the small generated POS lake plus partners, locations,
storable products, invoice sales, inventory moves and two stock snapshots, each day published by its manifest as the
ETL does (benchmarks.lake_generator.publish_day); a reader of every published row of a fact; fixtures for the lake
(`stock_lake_root`, session) and a Lake over it (`stock_lake`).

Moves start with a receipt of every storable product and then draw lines of every movement type of DESIGN §5 (an
internal transfer, a transfer into transit, lots on a few products). The snapshots are the stock the moves imply with
a few deliberate differences (what the stock variance finds): the last day read from quants, an earlier one
reconstructed.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from benchmarks.lake_generator import SMALL_LAKE, publish_day
from etl import schemas
from etl.day_manifest import day_manifests
from etl.io_parquet import STAR, dimension_path
from etl.stock_positions import on_hand_from_moves
from services.duckdb_connector import Lake
from services.filters import Selection

START, END = SMALL_LAKE.start, SMALL_LAKE.end
SNAPSHOTS = {date(2024, 2, 15): "reconstructed", END: "quant"}
NEVER_SOLD = range(201, 205)  # storable products added to the catalogue that never sell (dead stock)
STORABLE = [*range(1, 161), *NEVER_SOLD]  # 161..200 are consumables: moves, no quants (199 still has a snapshot row)
LOT_PRODUCTS = (1, 2, 3)
VENDOR, CUSTOMER, INVENTORY, PRODUCTION, TRANSIT = 4, 5, 14, 15, 16
STOCK, SHELF, SHOP = 8, 9, 21
LOCATIONS = [
    (STOCK, "Stock", "WH/Stock", "internal"), (SHELF, "Shelf A", "WH/Stock/Shelf A", "internal"),
    (SHOP, "Stock", "TP/Stock", "internal"), (VENDOR, "Vendors", "Partners/Vendors", "supplier"),
    (CUSTOMER, "Customers", "Partners/Customers", "customer"),
    (INVENTORY, "Inventory adjustment", "Virtual Locations/Inventory adjustment", "inventory"),
    (PRODUCTION, "Production", "Virtual Locations/Production", "production"),
    (TRANSIT, "Transit", "Virtual Locations/Transit", "transit"),
]
# (movement_type, source, destination, sign of signed_quantity); None: one of the internal locations
KINDS = [
    ("incoming", VENDOR, None, 1), ("vendor_return", None, VENDOR, -1), ("outgoing", None, CUSTOMER, -1),
    ("outgoing", None, CUSTOMER, -1), ("customer_return", CUSTOMER, None, 1), ("production_in", PRODUCTION, None, 1),
    ("production_out", None, PRODUCTION, -1), ("adjustment", INVENTORY, None, 1), ("adjustment", None, INVENTORY, -1),
    ("transfer", None, None, 0), ("transfer", None, TRANSIT, -1), ("other", CUSTOMER, VENDOR, 0),
]
PARTNERS = 99  # customer 100 buys but has no dim_partners row
INTERNAL = (STOCK, SHELF, SHOP)
OPENING = {STOCK: 100.0, SHELF: 30.0, SHOP: 30.0}
BEST_SELLERS, SCARCE = range(1, 7), {STOCK: 10.0}  # the most popular products start short: low stock


def _dimension(name: str, frame: pl.DataFrame, root: Path) -> None:
    frame = frame.with_columns(active=pl.lit(True), write_date=pl.lit(None, schemas.UTC_TS), deleted=pl.lit(False))
    schemas.conform(frame, schemas.DIMENSIONS[name]).write_parquet(dimension_path(root, name))


def _dimensions(root: Path) -> None:
    products = pl.read_parquet(dimension_path(root, "dim_products"))
    added = products.head(len(NEVER_SOLD)).with_columns(
        product_id=pl.Series(list(NEVER_SOLD)), name=pl.Series([f"Never sold {i}" for i in NEVER_SOLD]))
    products = pl.concat([products, added]).with_columns(
        product_type=pl.when(pl.col("product_id").is_in(STORABLE)).then(pl.lit("product")).otherwise(pl.lit("consu")))
    products.write_parquet(dimension_path(root, "dim_products"))
    ids = np.arange(1, PARTNERS + 1)
    _dimension("dim_partners", pl.DataFrame({
        "partner_id": ids, "name": [f"Pelanggan {i:03d}" for i in ids],
        "ref": [f"C{i:03d}" if i % 2 == 0 else None for i in ids], "is_company": [False] * PARTNERS,
        "customer_rank": [1] * PARTNERS, "supplier_rank": [0] * PARTNERS, "city": ["Jakarta"] * PARTNERS,
    }), root)
    _dimension("dim_locations", pl.DataFrame(LOCATIONS, schema=["location_id", "name", "complete_name", "usage"],
                                             orient="row").with_columns(company_id=pl.lit(1)), root)


def _moves(rng: np.random.Generator, day: date, first_id: int) -> pl.DataFrame:
    rows = []
    if day == START:  # an opening receipt of every storable product into each internal location
        rows += [{"movement_type": "incoming", "src": VENDOR, "dst": location, "sign": 1, "product_id": product,
                  "quantity": quantity} for product in STORABLE
                 for location, quantity in (SCARCE if product in BEST_SELLERS else OPENING).items()]
    for _ in range(int(rng.integers(15, 30))):
        kind, src, dst, sign = KINDS[int(rng.integers(0, len(KINDS)))]
        src = int(rng.choice(INTERNAL)) if src is None else src
        dst = int(rng.choice([loc for loc in INTERNAL if loc != src])) if dst is None else dst
        rows.append({"movement_type": kind, "src": src, "dst": dst, "sign": sign,
                     "product_id": int(rng.integers(1, 181)), "quantity": float(rng.integers(1, 12))})
    frame = pl.DataFrame(rows).with_row_index("move_line_id", offset=first_id)
    lot = pl.when(pl.col("product_id").is_in(LOT_PRODUCTS)).then(pl.col("move_line_id") % 2 + 1)
    frame = frame.with_columns(
        date=pl.lit(day), move_id=pl.col("move_line_id"), picking_id=pl.lit(None, pl.Int64),
        picking_type_code=pl.lit(None, pl.String), reference=pl.format("MOVE/{}", pl.col("move_line_id")),
        lot_id=lot, location_id=pl.col("src"), location_dest_id=pl.col("dst"),
        signed_quantity=pl.col("quantity") * pl.col("sign"),
        inventory_adjustment_flag=pl.col("movement_type") == "adjustment",
        manufacturing_order_id=pl.lit(None, pl.Int64), company_id=pl.lit(1),
    )
    return schemas.conform(frame, schemas.FACT_INVENTORY_MOVES)


def _snapshot(moves: pl.DataFrame, day: date, source: str, products: pl.DataFrame) -> pl.DataFrame:
    """The stock the moves up to `day` imply, with deliberate differences: product 7 counted 5 short in WH/Stock,
    product 8 missing from the quants, product 199 (a consumable) in stock, product 10 without a cost."""
    stock = on_hand_from_moves(moves.filter(pl.col("date") <= day))
    short = (pl.col("product_id") == 7) & (pl.col("location_id") == STOCK) & pl.col("lot_id").is_null()
    stock = stock.with_columns(quantity=pl.when(short).then(pl.col("quantity") - 5)
                               .otherwise(pl.col("quantity")))
    stock = stock.filter(pl.col("product_id").is_in(STORABLE) & (pl.col("product_id") != 8) & (pl.col("quantity") != 0))
    extra = pl.DataFrame({"product_id": [199], "location_id": [SHOP], "lot_id": [None], "quantity": [4.0]},
                         schema=stock.schema)
    stock = pl.concat([stock, extra]).join(products.select("product_id", "standard_price"), on="product_id")
    cost = pl.when(pl.col("product_id") == 10).then(None).otherwise(pl.col("standard_price"))
    frame = stock.with_columns(
        snapshot_date=pl.lit(day), company_id=pl.lit(1), reserved_quantity=pl.lit(0.0), unit_cost=cost,
        stock_value=cost * pl.col("quantity"), source=pl.lit(source))
    return schemas.conform(frame, schemas.FACT_STOCK_ON_HAND_SNAPSHOT)


def _invoices(rng: np.random.Generator, day: date, first_id: int) -> pl.DataFrame:
    """Three invoices of two lines: one to no partner, one to a customer; on even days the third is a credit note."""
    refund = day.day % 2 == 0
    customers = [None, *(int(c) for c in rng.integers(1, PARTNERS + 2, 2))]
    move = [0, 0, 1, 1, 2, 2]
    sign = [1.0] * 4 + [-1.0 if refund else 1.0] * 2
    quantity = [float(q) * s for q, s in zip(rng.integers(1, 6, 6), sign)]
    frame = pl.DataFrame({
        "line_id": np.arange(first_id, first_id + 6), "move_id": [first_id * 10 + m for m in move],
        "customer_id": [customers[m] for m in move], "quantity": quantity,
        "price_unit": [float(p) for p in rng.integers(10, 90, 6) * 1000],
        "product_id": [int(p) for p in rng.integers(1, 201, 6)],
        "move_type": ["out_refund" if refund and m == 2 else "out_invoice" for m in move],
    }, schema_overrides={"customer_id": pl.Int64})
    frame = frame.with_columns(
        date=pl.lit(day), move_name=pl.format("INV/{}", pl.col("move_id")),
        salesperson_id=pl.lit(1), company_id=pl.lit(1), discount_pct=pl.lit(0.0),
        revenue=pl.col("quantity") * pl.col("price_unit"),
        revenue_excl_tax=(pl.col("quantity") * pl.col("price_unit") / 1.11).round(2),
    ).with_columns(tax_amount=pl.col("revenue") - pl.col("revenue_excl_tax"))
    return schemas.conform(frame, schemas.FACT_INVOICE_SALES)


def write_stock_lake(root: Path, source: Path) -> Path:
    """Copy the lake at `source` to `root` and add the inventory and customer data; `root`."""
    shutil.copytree(source, root)
    rng = np.random.default_rng(11)
    _dimensions(root)
    products = pl.read_parquet(dimension_path(root, "dim_products"))
    days = [START + timedelta(days=offset) for offset in range((END - START).days + 1)]
    all_moves = []
    for index, day in enumerate(days):
        moves = _moves(rng, day, first_id=index * 1000 + 1)
        all_moves.append(moves)
        publish_day(root, day, {"fact_inventory_moves": moves}, dataset="inventory_moves")
        invoices = _invoices(rng, day, first_id=index * 10 + 1)  # every day is loaded; invoices on every third
        publish_day(root, day, {"fact_invoice_sales": invoices if index % 3 == 1 else invoices.clear()},
                    dataset="invoice_sales")
    moves = pl.concat(all_moves)
    for day, source_kind in SNAPSHOTS.items():
        publish_day(root, day, {"fact_stock_on_hand_snapshot": _snapshot(moves, day, source_kind, products)},
                    dataset="stock_quants")
    return root


def with_all_root(source: Path, root: Path) -> Path:
    """Copy the lake at `source` to `root` with Odoo's category tree: every category under a root `All` (id 1), the
    paths and the products' category_name starting with `All / `; `root`."""
    shutil.copytree(source, root)
    path = dimension_path(root, "dim_categories")
    categories = pl.read_parquet(path)
    all_root = categories.head(1).with_columns(category_id=pl.lit(1, pl.Int64), name=pl.lit("All"),
                                               complete_name=pl.lit("All"), parent_id=pl.lit(None, pl.Int64))
    under_all = categories.with_columns(complete_name=pl.format("All / {}", pl.col("complete_name")),
                                        parent_id=pl.col("parent_id").fill_null(1))
    pl.concat([all_root, under_all]).write_parquet(path)
    path = dimension_path(root, "dim_products")
    products = pl.read_parquet(path)
    products.with_columns(category_name=pl.format("All / {}", pl.col("category_name"))).write_parquet(path)
    return root


def published_rows(root: Path, dataset: str, fact: str) -> pl.DataFrame:
    """Every row of `fact` the manifests of `dataset` publish."""
    manifests = day_manifests(root, dataset).values()
    return pl.concat([pl.read_parquet(manifest.path(root, f"{STAR}/{fact}")) for manifest in manifests])


def selected_products(products: pl.DataFrame, selection: Selection) -> set[int]:
    """The products of the selection's categories (a root category includes its children) and brands."""
    chosen = products
    if selection.category_ids:
        chosen = chosen.filter(pl.col("category_id").is_in(selection.category_ids)
                               | (pl.col("category_id") // 100 * 100).is_in(selection.category_ids))
    if selection.brand_ids:
        chosen = chosen.filter(pl.col("brand_id").is_in(selection.brand_ids))
    return set(chosen["product_id"].to_list())


@pytest.fixture(scope="session")
def stock_lake_root(small_lake_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_stock_lake(tmp_path_factory.mktemp("stock-lake") / "lake", small_lake_root)


@pytest.fixture(scope="module")
def stock_lake(stock_lake_root: Path) -> Iterator[Lake]:
    """A Lake over the stock lake, without a query cache."""
    lake = Lake(stock_lake_root, cache_ttl_seconds=0)
    yield lake
    lake.close()

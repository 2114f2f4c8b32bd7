"""The dataset catalogue: what each dataset *is* (DESIGN §3) — names, tables, schedule, operator words.

Importable without any ETL function or the Odoo client, so the dashboard and health checks read it freely.
`etl/datasets.py` pairs each entry with what the dataset *does* (its extract, clean and load functions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time

import polars as pl

from etl import schemas
from etl.day_manifest import table_key
from etl.io_parquet import CLEAN, QUARANTINE, RAW, STAR


ODOO_SOURCE = "odoo"
LAKE_SOURCE = "lake"  # derived datasets (profit): their extract reads published facts, never Odoo


@dataclass(frozen=True)
class StepTasks:
    """The DESIGN §3 names of a dataset's four step tasks (historical names, so not derived from the dataset)."""

    extract: str
    save_raw: str
    clean: str
    update: str


@dataclass(frozen=True)
class DatasetInfo:
    """One dataset: the tables one of its business days writes, its Celery names and its place in the schedule.

    `known_dimensions` maps a clean column to the dimension whose ids it should reference: an id missing there is
    kept (the dashboard shows it as the dimension's unknown member) and counted.
    """

    name: str
    title: str
    fact_tables: dict[str, pl.Schema]
    clean_tables: tuple[str, ...]
    pipeline_task: str
    beat_time: time  # business timezone
    steps: StepTasks
    aliases: tuple[str, ...] = ()
    refreshes_dimensions_first: bool = False
    detects_late_changes: bool = True
    known_dimensions: dict[str, str] = field(default_factory=dict)
    source: str = ODOO_SOURCE  # where a day is read from: Odoo over RPC, or the lake's own published facts
    today_so_far: bool = False  # the current business day is refreshed during the day (ETL_TODAY_REFRESH_MINUTES)

    @property
    def reads_odoo(self) -> bool:
        return self.source == ODOO_SOURCE

    def table_keys(self) -> list[str]:
        """Every table a day of this dataset publishes, as manifest keys (`<layer>/<table>`)."""
        return [table_key(RAW, self.name), *(table_key(CLEAN, name) for name in self.clean_tables),
                table_key(QUARANTINE, self.name), *(table_key(STAR, fact) for fact in self.fact_tables)]


POS_ORDER_LINES = DatasetInfo(
    name="pos_order_lines",
    title="POS sales",
    fact_tables={"fact_sales": schemas.FACT_SALES, "fact_payments": schemas.FACT_PAYMENTS},
    clean_tables=("pos_order_lines", "pos_payments"),
    pipeline_task="daily_etl_pipeline",
    beat_time=time(2, 0),
    steps=StepTasks("extract_pos_order_lines", "save_raw_data", "clean_pos_data", "update_star_schema"),
    aliases=("pos",),
    refreshes_dimensions_first=True,
    known_dimensions={"product_id": "dim_products", "payment_method_id": "dim_payment_methods"},
    today_so_far=True,
)

INVOICE_SALES = DatasetInfo(
    name="invoice_sales",
    title="Invoice sales",
    fact_tables={"fact_invoice_sales": schemas.FACT_INVOICE_SALES},
    clean_tables=("invoice_sales",),
    pipeline_task="daily_invoice_sales_pipeline",
    beat_time=time(2, 5),
    steps=StepTasks("extract_sales_invoice_lines", "save_raw_sales_invoice_lines", "clean_sales_invoice_lines",
                    "update_invoice_sales_star_schema"),
    aliases=("invoice-sales", "invoices"),
    refreshes_dimensions_first=True,
    known_dimensions={"product_id": "dim_products"},
    today_so_far=True,
)

INVENTORY_MOVES = DatasetInfo(
    name="inventory_moves",
    title="Inventory moves",
    fact_tables={"fact_inventory_moves": schemas.FACT_INVENTORY_MOVES},
    clean_tables=("inventory_moves",),
    pipeline_task="daily_inventory_moves_pipeline",
    beat_time=time(2, 15),
    steps=StepTasks("extract_inventory_moves", "save_raw_inventory_moves", "clean_inventory_moves",
                    "update_inventory_moves_star_schema"),
    aliases=("inventory-moves", "moves"),
    refreshes_dimensions_first=True,
    known_dimensions={"product_id": "dim_products"},
)

PURCHASES = DatasetInfo(
    name="purchases",
    title="Purchases",
    fact_tables={"fact_purchases": schemas.FACT_PURCHASES},
    clean_tables=("purchases",),
    pipeline_task="daily_invoice_purchases_pipeline",
    beat_time=time(2, 10),
    steps=StepTasks("extract_purchase_invoice_lines", "save_raw_purchase_invoice_lines", "clean_purchase_invoice_lines",
                    "update_purchase_star_schema"),
    aliases=("purchases", "purchase"),
    refreshes_dimensions_first=True,
    known_dimensions={"product_id": "dim_products"},
)

STOCK_QUANTS = DatasetInfo(
    name="stock_quants",
    title="Stock on hand",
    fact_tables={"fact_stock_on_hand_snapshot": schemas.FACT_STOCK_ON_HAND_SNAPSHOT},
    clean_tables=("stock_quants",),
    pipeline_task="daily_stock_quants_pipeline",
    beat_time=time(0, 10),  # describes the business day that has just ended
    steps=StepTasks("extract_stock_quants", "save_raw_stock_quants", "clean_stock_quants",
                    "update_stock_quants_star_schema"),
    aliases=("stock-quants", "quants"),
    refreshes_dimensions_first=True,
    detects_late_changes=False,  # rebuilt from today's quants: no per-day source to fingerprint
    known_dimensions={"product_id": "dim_products"},
)

PROFIT = DatasetInfo(
    name="profit",
    title="Profit",
    fact_tables={"fact_product_cost_events": schemas.FACT_PRODUCT_COST_EVENTS,
                 "fact_sales_lines_profit": schemas.FACT_SALES_LINES_PROFIT,
                 "agg_profit_daily": schemas.AGG_PROFIT_DAILY,
                 "agg_profit_daily_by_product": schemas.AGG_PROFIT_DAILY_BY_PRODUCT},
    clean_tables=("profit_sales_lines", "profit_cost_events"),
    pipeline_task="daily_profit_pipeline",
    beat_time=time(2, 20),
    # DESIGN §3 names no profit step tasks: these follow the other datasets' pattern.
    steps=StepTasks("extract_profit", "save_raw_profit", "clean_profit", "update_profit_star_schema"),
    aliases=("profit",),
    # no Odoo source to fingerprint: its spec's stale_days (inputs republished since) finds the days to rebuild
    source=LAKE_SOURCE,  # built from the published POS, invoice and purchase facts (and dim_products)
)

CATALOG: dict[str, DatasetInfo] = {
    info.name: info
    for info in (POS_ORDER_LINES, INVOICE_SALES, INVENTORY_MOVES, PURCHASES, STOCK_QUANTS,
                 PROFIT)  # last: a range runs it after its inputs
}

# `--targets` words used by the operator scripts (the runbook's names) → dataset names.
TARGET_ALIASES: dict[str, str] = {alias: info.name for info in CATALOG.values() for alias in info.aliases}

DIMENSIONS_TASK = "refresh_dimensions_incremental"
DIMENSIONS_EVERY_HOURS = 4


def fact_schemas() -> dict[str, pl.Schema]:
    """Every fact table of the catalogue, by name."""
    return {name: schema for info in CATALOG.values() for name, schema in info.fact_tables.items()}


def fact_dataset(fact: str) -> str:
    """The dataset that writes `fact`."""
    return next(info.name for info in CATALOG.values() if fact in info.fact_tables)


def resolve_datasets(names: list[str] | tuple[str, ...] | None) -> list[str]:
    """Dataset names from names or operator aliases (`pos`); every dataset when none are given.

    Raises ValueError naming the unknown ones.
    """
    if not names:
        return list(CATALOG)
    resolved = [TARGET_ALIASES.get(name, name.replace("-", "_")) for name in names]
    unknown = [name for name, found in zip(names, resolved) if found not in CATALOG]
    if unknown:
        raise ValueError(f"unknown dataset(s) {', '.join(unknown)}; known: {', '.join(sorted(CATALOG))} "
                         f"or {', '.join(sorted(TARGET_ALIASES))}")
    return list(dict.fromkeys(resolved))


def table_dataset(layer: str, table: str) -> str:
    """The dataset whose days publish `table` in `layer` (raw and quarantine tables are named after the dataset)."""
    for info in CATALOG.values():
        if table_key(layer, table) in info.table_keys():
            return info.name
    raise KeyError(f"no dataset publishes {table_key(layer, table)}")

"""The dataset registry: what each catalogued dataset *does* — its extract, source domains, clean and load functions.

`etl/catalog.py` says what a dataset is; this module adds its functions, so importing it loads the ETL (and the Odoo
client). Tasks, step chains, change detection and the operator tools take everything from here: adding a dataset is
a catalogue entry, one spec here and its extract/transform/load modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Callable
from zoneinfo import ZoneInfo

import polars as pl

from etl.catalog import (
    CATALOG, INVENTORY_MOVES, INVOICE_SALES, POS_ORDER_LINES, PROFIT, PURCHASES, STOCK_QUANTS, DatasetInfo,
)
from etl.extract import inventory_moves as moves_extract
from etl.extract import invoice_sales as invoice_extract
from etl.extract import pos_order_lines as pos_extract
from etl.extract import purchases as purchases_extract
from etl.extract.profit import days_with_newer_inputs, extract_profit_span
from etl.extract.records import Extraction
from etl.extract.spans import SpanCounter, span_counter
from etl.extract.stock_quants import count_lines_within, extract_stock_quants_span
from etl.load.inventory_moves import inventory_moves_facts
from etl.load.invoice_sales import invoice_sales_facts
from etl.load.pos_order_lines import pos_facts
from etl.load.profit import profit_facts
from etl.load.purchases import purchases_facts
from etl.load.stock_quants import stock_quants_facts
from etl.reconcile import Reconciler
from etl.reconcile.inventory_moves import reconcile_inventory_day
from etl.reconcile.invoice_sales import reconcile_invoice_sales_day
from etl.reconcile.pos_order_lines import reconcile_pos_day
from etl.reconcile.profit import reconcile_profit_day
from etl.reconcile.purchases import reconcile_purchases_day
from etl.reconcile.stock_quants import reconcile_stock_quants_day
from etl.transform.inventory_moves import clean_inventory_moves
from etl.transform.invoice_sales import clean_invoice_sales
from etl.transform.pos_order_lines import clean_pos_lines
from etl.transform.profit import clean_profit
from etl.transform.purchases import clean_purchases
from etl.transform.quarantine import CleanContext, CleanResult
from etl.transform.stock_quants import clean_stock_quants
from odoorpc_connector import Domain

# (source, consecutive business days, business timezone) -> each day's records; the source is an OdooClient, or the
# lake root for datasets the catalogue marks as derived from the lake.
Extractor = Callable[[Any, list[date], ZoneInfo], dict[date, Extraction]]
# The Odoo records a business day is built from, per model: what per-day change detection fingerprints. The client
# (optional) lets a dataset pick the cheapest domain form the server understands, e.g. `any` on Odoo 17+.
SourceDomains = Callable[[date, ZoneInfo, Any], dict[str, Domain]]
Cleaner = Callable[[pl.LazyFrame, CleanContext], CleanResult]
Loader = Callable[[dict[str, pl.DataFrame]], dict[str, pl.DataFrame]]  # clean tables -> fact frames
# For lake-derived datasets: which of the given published days were built from inputs since republished.
StaleDays = Callable[[str, list[date]], list[date]]


@dataclass(frozen=True)
class DatasetSpec:
    """A catalogued dataset with its functions."""

    info: DatasetInfo
    extract: Extractor
    source_domains: SourceDomains | None  # None: the dataset has no per-day source to fingerprint
    clean: Cleaner
    load: Loader
    reconcile: Reconciler  # the dataset's figures of a day, Odoo beside lake (scripts/validate_<dataset>.py)
    stale_days: StaleDays | None = None  # late-change detection of a lake-derived dataset (no Odoo fingerprint)
    span_records: SpanCounter | None = None  # records a span of days reads (sizes spans); None: lake-derived

    @property
    def name(self) -> str:
        return self.info.name


DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        DatasetSpec(POS_ORDER_LINES, pos_extract.extract_pos_span, pos_extract.pos_day_domains, clean_pos_lines,
                    pos_facts, reconcile_pos_day,
                    span_records=span_counter(pos_extract.pos_span_domains, "pos.order.line")),
        DatasetSpec(INVOICE_SALES, invoice_extract.extract_invoice_sales_span,
                    invoice_extract.invoice_sales_day_domains, clean_invoice_sales, invoice_sales_facts,
                    reconcile_invoice_sales_day,
                    span_records=span_counter(invoice_extract.invoice_sales_span_domains, invoice_extract.LINE_MODEL)),
        DatasetSpec(INVENTORY_MOVES, moves_extract.extract_inventory_span, moves_extract.inventory_day_domains,
                    clean_inventory_moves, inventory_moves_facts, reconcile_inventory_day,
                    span_records=span_counter(moves_extract.inventory_span_domains, moves_extract.LINE_MODEL)),
        DatasetSpec(PURCHASES, purchases_extract.extract_purchases_span, purchases_extract.purchase_day_domains,
                    clean_purchases, purchases_facts, reconcile_purchases_day,
                    span_records=span_counter(purchases_extract.purchase_span_domains, purchases_extract.LINE_MODEL)),
        DatasetSpec(STOCK_QUANTS, extract_stock_quants_span, None, clean_stock_quants, stock_quants_facts,
                    reconcile_stock_quants_day, span_records=count_lines_within),
        DatasetSpec(PROFIT, extract_profit_span, None, clean_profit, profit_facts, reconcile_profit_day,
                    stale_days=days_with_newer_inputs),
    )
}
assert set(DATASETS) == set(CATALOG), "every catalogued dataset needs a spec"

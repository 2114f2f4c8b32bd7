"""The dataset registry: what each catalogued dataset *does* — its extract, source domains, clean and load functions.

`etl/catalog.py` says what a dataset is; this module adds its functions, so importing it loads the ETL (and the Odoo
client). Tasks, step chains, change detection and the operator tools take everything from here: adding a dataset is
a catalogue entry, one spec here and its extract/transform/load modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable
from zoneinfo import ZoneInfo

import polars as pl

from etl.catalog import CATALOG, POS_ORDER_LINES, DatasetInfo
from etl.extract import pos_order_lines as pos_extract
from etl.extract.records import Extraction
from etl.load.pos_order_lines import pos_facts
from etl.reconcile import Reconciler
from etl.reconcile.pos_order_lines import reconcile_pos_day
from etl.transform.pos_order_lines import clean_pos_lines
from etl.transform.quarantine import CleanContext, CleanResult
from odoorpc_connector import Domain, OdooClient

Extractor = Callable[[OdooClient, date, ZoneInfo], Extraction]
# The Odoo records a business day is built from, per model: what per-day change detection fingerprints.
SourceDomains = Callable[[date, ZoneInfo], dict[str, Domain]]
Cleaner = Callable[[pl.LazyFrame, CleanContext], CleanResult]
Loader = Callable[[dict[str, pl.DataFrame]], dict[str, pl.DataFrame]]  # clean tables -> fact frames


@dataclass(frozen=True)
class DatasetSpec:
    """A catalogued dataset with its functions."""

    info: DatasetInfo
    extract: Extractor
    source_domains: SourceDomains | None  # None: the dataset has no per-day source to fingerprint
    clean: Cleaner
    load: Loader
    reconcile: Reconciler  # the dataset's figures of a day, Odoo beside lake (scripts/validate_<dataset>.py)

    @property
    def name(self) -> str:
        return self.info.name


DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        DatasetSpec(POS_ORDER_LINES, pos_extract.extract_pos_day, pos_extract.pos_day_domains, clean_pos_lines,
                    pos_facts, reconcile_pos_day),
    )
}
assert set(DATASETS) == set(CATALOG), "every catalogued dataset needs a spec"

"""The dataset registry: one declaration per dataset (DESIGN §3).

Tasks, beat entries, queue routes, lake paths, DuckDB views and freshness reporting are derived from these specs,
so adding a dataset is one spec here plus its extract/transform/load functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Callable
from zoneinfo import ZoneInfo

import polars as pl

from etl import schemas
from etl.extract.pos_order_lines import extract_pos_day
from etl.extract.records import Extraction
from etl.load.pos_order_lines import pos_facts
from etl.transform.pos_order_lines import clean_pos_lines
from etl.transform.quarantine import CleanResult
from odoorpc_connector import OdooClient

Extractor = Callable[[OdooClient, date, ZoneInfo], Extraction]
Cleaner = Callable[[pl.LazyFrame, str], CleanResult]  # (raw partition, IANA timezone) -> clean tables
Loader = Callable[[dict[str, pl.DataFrame]], dict[str, pl.DataFrame]]  # clean tables -> fact frames


@dataclass(frozen=True)
class DatasetSpec:
    """What a dataset is: its extract/clean/load functions, the facts it produces, and how it is scheduled."""

    name: str
    title: str
    fact_tables: dict[str, pl.Schema]
    pipeline_task: str
    beat_time: time  # business timezone
    extract: Extractor
    clean: Cleaner
    load: Loader
    refreshes_dimensions_first: bool = False


POS_ORDER_LINES = DatasetSpec(
    name="pos_order_lines",
    title="POS sales",
    fact_tables={"fact_sales": schemas.FACT_SALES, "fact_payments": schemas.FACT_PAYMENTS},
    pipeline_task="daily_etl_pipeline",
    beat_time=time(2, 0),
    extract=extract_pos_day,
    clean=clean_pos_lines,
    load=pos_facts,
    refreshes_dimensions_first=True,
)

DATASETS: dict[str, DatasetSpec] = {spec.name: spec for spec in (POS_ORDER_LINES,)}

# `--targets` words used by the operator scripts (the runbook's names) → dataset names.
TARGET_ALIASES: dict[str, str] = {"pos": POS_ORDER_LINES.name}

DIMENSIONS_TASK = "refresh_dimensions_incremental"
DIMENSIONS_EVERY_HOURS = 4

"""Per-dataset data freshness (DESIGN §6) from the ETL status file and the partitions actually in the lake."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from etl.datasets import DATASETS
from etl.io_parquet import STAR, partition_days
from etl.status import Freshness, dataset_freshness, read_status


def business_today(timezone: ZoneInfo) -> date:
    return datetime.now(timezone).date()


def loaded_days(root: Path, fact_tables: list[str]) -> list[date]:
    """Business days for which every fact table of a dataset has a partition file."""
    per_table = [set(partition_days(root, STAR, table)) for table in fact_tables]
    return sorted(set.intersection(*per_table)) if per_table else []


def lake_freshness(root: Path, today: date) -> list[tuple[str, Freshness]]:
    """(title, freshness) for every registered dataset, in registry order."""
    status = read_status(root).get("datasets", {})
    return [
        (spec.title, dataset_freshness(name, status.get(name, {}), today, loaded_days(root, list(spec.fact_tables))))
        for name, spec in DATASETS.items()
    ]

"""Per-dataset data freshness for the pages: (title, freshness) from the shared health module."""

from __future__ import annotations

from etl.datasets import DATASETS
from etl.pipelines.health import freshness
from etl.settings import Settings
from etl.status import Freshness


def lake_freshness(settings: Settings) -> list[tuple[str, Freshness]]:
    """(title, freshness) for every registered dataset, in registry order."""
    return [(DATASETS[entry.dataset].title, entry) for entry in freshness(settings)]

"""Shared shape of an extraction: records per Odoo model, as fetched, plus what it cost."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from odoorpc_connector import Domain, OdooClient

Record = dict[str, Any]


@dataclass
class Extraction:
    """Everything read from Odoo for one dataset and business day (records as `search_read` returned them)."""

    dataset: str
    day: str
    records: dict[str, list[Record]] = field(default_factory=dict)
    field_types: dict[str, dict[str, str]] = field(default_factory=dict)  # model -> field -> Odoo type
    rpc_calls: int = 0

    @property
    def rows(self) -> int:
        return sum(len(rows) for rows in self.records.values())


def read_model(
    client: OdooClient, extraction: Extraction, model: str, domain: Domain, wanted: Sequence[str],
    context: dict[str, Any] | None = None,
) -> list[Record]:
    """Read `model` into `extraction`: only the `wanted` fields the server has, with their fields_get types."""
    types = extraction.field_types[model] = client.field_types(model, wanted)
    rows = client.search_read_all(model, domain, list(types), context=context)
    extraction.records[model] = rows
    return rows

"""Shared shape of an extraction: records per Odoo model, as fetched, plus what it cost."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import polars as pl

from odoorpc_connector import Domain, OdooClient

Record = dict[str, Any]


@dataclass
class Extraction:
    """Everything read for one dataset and business day: records as `search_read` returned them, per Odoo model, or,
    for a dataset derived from the lake, a typed frame per table read (see etl.raw_records.raw_frame)."""

    dataset: str
    day: str
    records: dict[str, list[Record] | pl.DataFrame] = field(default_factory=dict)
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


def read_models(
    client: OdooClient, dataset: str, day: str, domains: dict[str, Domain], model_fields: dict[str, Sequence[str]],
    then: Callable[[OdooClient, Extraction], None] | None = None,
) -> Extraction:
    """One dataset-day: each model of `domains` read with its `model_fields` (paged), then `then` (which reads, by
    id, records the day's records refer to), and the calls it all took."""
    calls_before = client.stats.calls
    extraction = Extraction(dataset, day)
    for model, domain in domains.items():
        read_model(client, extraction, model, domain, model_fields[model])
    if then is not None:
        then(client, extraction)
    extraction.rpc_calls = client.stats.calls - calls_before
    return extraction


ALL_RECORDS = {"active_test": False}  # archived records included (a past move may use an archived product)


def _ids(value: Any) -> list[int]:
    """The ids of one relational value: a many2one `[id, "name"]` or bare id, an x2many `[ids]`; unset → none."""
    if not value:
        return []
    if isinstance(value, (list, tuple)):
        return list(value[:1]) if len(value) == 2 and isinstance(value[1], str) else list(value)
    return [value]


def referenced_ids(rows: list[Record], *fields: str) -> list[int]:
    """The distinct ids the many2one or x2many `fields` of `rows` point at, sorted."""
    return sorted({ident for row in rows for name in fields for ident in _ids(row.get(name))})


def read_by_ids(client: OdooClient, extraction: Extraction, model: str, ids: Sequence[int],
                wanted: Sequence[str]) -> list[Record]:
    """Read the records `ids` of `model` (archived ones too) into `extraction`, in pages: one call per page, never
    one per record; no call when there is nothing to read."""
    if not ids:
        extraction.field_types[model] = client.field_types(model, wanted)
        extraction.records[model] = []
        return []
    return read_model(client, extraction, model, [("id", "in", list(ids))], wanted, context=ALL_RECORDS)

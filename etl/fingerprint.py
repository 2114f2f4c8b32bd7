"""Source fingerprints: what a business day of a dataset was built from, to tell when Odoo has changed it since.

A fingerprint holds, per Odoo model of the day's domain, the number of records and their newest `write_date`.
Any create, write, state change or deletion that concerns the day moves one of them: a new or removed record moves
the count, a modified one moves the newest write_date (Odoo stamps it on every write). Comparing the fingerprint
recorded in a day's manifest with Odoo's current one is per-day change detection: it does not depend on when any
other run happened.
"""

from __future__ import annotations

from typing import Any, Iterable

from etl.day_manifest import Fingerprint
from odoorpc_connector import Domain, OdooClient


def fingerprint_of_records(records: dict[str, list[dict[str, Any]]]) -> Fingerprint:
    """The fingerprint of records as extracted (each model's records must include `write_date`).

    Ids are counted once, so a record the server returned twice does not make the day look changed forever.
    """
    return {
        model: [len({row["id"] for row in rows}), max((row["write_date"] for row in rows if row.get("write_date")),
                                                      default=None)]
        for model, rows in records.items()
    }


def current_fingerprint(client: OdooClient, domains: dict[str, Domain]) -> Fingerprint:
    """Odoo's fingerprint of the records matching `domains` now: two cheap calls per model (count, newest write)."""
    result: Fingerprint = {}
    for model, domain in domains.items():
        count = client.call(model, "search_count", [domain])
        newest = client.call(model, "search_read", [domain],
                             {"fields": ["write_date"], "order": "write_date desc, id desc", "limit": 1})
        result[model] = [int(count), newest[0]["write_date"] if newest else None]
    return result


def differs(recorded: Fingerprint, current: Fingerprint, models: Iterable[str]) -> bool:
    """Whether the day changed in Odoo: any model's count or newest write_date differs (or was never recorded)."""
    return any(recorded.get(model) != current.get(model) for model in models)

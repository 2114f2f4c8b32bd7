"""Load every demo day of one dataset over RPC and check each against Odoo: the opening of each dataset's pipeline
test."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from typing import Callable

from etl.pipelines.runs import RangeOutcome, run_days
from etl.reconcile import DayReconciliation
from etl.settings import Settings
from odoorpc_connector import OdooClient
from tests.support.demo_days import demo_days, fast_client

Reconcile = Callable[..., DayReconciliation]  # (client, lake, day, business timezone), as etl/reconcile/* define it


@dataclass(frozen=True)
class LoadedDays:
    client: OdooClient
    days: list[date]
    outcome: RangeOutcome
    checks: list[DayReconciliation]  # one per day, in `days` order


def load_reconciled_days(settings: Settings, lake: str | os.PathLike[str], dataset: str,
                         reconcile: Reconcile) -> LoadedDays:
    """Run `dataset` (a run_days name) over the demo's days into `lake`, asserting that no day failed and that every
    day reconciles with Odoo."""
    client = fast_client(settings)
    days = demo_days(settings)
    outcome = run_days([dataset], days, settings, client)
    assert outcome.failed == {}
    checks = [reconcile(client, lake, day, settings.business_timezone) for day in days]
    for day, check in zip(days, checks):
        assert check.ok, (day, check.differences())
    return LoadedDays(client, days, outcome, checks)

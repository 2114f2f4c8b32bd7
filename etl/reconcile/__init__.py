"""Reconciliation with Odoo (DESIGN §6): per dataset and business day, figures read from Odoo beside the same
figures computed from the published lake. `scripts/validate_<dataset>.py` prints them; tests assert them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from typing import Callable
from zoneinfo import ZoneInfo

from odoorpc_connector import OdooClient


@dataclass(frozen=True)
class Check:
    """One figure of a day: Odoo's value, the lake's, and the difference allowed (rounding)."""

    name: str
    odoo: float
    lake: float
    tolerance: float = 0.0

    @property
    def ok(self) -> bool:
        return abs(self.odoo - self.lake) <= self.tolerance


@dataclass(frozen=True)
class DayReconciliation:
    """Every check of one (dataset, day); a day that is not published never reconciles."""

    dataset: str
    day: date
    loaded: bool
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return self.loaded and all(check.ok for check in self.checks)

    def check(self, name: str) -> Check:
        return next(check for check in self.checks if check.name == name)

    def differences(self) -> list[Check]:
        return [check for check in self.checks if not check.ok]


Reconciler = Callable[[OdooClient, str | os.PathLike[str], date, ZoneInfo], DayReconciliation]

"""Shared body of the `scripts/validate_<dataset>.py` commands: reconcile each day with Odoo and print the figures.

Exit 0 when every day reconciles, 1 when some day does not (or Odoo failed), 2 when the command is wrong.
"""

from __future__ import annotations

import sys

from etl.datasets import DATASETS
from etl.day_manifest import read_manifest
from etl.reconcile import DayReconciliation
from odoorpc_connector import OdooError
from scripts.cli import OperatorParser, Tally, add_day_arguments, odoo_client, operator_settings, progress_bar, select


def figure(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.2f}"


def row(result: DayReconciliation) -> str:
    figures = "  ".join(f"{c.name} {figure(c.odoo)}/{figure(c.lake)}{'' if c.ok else ' ≠'}" for c in result.checks)
    verdict = "ok" if result.ok else ("NOT LOADED" if not result.loaded else "DIFFERS")
    return f"{result.day.isoformat()}  {figures}  {verdict}"


def validate_main(dataset: str, description: str, argv: list[str] | None = None, prog: str | None = None) -> int:
    """Reconcile `dataset` for the days of `argv`; figures are `name odoo/lake` (for a dataset derived from the lake,
    `name reference/lake`: its reconciliation recomputes the figures from the published facts, with no Odoo)."""
    parser = OperatorParser(prog=prog or f"python -m scripts.validate_{dataset}", description=description)
    add_day_arguments(parser)
    args = parser.parse_args(argv)
    settings = operator_settings()
    days = select(parser, args, settings).days
    spec = DATASETS[dataset]
    client = odoo_client("validate", settings) if spec.info.reads_odoo else None
    reconcile = spec.reconcile
    tally = Tally("checked")
    with progress_bar(len(days), "checking") as bar:
        for day in days:
            bar.update()
            try:
                result = reconcile(client, settings.data_lake_root, day, settings.business_timezone)
            except OdooError as exc:
                tally.fail(f"{dataset} {day}", str(exc))
                continue
            bar.write(row(result), file=sys.stdout)
            manifest = read_manifest(settings.data_lake_root, dataset, day)
            tally.add(sum(manifest.rows.values()) if manifest else 0, manifest.quarantined if manifest else 0)
            if not result.ok:
                differing = ", ".join(c.name for c in result.differences()) or "not loaded"
                against = "Odoo" if spec.info.reads_odoo else "its recomputation"
                tally.fail(f"{dataset} {day}", f"does not reconcile with {against} ({differing})")
    return tally.finish()

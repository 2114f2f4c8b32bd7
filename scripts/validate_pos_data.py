"""Check the lake's POS sales against Odoo, day by day (revenue ±1 per order, exact order and line counts).

    python -m scripts.validate_pos_data --date 2026-01-06
    python -m scripts.validate_pos_data --start 2026-01-06 --end 2026-01-07

Exit 0 when every day reconciles, 1 when some day does not (or Odoo failed), 2 when the command is wrong.
"""

from __future__ import annotations

import sys

from etl.catalog import POS_ORDER_LINES
from etl.day_manifest import read_manifest
from etl.validate import PosReconciliation, reconcile_pos_day
from odoorpc_connector import OdooError
from scripts.cli import OperatorParser, Tally, add_day_arguments, odoo_client, operator_settings, progress_bar, select

PROG = "validate"
DATASET = POS_ORDER_LINES.name
HEADER = f"{'day':<10} {'orders odoo/lake':>18} {'lines odoo/lake':>18} {'revenue odoo':>16} {'revenue lake':>16}  ok"


def row(r: PosReconciliation) -> str:
    return (f"{r.day.isoformat():<10} {r.odoo_orders:>8}/{r.lake_orders:<9} {r.odoo_lines:>8}/{r.lake_lines:<9} "
            f"{r.odoo_revenue:>16,.2f} {r.lake_revenue:>16,.2f}  {'yes' if r.ok else 'NO'}")


def main(argv: list[str] | None = None) -> int:
    parser = OperatorParser(prog="python -m scripts.validate_pos_data", description=__doc__.splitlines()[0])
    add_day_arguments(parser)
    args = parser.parse_args(argv)
    settings = operator_settings()
    days = select(parser, args, settings).days
    client = odoo_client(PROG, settings)
    tally = Tally("checked")
    print(HEADER)
    with progress_bar(len(days), "checking") as bar:
        for day in days:
            bar.update()
            try:
                result = reconcile_pos_day(client, settings.data_lake_root, day, settings.business_timezone)
            except OdooError as exc:
                tally.fail(f"{DATASET} {day}", str(exc))
                continue
            bar.write(row(result), file=sys.stdout)
            manifest = read_manifest(settings.data_lake_root, DATASET, day)
            tally.add(result.lake_lines, manifest.quarantined if manifest else 0)
            if not result.ok:
                tally.fail(f"{DATASET} {day}", "does not reconcile with Odoo" + ("" if manifest else " (not loaded)"))
    return tally.finish()


if __name__ == "__main__":
    sys.exit(main())

"""Check the lake's POS sales against Odoo, day by day (revenue ±1 per order, exact order and line counts).

    python -m scripts.validate_pos_data --start 2026-01-06 --end 2026-01-07

Exits 1 when any day does not reconcile.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date

from etl.dates import business_yesterday, day_range
from etl.settings import exit_on_invalid_settings
from etl.validate import reconcile_pos_day
from odoorpc_connector import OdooError, get_odoo_connection


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", type=date.fromisoformat, help="first business day (default: yesterday)")
    parser.add_argument("--end", type=date.fromisoformat, help="last business day (default: --start)")
    args = parser.parse_args(argv)
    settings = exit_on_invalid_settings()
    start = args.start or business_yesterday(settings.business_timezone)
    try:
        client = get_odoo_connection(settings.require_odoo())
        results = [reconcile_pos_day(client, settings.data_lake_root, day, settings.business_timezone)
                   for day in day_range(start, args.end or start)]
    except OdooError as exc:
        print(f"validate: {exc}", file=sys.stderr)
        return 2
    print(f"{'day':<10} {'orders odoo/lake':>18} {'lines odoo/lake':>18} {'revenue odoo':>16} {'revenue lake':>16}  ok")
    for r in results:
        print(f"{r.day.isoformat():<10} {r.odoo_orders:>8}/{r.lake_orders:<9} {r.odoo_lines:>8}/{r.lake_lines:<9} "
              f"{r.odoo_revenue:>16,.2f} {r.lake_revenue:>16,.2f}  {'yes' if r.ok else 'NO'}")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Check the lake's purchases against Odoo, day by day (vendor bill totals, lines, quantities and unit costs).

    python -m scripts.validate_purchases --date 2026-01-06
    python -m scripts.validate_purchases --start 2026-01-06 --end 2026-01-07

Figures are `name odoo/lake` (see etl/reconcile/purchases.py). Exit 0 when every day reconciles, 1 when some day
does not (or Odoo failed), 2 when the command is wrong.
"""

from __future__ import annotations

import sys

from etl.catalog import PURCHASES
from scripts.validate import validate_main

if __name__ == "__main__":
    sys.exit(validate_main(PURCHASES.name, __doc__.splitlines()[0]))

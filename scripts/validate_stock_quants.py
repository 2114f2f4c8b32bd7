"""Check the lake's stock-on-hand snapshots against Odoo, day by day (quantities per product, location and lot).

    python -m scripts.validate_stock_quants --date 2026-01-06
    python -m scripts.validate_stock_quants --start 2026-01-06 --end 2026-01-07

Odoo's figure for a day is stock.quant now with the moves since that day taken back (see
etl/reconcile/stock_quants.py). Figures are `name odoo/lake`. Exit 0 when every day reconciles, 1 when some day does
not (or Odoo failed), 2 when the command is wrong.
"""

from __future__ import annotations

import sys

from etl.catalog import STOCK_QUANTS
from scripts.validate import validate_main

if __name__ == "__main__":
    sys.exit(validate_main(STOCK_QUANTS.name, __doc__.splitlines()[0]))

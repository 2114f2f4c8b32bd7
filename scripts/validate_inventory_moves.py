"""Check the lake's inventory moves against Odoo, day by day (done move-line count, Σ quantity per movement type).

    python -m scripts.validate_inventory_moves --date 2026-01-06
    python -m scripts.validate_inventory_moves --start 2026-01-06 --end 2026-01-07

Exit 0 when every day reconciles, 1 when some day does not (or Odoo failed), 2 when the command is wrong.
"""

from __future__ import annotations

import sys

from etl.catalog import INVENTORY_MOVES
from scripts.validate import validate_main

if __name__ == "__main__":
    sys.exit(validate_main(INVENTORY_MOVES.name, __doc__.splitlines()[0]))

"""Check the lake's POS sales against Odoo, day by day (revenue ±1 per order, exact order and line counts).

    python -m scripts.validate_pos_data --date 2026-01-06
    python -m scripts.validate_pos_data --start 2026-01-06 --end 2026-01-07

Exit 0 when every day reconciles, 1 when some day does not (or Odoo failed), 2 when the command is wrong.
"""

from __future__ import annotations

import sys

from etl.catalog import POS_ORDER_LINES
from scripts.validate import validate_main

if __name__ == "__main__":
    sys.exit(validate_main(POS_ORDER_LINES.name, __doc__.splitlines()[0]))

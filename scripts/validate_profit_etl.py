"""Check the lake's profit day by day against an independent recomputation from the published facts (no Odoo).

    python -m scripts.validate_profit_etl --date 2026-01-06
    python -m scripts.validate_profit_etl --start-date 2026-01-01 --end-date 2026-01-31

Figures are `name reference/lake`: revenue_excl_tax, cogs and gross_profit per channel (pos, invoice) and the line
count (see etl/reconcile/profit.py). Exit 0 when every day reconciles, 1 when some day differs or is not loaded, 2
when the command is wrong.
"""

from __future__ import annotations

import sys

from etl.catalog import PROFIT
from scripts.validate import validate_main


def main(argv: list[str] | None = None) -> int:
    return validate_main(PROFIT.name, __doc__.splitlines()[0], argv, prog="python -m scripts.validate_profit_etl")


if __name__ == "__main__":
    sys.exit(main())

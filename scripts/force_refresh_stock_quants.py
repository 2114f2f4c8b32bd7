"""Re-run the stock-on-hand snapshots for business days in this process, or remove days loaded by mistake.

    python -m scripts.force_refresh_stock_quants --date 2026-01-06
    python -m scripts.force_refresh_stock_quants --start 2026-01-06 --end 2026-01-07
    python -m scripts.force_refresh_stock_quants --drop --date 2026-03-01 [--yes]

Refreshes the dimensions, then runs extract_stock_quants → save_raw_stock_quants → clean_stock_quants →
update_stock_quants_star_schema per day in this process (the same functions as the Celery tasks). A past day is
rebuilt from today's quants and the moves since (source = reconstructed). Exit 0 when every day loaded, 1 when some
day failed, 2 when the command is wrong (see scripts/cli.py). The body is scripts/force_refresh.py.
"""

from __future__ import annotations

import sys

from etl.catalog import STOCK_QUANTS
from scripts.force_refresh import force_refresh_main


def main(argv: list[str] | None = None) -> int:
    return force_refresh_main([STOCK_QUANTS.name], __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    sys.exit(main())

"""Re-run purchases (vendor bills) for business days in this process, or remove days loaded by mistake.

    python -m scripts.force_refresh_purchase_data --date 2026-01-06
    python -m scripts.force_refresh_purchase_data --start 2026-01-06 --end 2026-01-07
    python -m scripts.force_refresh_purchase_data --drop --date 2026-03-01 [--yes]

Runs extract_purchase_invoice_lines → save_raw_purchase_invoice_lines → clean_purchase_invoice_lines →
update_purchase_star_schema in this process (the same functions as the Celery tasks). Exit 0 when every day loaded,
1 when some day failed, 2 when the command is wrong (see scripts/cli.py). The body is scripts/force_refresh.py.
"""

from __future__ import annotations

import sys

from etl.catalog import PURCHASES
from scripts.force_refresh import force_refresh_main


def main(argv: list[str] | None = None) -> int:
    return force_refresh_main([PURCHASES.name], __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    sys.exit(main())

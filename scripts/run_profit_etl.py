"""Build profit (cost events, costed sales lines, daily sums) for business days in this process, from the lake.

    python -m scripts.run_profit_etl --date 2026-01-06
    python -m scripts.run_profit_etl --start-date 2026-01-01 --end-date 2026-01-31
    python -m scripts.run_profit_etl --drop --date 2026-03-01 [--yes]

Profit reads the published POS, invoice and purchase facts and dim_products, never Odoo (no Odoo settings needed):
load those days first. Runs extract_profit → save_raw_profit → clean_profit → update_profit_star_schema in this
process (the same functions as the Celery tasks), days ascending. `--start`/`--end` are accepted too. Exit 0 when
every day loaded, 1 when some day failed (e.g. an input not published), 2 when the command is wrong (scripts/cli.py).
The body is scripts/force_refresh.py.
"""

from __future__ import annotations

import sys

from etl.catalog import PROFIT
from scripts.force_refresh import force_refresh_main


def main(argv: list[str] | None = None) -> int:
    return force_refresh_main([PROFIT.name], __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    sys.exit(main())

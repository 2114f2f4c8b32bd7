"""Check the lake's invoice sales against Odoo, day by day (revenue, invoice and line counts).

Revenue = Σ amount_total_signed of the posted customer invoices and credit notes not created from POS orders,
±1 unit of each invoice's currency; invoice and product-line counts exact.

    python -m scripts.validate_invoice_sales --date 2026-01-06
    python -m scripts.validate_invoice_sales --start 2026-01-06 --end 2026-01-07

Exit 0 when every day reconciles, 1 when some day does not (or Odoo failed), 2 when the command is wrong.
"""

from __future__ import annotations

import sys

from etl.catalog import INVOICE_SALES
from scripts.validate import validate_main

if __name__ == "__main__":
    sys.exit(validate_main(INVOICE_SALES.name, __doc__.splitlines()[0]))

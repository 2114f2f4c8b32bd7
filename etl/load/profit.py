"""Load a profit day into the star schema: its cost events, costed sales lines and their daily sums (grain, tax basis
and formulas: etl/transform/profit.py and etl/schemas.py)."""

from __future__ import annotations

import polars as pl

from etl import schemas
from etl.transform.profit import CLEAN_COST_EVENTS, CLEAN_LINES, profit_daily, profit_daily_by_product


def profit_facts(clean: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The star-schema facts of one profit day, by fact name."""
    lines = schemas.conform(clean[CLEAN_LINES], schemas.FACT_SALES_LINES_PROFIT)
    return {
        "fact_product_cost_events": schemas.conform(clean[CLEAN_COST_EVENTS], schemas.FACT_PRODUCT_COST_EVENTS),
        "fact_sales_lines_profit": lines,
        "agg_profit_daily": profit_daily(lines),
        "agg_profit_daily_by_product": profit_daily_by_product(lines),
    }

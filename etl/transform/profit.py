"""Profit of one business day, from the lake's published facts (pure: frames in, frames out).

Grain and tax basis: every figure is in company currency and excludes tax; nothing is rounded.

- Cost events (fact_product_cost_events): the day's product lines of posted vendor bills (`in_invoice`) that are not
  free goods (`is_bonus`), with a positive unit cost. fact_purchases.unit_cost_excl_tax is already net of discount,
  tax excluded with the line's own taxes, per product UoM unit, in company currency (etl/transform/purchases.py).
  Vendor refunds (`in_refund`) are not events: a credit note returns goods or corrects a price, it is not the price
  of an acquisition (a 10 % rebate credited on one unit would otherwise become the product's cost).
- Cost of a product on day D: the latest cost event effective on or before D (same-day purchases count); among
  events of the same effective_date, the one of the highest line_id (the line Odoo created last). Without one,
  dim_products.standard_price when positive (Odoo's default 0 means "not set"); else missing.
- Sales lines (fact_sales_lines_profit): fact_sales_all's lines (POS order lines; non-POS customer invoice lines with
  order_id = move_id and no store), signed as published (refunds negative), with unit_cost and cost_source;
  cogs = unit_cost × quantity (so a refund line reverses its cost), gross_profit = revenue_excl_tax − cogs; both null
  when the cost is missing (such lines are left out of margins and counted in cost coverage).
- agg_profit_daily and agg_profit_daily_by_product: sums of those lines (see etl/schemas.py for each column).

The raw layer of a profit day holds the inputs as read from the published facts (see etl/extract/profit.py): the
day's POS and invoice lines, the day's purchase lines, the latest earlier cost event of each product sold that day
(PRIOR_COSTS) and the standard price of each product sold that day. The inputs were validated by their own cleaners;
this cleaner still quarantines what would make a figure wrong (another day, an amount that is not a number, a line
id seen twice with different values, a non-bonus vendor bill line whose unit cost is not a positive number).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from etl import schemas
from etl.catalog import PROFIT
from etl.raw_records import models_rows
from etl.transform.quarantine import QUARANTINE_SCHEMA, CleanContext, CleanResult, split_valid
from etl.transform.validation import not_a_number, reason_counts

# Raw tables of a profit day (the raw frame's `_model`) and their columns.
POS_LINES = "fact_sales"
INVOICE_LINES = "fact_invoice_sales"
PURCHASE_LINES = "fact_purchases"
PRIOR_COSTS = "prior_cost_events"  # the latest cost event before the day, per product sold that day
STANDARD_PRICES = "dim_products"
INPUT_COLUMNS: dict[str, list[str]] = {
    POS_LINES: ["date", "order_id", "line_id", "product_id", "customer_id", "store_id", "quantity", "revenue",
                "revenue_excl_tax"],
    INVOICE_LINES: ["date", "move_id", "line_id", "product_id", "customer_id", "quantity", "revenue",
                    "revenue_excl_tax"],
    PURCHASE_LINES: ["date", "move_id", "move_type", "line_id", "product_id", "vendor_id", "unit_cost_excl_tax",
                     "is_bonus"],
    PRIOR_COSTS: schemas.FACT_PRODUCT_COST_EVENTS.names(),
    STANDARD_PRICES: ["product_id", "standard_price"],
}

CLEAN_LINES, CLEAN_COST_EVENTS = PROFIT.clean_tables

VENDOR_BILL = "in_invoice"
PURCHASE, STANDARD_PRICE, MISSING = "purchase", "standard_price", "missing"
CHANNELS = {POS_LINES: "pos", INVOICE_LINES: "invoice"}

REASON_OTHER_DAY = "line's date is not the partition's day"
REASON_NOT_A_NUMBER = "amount null or not a number"
REASON_DUPLICATE_CONFLICT = "duplicate line id with different values"
REASON_BAD_COST = "vendor bill line's unit cost is not a positive number"
REASON_METRICS = {REASON_OTHER_DAY: "lines_not_of_day", REASON_NOT_A_NUMBER: "lines_amount_not_a_number",
                  REASON_DUPLICATE_CONFLICT: "lines_duplicate_conflict", REASON_BAD_COST: "purchase_lines_bad_cost"}

IS_COST_CANDIDATE = ((pl.col("move_type") == VENDOR_BILL) & pl.col("is_bonus").not_()
                     & pl.col("product_id").is_not_null())
HAS_VALID_COST = pl.col("unit_cost_excl_tax").is_finite() & (pl.col("unit_cost_excl_tax") > 0)
IS_COSTED = pl.col("cogs").is_not_null()


def cost_events(purchases: pl.DataFrame) -> pl.DataFrame:
    """The cost events among fact_purchases lines (see the module docstring), as fact_product_cost_events rows."""
    events = purchases.filter(IS_COST_CANDIDATE & HAS_VALID_COST.fill_null(False))
    return schemas.conform(events.rename({"date": "effective_date"}), schemas.FACT_PRODUCT_COST_EVENTS)


def latest_costs(events: pl.DataFrame) -> pl.DataFrame:
    """Per product, the event that sets its cost: the latest effective_date, then the highest line_id."""
    return events.sort("product_id", "effective_date", "line_id").unique("product_id", keep="last",
                                                                         maintain_order=True)


def sales_lines(pos: pl.DataFrame, invoices: pl.DataFrame) -> pl.DataFrame:
    """POS and invoice lines in fact_sales_all's shape (channel, order_id = move_id for invoices, no store)."""
    pos_part = pos.select(pl.lit(CHANNELS[POS_LINES]).alias("channel"), pl.exclude("channel"))
    invoice_part = invoices.select(pl.lit(CHANNELS[INVOICE_LINES]).alias("channel"),
                                   pl.col("move_id").alias("order_id"), pl.lit(None, schemas.ID).alias("store_id"),
                                   pl.exclude("channel", "move_id", "store_id"))
    return pl.concat([pos_part, invoice_part], how="diagonal_relaxed")


def costed_lines(sales: pl.DataFrame, costs: pl.DataFrame, standard_prices: pl.DataFrame) -> pl.DataFrame:
    """fact_sales_lines_profit rows: `sales` with each product's cost from `costs` (one row per product, see
    latest_costs), else its positive standard price, else missing."""
    purchase = costs.select("product_id", pl.col("unit_cost_excl_tax").alias("_purchase_cost"))
    standard = standard_prices.select(
        pl.col("product_id").cast(schemas.ID),
        pl.when(pl.col("standard_price") > 0).then(pl.col("standard_price")).alias("_standard_cost"),
    ).unique("product_id", keep="first", maintain_order=True)
    joined = (sales.join(purchase, on="product_id", how="left", maintain_order="left")
              .join(standard, on="product_id", how="left", maintain_order="left"))
    cost = pl.coalesce("_purchase_cost", "_standard_cost")
    source = (pl.when(pl.col("_purchase_cost").is_not_null()).then(pl.lit(PURCHASE))
              .when(pl.col("_standard_cost").is_not_null()).then(pl.lit(STANDARD_PRICE))
              .otherwise(pl.lit(MISSING)))
    return schemas.conform(
        joined.with_columns(cost.alias("unit_cost"), source.alias("cost_source"),
                            (cost * pl.col("quantity")).alias("cogs"))
        .with_columns((pl.col("revenue_excl_tax") - pl.col("cogs")).alias("gross_profit")),
        schemas.FACT_SALES_LINES_PROFIT,
    )


def _costed_sum(column: str) -> pl.Expr:
    """Σ `column` over the costed lines of a group; null when none has a cost (not 0: nothing is known)."""
    return pl.when(IS_COSTED.any()).then(pl.col(column).sum()).alias(column)


def profit_daily(lines: pl.DataFrame) -> pl.DataFrame:
    """agg_profit_daily: per day and channel, revenue of every line, cogs and gross profit of the costed ones."""
    costed_revenue = pl.col("revenue_excl_tax").filter(IS_COSTED).sum()
    totals = lines.group_by("date", "channel").agg(
        pl.col("revenue_excl_tax").sum(), _costed_sum("cogs"), _costed_sum("gross_profit"),
        costed_revenue.alias("_costed_revenue"),
    )
    return schemas.conform(totals.with_columns(
        pl.when(pl.col("_costed_revenue") != 0)
        .then(pl.col("gross_profit") / pl.col("_costed_revenue") * 100).alias("margin_pct"),
        pl.when(pl.col("revenue_excl_tax") != 0)
        .then(pl.col("_costed_revenue") / pl.col("revenue_excl_tax") * 100).alias("cost_coverage_pct"),
    ).sort("date", "channel"), schemas.AGG_PROFIT_DAILY)


def profit_daily_by_product(lines: pl.DataFrame) -> pl.DataFrame:
    """agg_profit_daily_by_product: per day, channel and product."""
    totals = lines.group_by("date", "channel", "product_id").agg(
        pl.col("quantity").sum(), pl.col("revenue_excl_tax").sum(), _costed_sum("cogs"), _costed_sum("gross_profit"))
    return schemas.conform(totals.sort("date", "channel", "product_id", nulls_last=True),
                           schemas.AGG_PROFIT_DAILY_BY_PRODUCT)


def _typed_inputs(raw: pl.DataFrame | pl.LazyFrame) -> dict[str, pl.DataFrame]:
    """The raw tables by name, cast to the types of the facts they were read from."""
    types = {**schemas.FACT_SALES, **schemas.FACT_INVOICE_SALES, **schemas.FACT_PURCHASES,
             **schemas.FACT_PRODUCT_COST_EVENTS, "standard_price": schemas.MONEY}
    return {name: frame.cast({c: types[c] for c in frame.columns}, strict=False)
            for name, frame in models_rows(raw, INPUT_COLUMNS).items()}


def _valid_sales(inputs: dict[str, pl.DataFrame], day: date) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """(the day's sales lines that pass the rules, quarantine rows, identical copies dropped)."""
    kept, rejected, copies = [], [], 0
    for table in CHANNELS:
        rows = inputs[table].unique(maintain_order=True)
        copies += inputs[table].height - rows.height
        valid, bad = split_valid(rows, table, "line_id", [
            (pl.col("line_id").is_duplicated(), REASON_DUPLICATE_CONFLICT),
            (pl.col("date").ne_missing(day), REASON_OTHER_DAY),
            (not_a_number("quantity", "revenue_excl_tax"), REASON_NOT_A_NUMBER),
        ])
        kept.append(valid)
        rejected.append(bad)
    return sales_lines(*kept), pl.concat(rejected), copies


def _valid_events(purchases: pl.DataFrame, day: date) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(the day's cost events, quarantined candidate lines)."""
    valid, bad = split_valid(purchases.filter(IS_COST_CANDIDATE), PURCHASE_LINES, "line_id", [
        (pl.col("date").ne_missing(day), REASON_OTHER_DAY),
        (HAS_VALID_COST.not_().fill_null(True), REASON_BAD_COST),
    ])
    return cost_events(valid), bad


def clean_profit(raw: pl.DataFrame | pl.LazyFrame, context: CleanContext) -> CleanResult:
    """The profit of `context.day`: costed sales lines and the day's cost events, plus the quarantined rows."""
    inputs = _typed_inputs(raw)
    sales, bad_sales, copies = _valid_sales(inputs, context.day)
    events, bad_purchases = _valid_events(inputs[PURCHASE_LINES], context.day)
    costs = latest_costs(pl.concat([inputs[PRIOR_COSTS], events]))
    lines = costed_lines(sales, costs, inputs[STANDARD_PRICES])
    quarantine = pl.concat([bad_sales, bad_purchases]).cast(dict(QUARANTINE_SCHEMA))
    purchases = inputs[PURCHASE_LINES]
    metrics = {
        "lines": lines.height,
        **{f"lines_cost_{source}": int((lines["cost_source"] == source).sum())
           for source in (PURCHASE, STANDARD_PRICE, MISSING)},
        "cost_events": events.height,
        "purchase_lines_bonus": int(purchases["is_bonus"].sum() or 0),
        "purchase_lines_refund": int((purchases["move_type"] != VENDOR_BILL).sum()),
        "duplicates_identical": copies,
        **quarantine.select(reason_counts(pl.col("reason"), REASON_METRICS)).row(0, named=True),
    }
    return CleanResult({CLEAN_LINES: lines, CLEAN_COST_EVENTS: events}, quarantine,
                       metrics={name: int(value or 0) for name, value in metrics.items()})

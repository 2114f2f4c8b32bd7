"""Purchases against Odoo (DESIGN §6), per business day D of posted vendor bills and refunds (refunds negative):

- purchases_excl_tax: Σ −amount_untaxed_signed of D's bills (Odoo's own company-currency totals) less their untaxed
  cash-rounding lines (not product lines) = Σ fact_purchases.amount_excl_tax, to float precision;
- purchases_incl_tax: Σ −amount_total_signed less all cash rounding = Σ amount_incl_tax, within 1 per bill (Odoo
  rounds tax per tax line, the lake per product line);
- bills and product lines: counts exact; bonus lines (price or quantity ≤ 0, zero subtotal): count exact;
- quantity: Σ line quantity converted to the product's UoM by Odoo's `_compute_quantity` rule, exact;
- unit costs, for an evenly spread sample of non-bonus lines: the lake's unit_cost_excl_tax and quantity against
  Odoo's price_subtotal ÷ quantity in product UoM (17.0 `_get_gross_unit_price`, then `_compute_price`), in company
  currency by the line's own balance ÷ amount_currency, within one cent on the line.
Odoo's side is computed here from the records as Odoo returns them, not with the cleaner's code.
"""

from __future__ import annotations

import math
import os
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from etl import io_parquet, schemas
from etl.extract.purchases import (
    DAY_FIELDS, LINE_MODEL, MOVE_MODEL, PRODUCT_LINE, REFUND_TYPE, ROUNDING_LINE, purchase_day_domains,
    read_unit_references,
)
from etl.transform.uom import PRODUCT_MODEL, UOM_MODEL
from etl.extract.records import Extraction, read_models
from etl.published import read_published
from etl.reconcile import Check, DayReconciliation
from etl.transform.purchases import BILL_TOTAL_TOLERANCE, UNTAXED_TOLERANCE
from odoorpc_connector import OdooClient

DATASET = "purchases"
SAMPLE_LINES = 200
LINE_CENT = 0.01 + 1e-9  # one cent of the bill's currency on a line: the rounding of Odoo's price_subtotal
QUANTITY_TOLERANCE = 1e-6

Record = dict[str, Any]


def _id(value: Any) -> int | None:
    """The id of a many2one as search_read returns it (`[id, "name"]` or False)."""
    return value[0] if value else None


def _ratio(line: Record, product_uom: dict[int, int], factors: dict[int, float]) -> float:
    """Product UoM per line UoM: Odoo's uom.uom `_compute_quantity` (qty ÷ line factor × product factor)."""
    line_uom, uom = _id(line["product_uom_id"]), product_uom.get(_id(line["product_id"]) or 0)
    if line_uom is None or uom is None or line_uom == uom:
        return 1.0
    if not factors.get(uom) or not factors.get(line_uom):
        return math.nan  # a unit Odoo did not return: the quantity check shows it
    return factors[uom] / factors[line_uom]


def _is_bonus(line: Record) -> bool:
    return line["price_unit"] <= 0 or line["quantity"] <= 0 or line["price_subtotal"] == 0


def _odoo_lines(extraction: Extraction, refunds: set[int]) -> list[Record]:
    """Odoo's product lines with `_qty` (product UoM, signed) and `_unit` (Odoo's unit cost, company currency)."""
    product_uom = {p["id"]: _id(p["uom_id"]) for p in extraction.records[PRODUCT_MODEL]}
    factors = {u["id"]: u["factor"] for u in extraction.records[UOM_MODEL]}
    lines = []
    for line in extraction.records[LINE_MODEL]:
        if line["display_type"] != PRODUCT_LINE:
            continue
        ratio = _ratio(line, product_uom, factors)
        sign = -1.0 if _id(line["move_id"]) in refunds else 1.0
        rate = line["balance"] / line["amount_currency"] if line["amount_currency"] else 1.0
        unit = None if _is_bonus(line) else line["price_subtotal"] / line["quantity"] / ratio * rate
        lines.append({**line, "_qty": sign * line["quantity"] * ratio, "_unit": unit, "_rate": rate})
    return lines


def _sample(lines: list[Record]) -> list[Record]:
    costed = sorted((line for line in lines if line["_unit"] is not None), key=lambda line: line["id"])
    return costed[::max(1, math.ceil(len(costed) / SAMPLE_LINES))]


def _matches(odoo: Record, lake: dict[str, Any] | None) -> bool:
    if lake is None or lake["unit_cost_excl_tax"] is None:
        return False
    return (abs(lake["quantity"] - odoo["_qty"]) <= QUANTITY_TOLERANCE * max(1.0, abs(odoo["_qty"]))
            and abs(lake["unit_cost_excl_tax"] - odoo["_unit"]) * abs(odoo["_qty"]) <= LINE_CENT * odoo["_rate"])


def _rounding(lines: list[Record], untaxed_only: bool) -> float:
    return sum(line["balance"] for line in lines if line["display_type"] == ROUNDING_LINE
               and not (untaxed_only and line.get("tax_repartition_line_id")))


def reconcile_purchases_day(client: OdooClient, lake: str | os.PathLike[str], day: date,
                            tz: ZoneInfo) -> DayReconciliation:
    """Compare one business day of fact_purchases with Odoo's own bill totals, lines, quantities and unit costs."""
    extraction = read_models(client, DATASET, day.isoformat(), purchase_day_domains(day, tz), DAY_FIELDS)
    read_unit_references(client, extraction, extraction.records[LINE_MODEL])
    bills, all_lines = extraction.records[MOVE_MODEL], extraction.records[LINE_MODEL]
    lines = _odoo_lines(extraction, {b["id"] for b in bills if b["move_type"] == REFUND_TYPE})
    published = read_published(lake, io_parquet.STAR, "fact_purchases", day)
    fact = published if published is not None else pl.DataFrame(schema=schemas.FACT_PURCHASES)
    by_line = {row["line_id"]: row for row in fact.iter_rows(named=True)}
    sample = _sample(lines)

    def lake_sum(column: str) -> float:
        return float(fact[column].sum() or 0.0)

    return DayReconciliation(DATASET, day, published is not None, (
        Check("bills", len({_id(line["move_id"]) for line in lines}), fact["move_id"].n_unique()),
        Check("lines", len(lines), fact.height),
        Check("purchases_excl_tax", -sum(b["amount_untaxed_signed"] for b in bills) - _rounding(all_lines, True),
              lake_sum("amount_excl_tax"), UNTAXED_TOLERANCE * max(1, len(bills))),
        Check("purchases_incl_tax", -sum(b["amount_total_signed"] for b in bills) - _rounding(all_lines, False),
              lake_sum("amount_incl_tax"), BILL_TOTAL_TOLERANCE * max(1, len(bills))),
        Check("quantity", sum(line["_qty"] for line in lines), lake_sum("quantity"),
              QUANTITY_TOLERANCE * max(1, len(lines))),
        Check("bonus_lines", sum(_is_bonus(line) for line in lines), lake_sum("is_bonus")),
        Check("unit_costs_sampled", len(sample), sum(_matches(line, by_line.get(line["id"])) for line in sample)),
    ))

"""Units of measure as Odoo converts them (addons/uom/models/uom_uom.py `_compute_quantity`), as polars expressions.

A uom.uom `factor` is how many of the unit make one reference unit of its category (Dozens: 1/12, g: 1000), so
`qty` in unit A is `qty / A.factor * B.factor` in unit B, then rounded to B's `rounding` with Odoo's `float_round`.
Units of different categories cannot be converted (Odoo raises): the result is null.
"""

from __future__ import annotations

import polars as pl

# Odoo's float_round nudges the normalised value by one ulp of its magnitude before rounding, so that a value stored
# as 2.6749999… still rounds like 2.675 (odoo/tools/float_utils.py).
_ULP = 2.0 ** -52


def float_round_half_up(value: pl.Expr, rounding: pl.Expr) -> pl.Expr:
    """Odoo `float_round(value, precision_rounding=rounding, rounding_method='HALF-UP')`: half away from zero."""
    normalized = value / rounding
    magnitude = (normalized.abs() * (1.0 + _ULP) + 0.5).floor()
    return pl.when(value == 0).then(0.0).otherwise(normalized.sign() * magnitude * rounding)


def convert_quantity(qty: pl.Expr, from_uom: pl.Expr, from_factor: pl.Expr, from_category: pl.Expr,
                     to_uom: pl.Expr, to_factor: pl.Expr, to_category: pl.Expr, to_rounding: pl.Expr) -> pl.Expr:
    """`qty` in unit `from_uom` expressed in `to_uom`, rounded HALF-UP to its rounding; null when either unit is
    unknown or the two belong to different categories. In the same unit the quantity is kept as stored (Odoo only
    accepts done quantities that respect the unit's rounding, so rounding again changes nothing)."""
    converted = float_round_half_up(qty / from_factor * to_factor, to_rounding)
    return pl.when(from_uom == to_uom).then(qty).when(from_category == to_category).then(converted)

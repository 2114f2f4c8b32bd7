"""Units of measure as Odoo converts them (addons/uom/models/uom_uom.py `_compute_quantity`), as polars expressions.

A uom.uom `factor` is how many of the unit make one reference unit of its category (Dozens: 1/12, g: 1000), so
`qty` in unit A is `qty / A.factor * B.factor` in unit B, then rounded to B's `rounding` with Odoo's `float_round`.
Units of different categories cannot be converted (Odoo raises): the result is null.

`product_unit_ratio` gives the same rule as a ratio per line (product units per line unit, not rounded), for the
document cleaners (customer invoices, vendor bills) that put each line's quantity and unit price in its product's unit.
"""

from __future__ import annotations

import polars as pl

from etl.transform.validation import as_int, number

PRODUCT_MODEL = "product.product"  # the Odoo models whose records carry units: a product's unit, a unit's factor
UOM_MODEL = "uom.uom"

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


# A line's quantity in its product's unit (customer invoices, vendor bills): the ratio of the two units.
PRODUCT_UNIT_COLUMNS = {PRODUCT_MODEL: ["id", "uom_id"], UOM_MODEL: ["id", "factor", "category_id"]}
RATIO = "_ratio"  # product units per line unit; null when the line's unit cannot be converted
REASON_NOT_CONVERTIBLE = "line's unit of measure cannot be converted to the product's"


def product_unit_ratio(lines: pl.LazyFrame, received: dict[str, pl.DataFrame]) -> pl.LazyFrame:
    """`lines` (with `product_id` and `line_uom_id`) plus their product's `product_uom_id` and RATIO, how many
    product units one line unit is: product UoM factor ÷ line UoM factor (Odoo's `_compute_quantity` rule, not
    rounded to the product unit's precision). 1 for a line without product, without unit or in the product's unit;
    null when the units are of different categories or one of them (or the product) was not `received` (raw rows
    of PRODUCT_UNIT_COLUMNS' models, as etl/extract/uoms.py reads them)."""
    products = received[PRODUCT_MODEL].lazy().select(as_int("id").alias("product_id"),
                                                      as_int("uom_id").alias("product_uom_id"))
    units = received[UOM_MODEL].lazy().select(as_int("id").alias("_uom"), number("factor").alias("_factor"),
                                              as_int("category_id").alias("_category")).unique("_uom", keep="first")

    def unit_of(column: str, side: str) -> pl.LazyFrame:
        return units.rename({"_uom": column, "_factor": f"_factor_{side}", "_category": f"_category_{side}"})

    same = pl.col("line_uom_id").is_null() | (pl.col("line_uom_id") == pl.col("product_uom_id"))
    convertible = ((pl.col("_category_line") == pl.col("_category_product"))
                   & (pl.col("_factor_line") > 0) & (pl.col("_factor_product") > 0))
    return (
        lines.join(products.unique("product_id", keep="first"), on="product_id", how="left", maintain_order="left")
        .join(unit_of("line_uom_id", "line"), on="line_uom_id", how="left", maintain_order="left")
        .join(unit_of("product_uom_id", "product"), on="product_uom_id", how="left", maintain_order="left")
        .with_columns(
            pl.when(pl.col("product_id").is_null() | same).then(pl.lit(1.0))
            .when(convertible).then(pl.col("_factor_product") / pl.col("_factor_line"))
            .otherwise(None).alias(RATIO)
        )
        .drop("_factor_line", "_factor_product", "_category_line", "_category_product")
    )


def in_product_unit(quantity: pl.Expr) -> pl.Expr:
    """A quantity in the line's unit expressed in the product's (needs RATIO, see `product_unit_ratio`)."""
    return quantity * pl.col(RATIO)


def per_product_unit(price: pl.Expr) -> pl.Expr:
    """A price or cost per line unit expressed per product unit (needs RATIO, see `product_unit_ratio`)."""
    return price / pl.col(RATIO)


def not_convertible() -> pl.Expr:
    """The line's quantity cannot be put in its product's unit (its quarantine rule, with REASON_NOT_CONVERTIBLE)."""
    return pl.col(RATIO).is_null()

"""Dimension tables from Odoo master data: one column mapping per dimension, a merge for incremental refreshes, and
category paths built from the parent chain. Pure: polars in, polars out.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from etl import schemas

PATH_SEPARATOR = " / "  # how Odoo writes product.category complete_name


@dataclass(frozen=True)
class DimensionSpec:
    """How one dim_<name> table is read from one Odoo model."""

    name: str
    model: str
    key: str
    columns: dict[str, str]  # dimension column -> raw column (raw columns the server lacks become nulls)
    optional: bool = False  # the model may not be installed (hr.employee, a brand module)


def _spec(name: str, model: str, key: str, optional: bool = False, **columns: str) -> DimensionSpec:
    base = {key: "id", "name": "name", "active": "active", "write_date": "write_date"}
    return DimensionSpec(name, model, key, {**base, **columns}, optional)


DIMENSION_SPECS: dict[str, DimensionSpec] = {
    spec.name: spec
    for spec in (
        _spec("dim_categories", "product.category", "category_id", parent_id="parent_id"),
        _spec("dim_brands", "product.brand", "brand_id", optional=True),
        _spec("dim_products", "product.product", "product_id", default_code="default_code", barcode="barcode",
              product_tmpl_id="product_tmpl_id", category_id="categ_id", brand_id="brand_id",
              brand_name="brand_id__name", uom_id="uom_id", list_price="lst_price",
              standard_price="standard_price", product_type="product_type"),
        _spec("dim_taxes", "account.tax", "tax_id", amount="amount", amount_type="amount_type",
              price_include="price_include", type_tax_use="type_tax_use", company_id="company_id"),
        _spec("dim_partners", "res.partner", "partner_id", ref="ref", is_company="is_company",
              customer_rank="customer_rank", supplier_rank="supplier_rank", city="city"),
        _spec("dim_users", "res.users", "user_id", login="login", company_id="company_id"),
        _spec("dim_cashiers", "hr.employee", "cashier_id", optional=True, user_id="user_id",
              company_id="company_id"),
        _spec("dim_stores", "pos.config", "store_id", company_id="company_id"),
        _spec("dim_payment_methods", "pos.payment.method", "payment_method_id", is_cash_count="is_cash_count",
              company_id="company_id"),
        _spec("dim_companies", "res.company", "company_id", currency="currency_id__name"),
        _spec("dim_uoms", "uom.uom", "uom_id", category_id="category_id", factor="factor", uom_type="uom_type"),
        _spec("dim_locations", "stock.location", "location_id", complete_name="complete_name", usage="usage",
              company_id="company_id"),
        _spec("dim_lots", "stock.lot", "lot_id", product_id="product_id", company_id="company_id"),
    )
}

# Odoo fields each dimension reads (beyond `id`); derived columns (product_type, brand) are handled below.
PRODUCT_TYPE_FIELDS = ("detailed_type", "type", "is_storable")


def source_fields(spec: DimensionSpec) -> list[str]:
    """The Odoo fields a dimension asks for (the reader keeps those the server has)."""
    fields = {column.removesuffix("__name") for column in spec.columns.values()} - {"id", "brand_id", "product_type"}
    if spec.name == "dim_products":
        fields |= set(PRODUCT_TYPE_FIELDS)
    return sorted(fields)


def product_type_expr(columns: list[str]) -> pl.Expr:
    """One product type vocabulary across versions: consu | service | product (storable) | combo.

    Odoo 16/17 send `detailed_type`; Odoo 18 sends `type` plus `is_storable` (storable goods are `consu` + flag).
    """
    if "detailed_type" in columns:
        return pl.col("detailed_type").cast(pl.String)
    if "is_storable" in columns:
        return pl.when(pl.col("is_storable")).then(pl.lit("product")).otherwise(pl.col("type").cast(pl.String))
    return pl.col("type").cast(pl.String) if "type" in columns else pl.lit(None, pl.String)


def dimension_rows(spec: DimensionSpec, raw: pl.DataFrame) -> pl.DataFrame:
    """Map raw records of the spec's model to the dimension's contract columns."""
    schema = schemas.DIMENSIONS[spec.name]
    if spec.name == "dim_products":
        raw = raw.with_columns(product_type_expr(raw.columns).alias("product_type"))
    expressions = []
    for column, source in spec.columns.items():
        if source in raw.columns:
            expressions.append(pl.col(source).alias(column))
        elif column == "active":
            expressions.append(pl.lit(True).alias(column))  # models without `active` have no archived records
        else:
            expressions.append(pl.lit(None).alias(column))
    frame = raw.select(expressions).with_columns(
        pl.lit(False).alias("deleted"),  # read from Odoo just now, so it exists
        pl.col("write_date").cast(pl.String).str.to_datetime("%Y-%m-%d %H:%M:%S", time_zone="UTC", strict=False)
    )
    for column in schema.names():
        if column not in frame.columns:
            frame = frame.with_columns(pl.lit(None).alias(column))
    return schemas.conform(frame, schema)


def merge_dimension(existing: pl.DataFrame | None, changed: pl.DataFrame, key: str) -> pl.DataFrame:
    """Upsert `changed` into `existing` by key (changed rows win), sorted by key."""
    if existing is None or existing.is_empty():
        merged = changed
    else:
        merged = pl.concat([existing.filter(~pl.col(key).is_in(changed[key].implode())), changed])
    return merged.unique(key, keep="last").sort(key)


def mark_deleted(dimension: pl.DataFrame, existing_ids: set[int] | frozenset[int], key: str) -> pl.DataFrame:
    """Flag the rows whose record no longer exists in Odoo (`deleted`), keeping them so history keeps its names."""
    return dimension.with_columns((~pl.col(key).is_in(list(existing_ids))).alias("deleted"))


def category_paths(categories: pl.DataFrame) -> pl.DataFrame:
    """dim_categories with complete_name rebuilt from the parent chain ("All / Food / Snacks")."""
    names = dict(zip(categories["category_id"].to_list(), categories["name"].to_list()))
    parents = dict(zip(categories["category_id"].to_list(), categories["parent_id"].to_list()))

    def path(category_id: int) -> str:
        parts, seen, current = [], set(), category_id
        while current is not None and current in names and current not in seen:
            seen.add(current)
            parts.append(names[current] or "")
            current = parents.get(current)
        return PATH_SEPARATOR.join(reversed(parts))

    paths = [path(cid) for cid in categories["category_id"].to_list()]
    return categories.with_columns(pl.Series("complete_name", paths, pl.String))


def products_with_names(products: pl.DataFrame, categories: pl.DataFrame) -> pl.DataFrame:
    """dim_products with category_name = the category's complete path."""
    lookup = categories.select(pl.col("category_id"), pl.col("complete_name").alias("_path"))
    return (
        products.join(lookup, on="category_id", how="left")
        .with_columns(pl.col("_path").alias("category_name"))
        .select(products.columns)
    )

"""Read changed master data for the dimension tables: records written since the last refresh, archived included."""

from __future__ import annotations

import polars as pl

from etl.raw_records import records_frame
from etl.settings import OdooSettings
from etl.transform.dimensions import DimensionSpec, source_fields
from odoorpc_connector import OdooClient

BRAND_FIELD_CANDIDATES = ("product_brand_id", "x_studio_brand_id")
ALL_RECORDS = {"active_test": False}


def brand_field(client: OdooClient, settings: OdooSettings) -> str | None:
    """The product.product many2one that holds the brand (ODOO_BRAND_FIELD), or None when the shop has none."""
    configured = settings.brand_field
    if configured.lower() == "none":
        return None
    fields = client.fields("product.product")
    if configured.lower() == "auto":
        return next((name for name in BRAND_FIELD_CANDIDATES if fields.get(name, {}).get("type") == "many2one"), None)
    if fields.get(configured, {}).get("type") != "many2one":
        raise ValueError(f"ODOO_BRAND_FIELD={configured!r} is not a many2one field of product.product on this server")
    return configured


def brand_model(client: OdooClient, field_name: str | None) -> str | None:
    return client.fields("product.product")[field_name]["relation"] if field_name else None


def read_changed(
    client: OdooClient, spec: DimensionSpec, model: str, since: str | None, brand: str | None = None
) -> pl.DataFrame:
    """Raw rows of `model` written at or after `since` (all rows when None), typed by fields_get."""
    types = client.field_types(model, source_fields(spec) + ([brand] if brand else []))
    domain = [("write_date", ">=", since)] if since and client.has_field(model, "write_date") else []
    rows = client.search_read_all(model, domain, list(types), context=ALL_RECORDS)
    frame = records_frame(model, rows, types)
    if brand:
        frame = frame.rename({brand: "brand_id", f"{brand}__name": "brand_id__name"})
    return frame


def existing_ids(client: OdooClient, model: str) -> set[int]:
    """Ids of every record of `model` that exists in Odoo now, archived ones included (one `search` call)."""
    return set(client.call(model, "search", [[]], {"context": ALL_RECORDS}))

"""SQL pieces that restrict fact rows to a selection's products (category with its subcategories, brand) and sales
lines to its stores and channel, for the pages that query the facts directly (inventory, customers).

Each piece adds its values to the caller's parameter dict and returns SQL text that depends only on which filters are
set, never on their values; a piece for no filter is `true`.
"""

from __future__ import annotations

from typing import Any

from services.filters import Selection, category_tree_cte


def with_clause(selection: Selection, *ctes: str) -> str:
    """`WITH [RECURSIVE] …` over `ctes`, with the category tree first when a category is selected."""
    pieces = ([category_tree_cte()] if selection.category_ids else []) + list(ctes)
    keyword = "WITH RECURSIVE" if selection.category_ids else "WITH"
    return f"{keyword} " + ",\n    ".join(pieces) if pieces else ""


def product_condition(selection: Selection, params: dict[str, Any], column: str = "product_id") -> str:
    """Rows whose `column` is a product of the selected categories (their descendants included; needs the category
    tree of `with_clause`) and brands."""
    conditions = []
    if selection.category_ids:
        params["category_ids"] = list(selection.category_ids)
        conditions.append("category_id IN (SELECT category_id FROM category_tree)")
    if selection.brand_ids:
        params["brand_ids"] = list(selection.brand_ids)
        conditions.append("list_contains($brand_ids, brand_id)")
    if not conditions:
        return "true"
    return f"{column} IN (SELECT product_id FROM dim_products WHERE {' AND '.join(conditions)})"


def sales_condition(selection: Selection, params: dict[str, Any]) -> str:
    """Sales lines of the selected stores (POS only: invoice lines have no store) and channel."""
    conditions = []
    if selection.store_ids:
        params["store_ids"] = list(selection.store_ids)
        conditions.append("list_contains($store_ids, store_id)")
    if selection.channel:
        params["channel"] = selection.channel
        conditions.append("channel = $channel")
    return " AND ".join(conditions) or "true"

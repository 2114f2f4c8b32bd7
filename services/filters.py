"""The shared filter bar's state: date presets, the URL query string both ways, validation, and the choices.

A selection lives in the URL (`?period=last_30&store=1,2&category=101&brand=3&channel=pos`, or `from`/`to` for a
custom range), so a view can be bookmarked, shared and reloaded. Parsing never fails: an unknown preset, a date that
does not parse, a reversed or oversized range, an id that is not a number or not in the dimensions, an unknown channel
are each ignored and replaced by the default. Presets count in business days relative to the business today;
"last N days" are the N complete days before today.

Choices come from the dimensions: stores, categories (complete path, the common root such as Odoo's `All / ` left
out), brands; a category selection narrows the brands to those of its products (subcategories included) and a brand
selection narrows the categories to those holding its products (and their ancestors).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

import polars as pl

from services.duckdb_connector import Lake

PRESETS = ("today", "yesterday", "last_7", "last_30", "last_90", "this_month", "last_month", "year_to_date", "custom")
DEFAULT_PRESET = "last_30"
CHANNELS = ("pos", "invoice")
FIELDS = ("store", "category", "brand", "channel")  # besides the period, which every filter bar has
MAX_RANGE_DAYS = 3 * 366 + 1  # a daily chart stays far below ~15k points
MAX_IDS = 50
EARLIEST = date(2000, 1, 1)


@dataclass(frozen=True)
class Selection:
    """What the filter bar selects: a preset (or `custom`) with its inclusive business-day range, and ids."""

    preset: str
    start: date
    end: date
    store_ids: tuple[int, ...] = field(default=())
    category_ids: tuple[int, ...] = field(default=())
    brand_ids: tuple[int, ...] = field(default=())
    channel: str | None = None  # None: every channel

    def to_query(self) -> dict[str, str]:
        """The canonical query parameters (defaults left out)."""
        query: dict[str, str] = {}
        if self.preset == "custom":
            query |= {"from": self.start.isoformat(), "to": self.end.isoformat()}
        elif self.preset != DEFAULT_PRESET:
            query["period"] = self.preset
        for key, ids in (("store", self.store_ids), ("category", self.category_ids), ("brand", self.brand_ids)):
            if ids:
                query[key] = ",".join(str(value) for value in ids)
        if self.channel:
            query["channel"] = self.channel
        return query

    def to_search(self) -> str:
        """`?…` for the URL ('' when everything is the default)."""
        query = self.to_query()
        return "?" + urlencode(query, safe=",") if query else ""


def preset_range(preset: str, today: date) -> tuple[date, date]:
    """The business days a preset covers on `today` (`custom` has no range of its own: last 30 days)."""
    yesterday = today - timedelta(days=1)
    if preset == "today":
        return today, today
    if preset == "yesterday":
        return yesterday, yesterday
    if preset in ("last_7", "last_30", "last_90"):
        return yesterday - timedelta(days=int(preset.removeprefix("last_")) - 1), yesterday
    if preset == "this_month":
        return today.replace(day=1), today
    if preset == "last_month":
        end = today.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    if preset == "year_to_date":
        return today.replace(month=1, day=1), today
    return preset_range(DEFAULT_PRESET, today)


def matching_preset(start: date, end: date, today: date) -> str:
    """The preset whose range is exactly start..end today, else `custom`."""
    return next((preset for preset in PRESETS[:-1] if preset_range(preset, today) == (start, end)), "custom")


def _first(value: Any) -> str | None:
    """One query value: Dash passes a repeated key as a list (the last one wins)."""
    if isinstance(value, list):
        value = value[-1] if value else None
    return value if isinstance(value, str) else None


def _day(value: Any) -> date | None:
    text = _first(value)
    try:
        day = date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None
    return day if day is not None and EARLIEST <= day <= date(2100, 12, 31) else None


def parse_ids(value: Any, allowed: Iterable[int] | None = None) -> tuple[int, ...]:
    """`"3,1,x,3"` → (1, 3): numbers only, known ones only when `allowed` is given, at most MAX_IDS."""
    if isinstance(value, (list, tuple)):
        tokens = [str(item) for item in value]
    else:
        tokens = (_first(value) or "").split(",")
    ids = {int(token) for token in (item.strip() for item in tokens) if token.lstrip("-").isdigit()}
    if allowed is not None:
        ids &= set(allowed)
    return tuple(sorted(ids))[:MAX_IDS]


def parse_query(query: Mapping[str, Any] | None, today: date, choices: FilterChoices | None = None) -> Selection:
    """The selection a URL query (or the filter bar's state, the same dict) asks for; invalid parts are defaults."""
    query = query if isinstance(query, Mapping) else {}
    start, end = _day(query.get("from")), _day(query.get("to"))
    preset = _first(query.get("period"))
    if start and end and start <= end and (end - start).days < MAX_RANGE_DAYS:
        preset = matching_preset(start, end, today)
    else:
        preset = preset if preset in PRESETS[:-1] else DEFAULT_PRESET
        start, end = preset_range(preset, today)
    channel = _first(query.get("channel"))

    def ids(key: str, allowed: list[tuple[int, str]] | None) -> tuple[int, ...]:
        return parse_ids(query.get(key), None if allowed is None else [key_ for key_, _ in allowed])

    return Selection(
        preset, start, end,
        store_ids=ids("store", choices.stores if choices else None),
        category_ids=ids("category", choices.categories if choices else None),
        brand_ids=ids("brand", choices.brands if choices else None),
        channel=channel if channel in CHANNELS else None,
    )


@dataclass(frozen=True)
class FilterChoices:
    """Choices for the filter bar: (id, label) pairs from the dimensions."""

    stores: list[tuple[int, str]]
    categories: list[tuple[int, str]]
    brands: list[tuple[int, str]]


def common_root(paths: Iterable[str]) -> str | None:
    """The first segment every category path starts with, when there is one (Odoo's `All`), else None."""
    roots = {path.split(" / ", 1)[0] for path in paths if path}
    return roots.pop() if len(roots) == 1 else None


def category_label(path: str | None, root: str | None) -> str | None:
    """`All / Food / Snacks` → `Food / Snacks` when `All` is the common root; the root itself keeps its name."""
    if path is None or root is None:
        return path
    return path.removeprefix(f"{root} / ")


def category_labels(lake: Lake) -> pl.DataFrame:
    """category_id → label (complete path without the common root)."""
    frame = lake.query("SELECT category_id, coalesce(complete_name, name) AS path FROM dim_categories")
    root = common_root(frame["path"].drop_nulls().to_list())
    return frame.select("category_id", label=pl.col("path").map_elements(lambda path: category_label(path, root),
                                                                         return_dtype=pl.String))


def _pairs(frame: pl.DataFrame) -> list[tuple[int, str]]:
    return [(int(key), str(label)) for key, label in frame.iter_rows() if key is not None]


def filter_choices(lake: Lake) -> FilterChoices:
    categories = category_labels(lake).sort("label")
    return FilterChoices(
        stores=_pairs(lake.query("SELECT store_id, name FROM dim_stores ORDER BY name")),
        categories=_pairs(categories),
        brands=_pairs(lake.query("SELECT brand_id, name FROM dim_brands ORDER BY name")),
    )


_CATEGORY_TREE = """category_tree AS (
        SELECT category_id FROM dim_categories WHERE list_contains($category_ids, category_id)
        UNION
        SELECT child.category_id FROM dim_categories AS child JOIN category_tree ON child.parent_id = category_tree.category_id
    )"""


def category_tree_cte() -> str:
    """`category_tree`: the categories `$category_ids` with all their descendants (needs WITH RECURSIVE)."""
    return _CATEGORY_TREE


def brands_in_categories(lake: Lake, category_ids: tuple[int, ...]) -> set[int]:
    """Brands of the products in those categories or their subcategories."""
    frame = lake.query(
        f"""WITH RECURSIVE {_CATEGORY_TREE}
    SELECT DISTINCT brand_id FROM dim_products
    WHERE brand_id IS NOT NULL AND category_id IN (SELECT category_id FROM category_tree)""",
        {"category_ids": list(category_ids)},
    )
    return set(frame["brand_id"].to_list())


def categories_with_brands(lake: Lake, brand_ids: tuple[int, ...]) -> set[int]:
    """Categories holding products of those brands, and their ancestors (selecting a parent includes them)."""
    frame = lake.query(
        """WITH RECURSIVE ancestors AS (
        SELECT DISTINCT category_id FROM dim_products WHERE list_contains($brand_ids, brand_id)
        UNION
        SELECT parent.category_id FROM dim_categories AS parent JOIN dim_categories AS child
            ON child.parent_id = parent.category_id JOIN ancestors ON child.category_id = ancestors.category_id
    )
    SELECT category_id FROM ancestors WHERE category_id IS NOT NULL""",
        {"brand_ids": list(brand_ids)},
    )
    return set(frame["category_id"].to_list())


def narrowed(choices: FilterChoices, lake: Lake, category_ids: tuple[int, ...],
             brand_ids: tuple[int, ...]) -> FilterChoices:
    """The choices with brands narrowed by the selected categories and categories by the selected brands."""
    brands = choices.brands
    if category_ids:
        allowed = brands_in_categories(lake, category_ids)
        brands = [pair for pair in brands if pair[0] in allowed]
    categories = choices.categories
    if brand_ids:
        allowed = categories_with_brands(lake, brand_ids)
        categories = [pair for pair in categories if pair[0] in allowed]
    return FilterChoices(choices.stores, categories, brands)


def loaded_bounds(lake: Lake, facts: Iterable[str]) -> tuple[date, date] | None:
    """First and last business day with a loaded file of any of `facts` (None when none is loaded)."""
    days = [day for fact in facts for day in lake.loaded_days(fact)]
    return (min(days), max(days)) if days else None

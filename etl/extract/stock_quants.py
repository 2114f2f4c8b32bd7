"""Extract what the stock-on-hand snapshots of business days are built from (DESIGN §5 "Snapshots of the past").

stock.quant only knows the present, so the extractor reads, in this order:

1. the quants of internal locations, now (paged search_read; stock_account's `value` when fields_get shows it);
2. the done move lines dated from the end of day D (business timezone) to the moment the quants were read, summed by
   Odoo per (product, location, lot, company) with `read_group(lazy=False)` — once for what left an internal
   location, once for what arrived in one. Only storable products move quants (Odoo 16/17 product type `product`,
   Odoo 18 `is_storable`), so only their lines count. The quantity summed is the product-UoM `quantity_product_uom`
   (Odoo 17+); Odoo 16 has only `qty_done`, in the line's unit, so its groups are also split by `product_uom_id` and
   the cleaner converts them;
3. the products concerned (cost `standard_price`, unit, storability) and, for Odoo 16, the units of measure;
4. one `nkdash.snapshot` record: the day, its `source` (`quant` when D is the business day that has just ended, else
   `reconstructed` — decided here, where the clock may be read, so the cleaner stays pure) and the move window.

Days are read in spans of consecutive days: steps 1, 2 and 3 happen once a span, step 2 for the moves after the span's
last day; the done lines within the span are read one by one (same domain, `search_read`) and each day takes the lines
dated after its own end, so its moves-after records are the span's groups plus those lines (the cleaner sums them per
key either way). A span far in the past costs the same few calls as yesterday: Odoo returns one group per key touched
since, never one row per move line, and groups them once a span, not once a day. Reading the moves after the quants,
and only up to that moment, keeps both reads of one instant (a move validated while the quants are being read is the
one race left).
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from etl.dates import ODOO_DATETIME_FORMAT, business_yesterday, odoo_window
from etl.extract.records import Extraction, read_model
from etl.transform.stock_quants import (
    IN, MOVES_MODEL, OUT, PRODUCT_MODEL, QUANT_MODEL, SNAPSHOT_MODEL, SOURCE_QUANT, SOURCE_RECONSTRUCTED, UOM_MODEL,
)
from odoorpc_connector import Domain, OdooClient, OdooError

DATASET = "stock_quants"
MOVE_LINE = "stock.move.line"
INTERNAL = "internal"
# Archived locations and products still count: Odoo searches a many2one path without active_test.
ALL_RECORDS = {"active_test": False}
QUANT_FIELDS = ("product_id", "location_id", "lot_id", "company_id", "quantity", "reserved_quantity", "value")
PRODUCT_FIELDS = ("standard_price", "uom_id", "type", "is_storable")
UOM_FIELDS = ("factor", "rounding", "category_id")
SIDES = {OUT: "location_id", IN: "location_dest_id"}  # the move line field holding the internal location
SNAPSHOT_TYPES = {"snapshot_date": "char", "source": "char", "moves_from": "datetime", "moves_to": "datetime"}


def quant_domain() -> Domain:
    return [("location_id.usage", "=", INTERNAL)]


def storable_leaf(client: OdooClient) -> tuple[str, str, Any]:
    """Move lines of products that have quants: Odoo 18 `is_storable`, Odoo 16/17 product type 'product'."""
    if client.has_field("product.product", "is_storable"):
        return ("product_id.is_storable", "=", True)
    return ("product_id.type", "=", "product")


def done_quantity(client: OdooClient) -> tuple[str, bool]:
    """(the stock.move.line field holding the moved quantity, whether it is in the product's unit)."""
    if client.has_field(MOVE_LINE, "quantity_product_uom"):  # Odoo 17+ (stored)
        return "quantity_product_uom", True
    field = client.first_field(MOVE_LINE, ("qty_done", "quantity"))  # Odoo 16: qty_done, in product_uom_id
    if field is None:
        raise OdooError(f"{MOVE_LINE} has none of quantity_product_uom, qty_done, quantity on this server")
    return field, False


def moves_domain(direction: str, since: str, until: str, storable: tuple[str, str, Any]) -> Domain:
    """Done move lines dated in [since, until) leaving (`out`) or entering (`in`) an internal location."""
    return [("state", "=", "done"), ("date", ">=", since), ("date", "<", until),
            (f"{SIDES[direction]}.usage", "=", INTERNAL), storable]


# Groups per read_group call. Unlike a search_read page (keyed by id, O(page) for the server), every read_group page
# makes the server group the whole domain again (PostgreSQL's GROUP BY ... OFFSET ... LIMIT, demo_odoo alike), and
# for a day long past that is every done line since: paging 7,400 groups by ODOO_PAGE_SIZE (2,000) took 4 scans,
# 3.4 s a direction on the year-long demo against 1.2 s for one call (bench_backfill). A group is ~700 bytes of
# JSON (its __domain included), so a call stays under ~15 MB; bigger shops page past this.
GROUPS_PER_CALL = 20_000


def read_groups(client: OdooClient, model: str, domain: Domain, fields: list[str], groupby: list[str]) -> list[dict]:
    """Every group of `read_group(lazy=False)`, paged by offset in the groups' own order (stable: the caller's
    domain bounds the records in time); GROUPS_PER_CALL a page (at least ODOO_PAGE_SIZE)."""
    size = max(client.settings.page_size, GROUPS_PER_CALL)
    groups: list[dict] = []
    while True:
        page = client.call(model, "read_group", [domain, fields, groupby],
                           {"offset": len(groups), "limit": size, "lazy": False, "context": ALL_RECORDS})
        groups.extend(page)
        if len(page) < size:
            return groups


def moved_after(client: OdooClient, since: str, until: str) -> tuple[list[dict], dict[str, str]]:
    """The done move lines of [since, until), summed per key and direction, as raw records (numbered by the
    caller), with their field types."""
    quantity, product_unit = done_quantity(client)
    extra = [] if product_unit else ["product_uom_id"]
    storable = storable_leaf(client)
    records: list[dict] = []
    for direction, side in SIDES.items():
        groupby = ["product_id", side, "lot_id", "company_id", *extra]
        for group in read_groups(client, MOVE_LINE, moves_domain(direction, since, until, storable),
                                 [f"{quantity}:sum"], groupby):
            records.append({"direction": direction, "__count": group["__count"],
                            quantity: group[quantity], **{name: group[name] for name in groupby}})
    types = {"direction": "char", "__count": "integer", quantity: "float",
             **{name: "many2one" for name in ("product_id", *SIDES.values(), "lot_id", "company_id", *extra)}}
    return records, types


def snapshot_source(day: date, tz: ZoneInfo, now: datetime) -> str:
    """`quant` for the business day that has just ended (or a later one), `reconstructed` for older days."""
    return SOURCE_QUANT if day >= business_yesterday(tz, now) else SOURCE_RECONSTRUCTED


LINE_FIELDS = ("product_id", "lot_id", "company_id", "date")


def moved_within(client: OdooClient, since: str, until: str, first_id: int) -> list[dict]:
    """The done move lines of [since, until), one raw record per line and direction, shaped like a `moved_after`
    group of one line (its other side's location left out) plus the line's `date`, oldest first, numbered from
    `first_id`."""
    quantity, product_unit = done_quantity(client)
    extra = [] if product_unit else ["product_uom_id"]
    storable = storable_leaf(client)
    records: list[dict] = []
    for direction, side in SIDES.items():
        fields = [*LINE_FIELDS, side, quantity, *extra]
        for line in client.search_read_all(MOVE_LINE, moves_domain(direction, since, until, storable), fields,
                                           context=ALL_RECORDS):
            records.append({"direction": direction, "__count": 1, **{name: line[name] for name in fields}})
    records.sort(key=lambda record: record["date"])
    for number, record in enumerate(records, start=first_id):
        record["id"] = number
    return records


def count_lines_within(client: OdooClient, first: date, last: date, tz: ZoneInfo) -> int:
    """The done move lines dated within business days `first`..`last` (what a span reads line by line)."""
    since, until = odoo_window(first, tz)[0], odoo_window(last, tz)[1]
    return int(client.call(MOVE_LINE, "search_count",
                           [[("state", "=", "done"), ("date", ">=", since), ("date", "<", until)]]))


def extract_stock_quants_span(client: OdooClient, days: list[date], tz: ZoneInfo) -> dict[date, Extraction]:
    """For each of the consecutive business `days`: today's internal quants and what takes the moves after that day
    back out. The quants and the moves after the last day are read once; the moves within the span are read line by
    line once, and each day takes the lines dated after its own end (so a year costs a few calls a span, and Odoo
    groups the moves after a span once, not once a day)."""
    calls_before = client.stats.calls
    started = datetime.now(timezone.utc)
    span = Extraction(DATASET, f"{days[0].isoformat()}..{days[-1].isoformat()}")
    quants = read_model(client, span, QUANT_MODEL, quant_domain(), QUANT_FIELDS, context=ALL_RECORDS)
    until = started.strftime(ODOO_DATETIME_FORMAT)
    last_end = odoo_window(days[-1], tz)[1]
    after_span, types = moved_after(client, last_end, until)
    for number, group in enumerate(after_span, start=1):
        group["id"] = number
    within = (moved_within(client, odoo_window(days[0], tz)[1], last_end, len(after_span) + 1)
              if len(days) > 1 else [])
    product_ids = sorted({row["product_id"][0] for row in [*quants, *after_span, *within] if row.get("product_id")})
    products = read_model(client, span, PRODUCT_MODEL, [("id", "in", product_ids)], PRODUCT_FIELDS,
                          context=ALL_RECORDS)
    if "product_uom_id" in types:
        read_model(client, span, UOM_MODEL, [], UOM_FIELDS, context=ALL_RECORDS)
    calls = (client.stats.calls - calls_before) / len(days)
    line_dates = [line["date"] for line in within]
    extractions: dict[date, Extraction] = {}
    for day in days:
        since = odoo_window(day, tz)[1]
        moves = after_span + within[bisect_left(line_dates, since):]  # the same records, never copies
        used = {row["product_id"][0] for row in [*quants, *moves] if row.get("product_id")}
        extraction = Extraction(DATASET, day.isoformat(), rpc_calls=calls, records={
            QUANT_MODEL: quants, MOVES_MODEL: moves,
            PRODUCT_MODEL: [row for row in products if row["id"] in used],
            **({UOM_MODEL: span.records[UOM_MODEL]} if UOM_MODEL in span.records else {}),
            SNAPSHOT_MODEL: [{"id": 1, "snapshot_date": day.isoformat(), "source": snapshot_source(day, tz, started),
                              "moves_from": since, "moves_to": until}]})
        extraction.field_types = {**span.field_types, MOVES_MODEL: types, SNAPSHOT_MODEL: SNAPSHOT_TYPES}
        extractions[day] = extraction
    return extractions

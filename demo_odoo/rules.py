"""What Odoo's models do around a plain write: defaults, product templates and variants, POS
refund links, the many2one ``ondelete`` policies, and (via :mod:`.related`) related fields and
stored names.

Used by :mod:`.writes`; every function gets the running :class:`~demo_odoo.writes.Writer`.
Only what an ETL can observe is modelled: fields Odoo computes from amounts (order totals,
invoice totals, quants) are *not* recomputed; clients write them, as Odoo's POS does. Stored computes
that follow from a record's own fields are: a move line's ``quantity_product_uom`` (17+), an invoice's
accounting ``date`` (from ``invoice_date``) and ``commercial_partner_id``.
"""
from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Iterable

import numpy as np

from .columns import NULL_TS, format_dates, parse_date
from .errors import user_error
from .generate import DAY, TZ_OFFSET, round_qty
from .orm import Table
from .related import TEMPLATE_FIELDS, pull, refresh, related_of
from .schema import Field

if TYPE_CHECKING:
    from .writes import Writer

#: explicit ``ondelete`` policies; otherwise a required many2one restricts, an optional one sets null
ONDELETE: dict[tuple[str, str], str] = {
    ("pos.order.line", "order_id"): "cascade",
    ("account.move.line", "move_id"): "cascade",
    ("stock.move.line", "move_id"): "cascade",  # stock.move.unlink() deletes its move lines
    ("stock.move.line", "product_id"): "cascade",
    ("product.product", "product_tmpl_id"): "cascade",
    ("product.category", "parent_id"): "cascade",
    ("account.move", "partner_id"): "restrict",
    ("account.move.line", "partner_id"): "restrict",
    ("account.move.line", "product_id"): "restrict",
    ("account.move.line", "product_uom_id"): "restrict",
    ("account.move.line", "tax_line_id"): "restrict",
    ("stock.quant", "lot_id"): "restrict",
    ("account.move", "commercial_partner_id"): "restrict",
    ("account.move.line", "tax_repartition_line_id"): "restrict",
    ("account.tax.repartition.line", "tax_id"): "cascade",
    ("account.tax.repartition.line", "invoice_tax_id"): "cascade",
    ("account.tax.repartition.line", "refund_tax_id"): "cascade",
    ("res.currency.rate", "currency_id"): "cascade",
}


def ondelete(model: str, f: Field) -> str:
    return ONDELETE.get((model, f.name), "restrict" if f.required else "set null")


# ---------------------------------------------------------------- defaults
_STATES = {"pos.order": "draft", "account.move": "draft", "stock.move": "draft", "stock.picking": "draft"}


def defaults(writer: Writer, table: Table, vals: dict[str, Any]) -> dict[str, Any]:
    """``vals`` completed with Odoo's defaults for the fields it lacks (values as a client sends them)."""
    spec, model = table.spec, table.spec.name
    now_text, today = writer.now_text, writer.today
    found: dict[str, Any] = {"active": True, "company_id": 1, "currency_id": _company_currency(writer)}
    found.update({
        "pos.order": {"name": "/", "date_order": now_text, "user_id": writer.uid},
        "pos.payment": {"payment_date": now_text},
        "account.move": {"name": "/", "move_type": "entry", "date": today, "payment_state": "not_paid"},
        "account.move.line": {"display_type": "product", "quantity": 1.0},
        "stock.move": {"date": now_text},
        "stock.move.line": {"date": now_text},
        "stock.quant": {"in_date": now_text},
        "res.partner": {"type": "contact"},
        "res.currency.rate": {"name": today},
        "account.tax.repartition.line": {"factor_percent": 100.0, "repartition_type": "tax", "sequence": 1},
    }.get(model, {}))
    if model in _STATES:
        found["state"] = _STATES[model]
    if model in ("product.template", "product.product") and not vals.get("product_tmpl_id"):
        found.update(categ_id=_first(writer, "product.category", ("parent_id", "=", False)), uom_id=_units(writer),
                     uom_po_id=_units(writer), list_price=1.0, sale_ok=True, purchase_ok=True, tracking="none",
                     type="consu", detailed_type="consu", is_storable=False)
    if model == "account.move":
        move_type = str(vals.get("move_type") or "entry")
        code = "INV" if move_type.startswith("out_") else "BILL" if move_type.startswith("in_") else "MISC"
        found["journal_id"] = _first(writer, "account.journal", ("code", "=", code))
    if model == "pos.order.line" and not vals.get("name") and type(vals.get("order_id")) is int:
        found["name"] = _line_name(writer, vals["order_id"])
    if model in ("product.template", "product.product"):
        found.pop("company_id")  # products are shared between companies unless told otherwise
    merged = {k: v for k, v in found.items() if k in spec.fields and spec.fields[k].store and k not in vals}
    return {**merged, **vals}


def _first(writer: Writer, model: str, leaf: tuple[str, str, Any]) -> int | bool:
    table = writer.table(model)
    rows = np.nonzero(writer.db.domain_mask(table, [leaf], {"active_test": False}))[0]
    return int(rows[0]) + 1 if len(rows) else False


def _units(writer: Writer) -> int | bool:
    return _first(writer, "uom.uom", ("uom_type", "=", "reference"))


def _company_currency(writer: Writer) -> int:
    return int(writer.table("res.company").columns["currency_id"][0])


def _line_name(writer: Writer, order_id: int) -> Any:
    orders, lines = writer.table("pos.order"), writer.table("pos.order.line")
    if not orders.existing(np.array([order_id])).all():
        return False
    count = int(((lines.col("order_id") == order_id) & lines.alive).sum())
    return f"{orders.values(np.array([order_id - 1]), 'name')[0]}-{count + 1}"


def filled_later(table: Table, vals: dict[str, Any]) -> set[str]:
    """Fields a create may leave empty because a rule fills them from a parent given in ``vals``."""
    found = {rel.field for rel in related_of(table) if vals.get(rel.via)}
    if table.spec.name == "product.product":
        found.add("product_tmpl_id")
    return found


# ---------------------------------------------------------------- model hooks
def _wire(writer: Writer, table: Table, row: int, names: Iterable[str]) -> dict[str, Any]:
    """Field values of one record as a client would send them."""
    wanted = [n for n in names if n in table.spec.fields]
    rec = writer.db.read_rows(table, np.array([row]), wanted, "_classic_write")[0]
    rec.pop("id")
    return rec


def _templates_for_variants(writer: Writer, table: Table, rows: np.ndarray, given: list[set[str]]) -> None:
    """A variant created without a template gets one (``_inherits``); inherited values go to the template."""
    templates = writer.table("product.template")
    tmpl_col = table.col("product_tmpl_id")
    for row, names in zip(rows.tolist(), given):
        tmpl_id = int(tmpl_col[row])
        if not tmpl_id:
            vals = _wire(writer, table, row, TEMPLATE_FIELDS + ("default_code", "barcode"))
            new_id = writer.with_context(create_product_product=False).create(templates, [vals])[0]
            table.assign(np.array([row]), "product_tmpl_id", [new_id])
        elif names & set(TEMPLATE_FIELDS):
            writer.write(templates, [tmpl_id], _wire(writer, table, row, names & set(TEMPLATE_FIELDS)))


def _variants_for_templates(writer: Writer, table: Table, rows: np.ndarray, given: list[set[str]]) -> None:
    """A new template gets its (single) variant, unless ``create_product_product`` is False."""
    if writer.context.get("create_product_product", True) is False:
        return
    vals = [{**_wire(writer, table, row, ("default_code", "barcode", "active")), "product_tmpl_id": row + 1}
            for row in rows.tolist()]
    writer.with_context(create_product_product=False).create(writer.table("product.product"), vals)


def _variants_of(writer: Writer, tmpl_ids: np.ndarray) -> tuple[Table, np.ndarray]:
    variants = writer.table("product.product")
    return variants, np.nonzero(np.isin(variants.col("product_tmpl_id"), tmpl_ids) & variants.alive)[0]


def _template_written(writer: Writer, table: Table, rows: np.ndarray, names: set[str]) -> None:
    """Archiving a template archives its variants; its code/barcode go to a single variant."""
    variants, v_rows = _variants_of(writer, rows + 1)
    if "active" in names:
        archived = rows[~table.col("active")[rows]] + 1
        hit = v_rows[np.isin(variants.col("product_tmpl_id")[v_rows], archived)
                     & variants.col("active")[v_rows]]
        if len(hit):
            writer.write(variants, (hit + 1).tolist(), {"active": False})
    shared = names & {"default_code", "barcode"}
    if shared:
        tmpl_of = variants.col("product_tmpl_id")[v_rows]
        for row in rows.tolist():
            only = v_rows[tmpl_of == row + 1]
            if len(only) == 1:
                writer.write(variants, [int(only[0]) + 1], _wire(writer, table, row, shared))


def _variant_written(writer: Writer, table: Table, rows: np.ndarray, names: set[str]) -> None:
    """Inherited fields are written on the template; a single variant's code/barcode show on it."""
    templates = writer.table("product.template")
    tmpl_ids = np.unique(table.col("product_tmpl_id")[rows])
    inherited = names & set(TEMPLATE_FIELDS)
    if inherited:
        writer.write(templates, tmpl_ids.tolist(), _wire(writer, table, int(rows[0]), inherited))
    shared = sorted(names & {"default_code", "barcode"})
    if shared:
        _, v_rows = _variants_of(writer, tmpl_ids)
        counts = np.bincount(table.col("product_tmpl_id")[v_rows], minlength=templates.n + 1)
        single = rows[counts[table.col("product_tmpl_id")[rows]] == 1]
        t_rows = table.col("product_tmpl_id")[single] - 1
        for name in shared:
            templates.assign(t_rows, name, table.values(single, name))
        writer.stamp(templates, t_rows)
        refresh(writer, templates, t_rows, set(shared), created=False)


def refund_links(writer: Writer, line_rows: np.ndarray, refunded_ids: np.ndarray) -> None:
    """Recompute the non-stored refund links after POS lines changed.

    ``line_rows``: the changed lines; ``refunded_ids``: original lines they refunded before the change.
    """
    lines, orders = writer.table("pos.order.line"), writer.table("pos.order")
    order_col, ref_col, qty = lines.col("order_id"), lines.col("refunded_orderline_id"), lines.col("qty")
    refunded = np.union1d(refunded_ids, ref_col[line_rows])
    refunded = refunded[refunded > 0]
    live = (ref_col > 0) & lines.alive
    live_ref = np.where(live, ref_col, 0)
    if len(refunded) and "refunded_qty" in lines.columns:
        sums = np.bincount(live_ref, weights=np.where(live, -qty, 0.0), minlength=lines.n + 1)
        lines.assign(refunded - 1, "refunded_qty", sums[refunded].tolist())
    origin_order = np.where(live, order_col[np.maximum(live_ref - 1, 0)], 0)
    affected = np.union1d(order_col[line_rows], order_col[np.maximum(refunded - 1, 0)] if len(refunded) else [])
    for order_id in affected[affected > 0].astype(np.int64).tolist():
        mine = live & (order_col == order_id)
        origins = sorted(set(origin_order[mine].tolist()) - {0})
        refunds = sorted(set(order_col[live & (origin_order == order_id)].tolist()))
        row = np.array([order_id - 1])
        for name, value in (("refunded_order_ids", origins), ("refunded_order_id", origins[0] if origins else 0),
                            ("refunded_orders_count", len(origins)), ("refund_orders_count", len(refunds)),
                            ("is_refunded", bool(refunds))):
            if name in orders.spec.fields:
                orders.assign(row, name, [value])


def _lines_created(writer: Writer, table: Table, rows: np.ndarray, given: list[set[str]]) -> None:
    refund_links(writer, rows, np.zeros(0, dtype=np.int64))


def _lines_written(writer: Writer, table: Table, rows: np.ndarray, names: set[str]) -> None:
    if names & {"refunded_orderline_id", "qty", "order_id"}:
        refund_links(writer, rows, np.zeros(0, dtype=np.int64))


# ---------------------------------------------------------------- stored computes
def _quantity_product_uom(writer: Writer, table: Table, rows: np.ndarray) -> None:
    """stock.move.line ``_compute_quantity_product_uom`` (17+): ``product_uom_id._compute_quantity(quantity,
    product_id.uom_id, rounding_method='HALF-UP')`` — converted by the units' factors and rounded to the
    product unit's rounding; a zero quantity or a line without unit keeps its quantity as is."""
    if "quantity_product_uom" not in table.spec.fields or not len(rows):
        return
    uoms, products = writer.table("uom.uom"), writer.table("product.product")
    qty = table.col("quantity")[rows].astype(np.float64)
    line_uom, product = table.col("product_uom_id")[rows], table.col("product_id")[rows]
    product_uom = np.where(product > 0, products.col("uom_id")[np.maximum(product - 1, 0)], 0)
    convert = (qty != 0) & (line_uom > 0) & (product_uom > 0)
    out = qty.copy()
    if convert.any():
        src, dst = line_uom[convert] - 1, product_uom[convert] - 1
        factor = uoms.col("factor")
        with np.errstate(divide="ignore", invalid="ignore"):
            amount = np.where(src == dst, qty[convert], qty[convert] / factor[src] * factor[dst])
        rounding = uoms.col("rounding")[dst]
        for step in np.unique(rounding).tolist():
            hit = rounding == step
            if step > 0:
                amount[hit] = round_qty(amount[hit], step)
        out[convert] = amount
    table.assign(rows, "quantity_product_uom", out.tolist())


def _uom_category_check(writer: Writer, product_ids: list[int], uom_ids: list[int]) -> None:
    """uom.uom ``_compute_quantity`` raises when a line's unit is not of its product's unit category."""
    uoms, products = writer.table("uom.uom"), writer.table("product.product")
    for product, uom in zip(product_ids, uom_ids):
        if not product or not uom:
            continue
        product_uom = int(products.col("uom_id")[product - 1])
        if product_uom and uoms.col("category_id")[uom - 1] != uoms.col("category_id")[product_uom - 1]:
            names = uoms.values(np.array([uom - 1, product_uom - 1]), "name")
            raise user_error(
                f"The unit of measure {names[0]} defined on the order line doesn't belong to the same category as "
                f"the unit of measure {names[1]} defined on the product. Please correct the unit of measure defined "
                "on the order line or on the product, they should belong to the same category.")


def check_values(writer: Writer, table: Table, rows: np.ndarray | None, converted: dict[str, Any]) -> None:
    """Refuse, before anything is stored, what Odoo would refuse while computing the record (``rows`` None:
    a create; else the records of a write)."""
    if table.spec.name != "stock.move.line" or "quantity_product_uom" not in table.spec.fields:
        return
    if not {"product_id", "product_uom_id"} & converted.keys():
        return
    if rows is None:
        _uom_category_check(writer, [converted.get("product_id", 0)], [converted.get("product_uom_id", 0)])
        return
    products = [converted["product_id"]] * len(rows) if "product_id" in converted else \
        table.col("product_id")[rows].tolist()
    units = [converted["product_uom_id"]] * len(rows) if "product_uom_id" in converted else \
        table.col("product_uom_id")[rows].tolist()
    _uom_category_check(writer, products, units)


_SALE_TYPES = ("out_invoice", "out_refund", "out_receipt")
# sequence.mixin's _sequence_monthly_regex / _sequence_yearly_regex (17.0)
_MONTHLY = re.compile(r'^(?P<prefix1>.*?)(?P<year>((?<=\D)|(?<=^))((19|20|21)\d{2}|(\d{2}(?=\D))))(?P<prefix2>\D*?)'
                      r'(?P<month>(0[1-9]|1[0-2]))(?P<prefix3>\D+?)(?P<seq>\d*)(?P<suffix>\D*?)$')
_YEARLY = re.compile(r'^(?P<prefix1>.*?)(?P<year>((?<=\D)|(?<=^))((19|20|21)?\d{2}))(?P<prefix2>\D+?)(?P<seq>\d*)'
                     r'(?P<suffix>\D*?)$')


def _number_reset(name: str) -> str:
    """sequence.mixin ``_deduce_sequence_number_reset`` for the demo's numbering (``BILL/2025/03/0007`` → month,
    ``MISC/2025/00042`` → year)."""
    if _MONTHLY.match(name):
        return "month"
    if _YEARLY.match(name):
        return "year"
    return "never"


def _last_day_of_month(d: date) -> date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def accounting_date(writer: Writer, table: Table, row: int) -> date | None:
    """account.move ``_compute_date`` (17.0 account_move.py 649–661; 16 and 18 alike), without lock dates: a sale
    document is dated its ``invoice_date``; any other goes through ``_get_accounting_date``, which keeps the journal's
    sequence increasing: with a monthly (or no) numbering, an ``invoice_date`` in an earlier month than today gives
    that month's last day, else ``max(invoice_date, today)``; with a yearly one, likewise by year. ``today`` is
    ``fields.Date.today()``, the server's (UTC) date. ``None``: no ``invoice_date``, the date stays."""
    days = int(table.col("invoice_date")[row])
    if days == NULL_TS:
        return None
    invoice_date = date.fromordinal(date(1970, 1, 1).toordinal() + days)
    move_type = table.values(np.array([row]), "move_type")[0] or "entry"
    if move_type in _SALE_TYPES:
        return invoice_date
    today = datetime.fromtimestamp(writer.now, timezone.utc).date()
    if move_type.startswith("in_"):
        reset = "month"  # vendor bills / refunds: BILL/YYYY/MM/NNNN, RBILL/YYYY/MM/NNNN
    else:
        journal = int(table.col("journal_id")[row])
        mine = (table.col("journal_id") == journal) & table.alive
        mine[row] = False
        names = [n for n in table.values(np.nonzero(mine)[0], "name") if n and n != "/"]
        reset = _number_reset(max(names)) if names else "month"
    if reset == "month":
        if (today.year, today.month) > (invoice_date.year, invoice_date.month):
            return _last_day_of_month(invoice_date)
        return max(invoice_date, today)
    if reset == "year":
        if today.year > invoice_date.year:
            return date(invoice_date.year, 12, 31)
        return max(invoice_date, today)
    return invoice_date


def _commercial_partners(writer: Writer, partner_ids: Iterable[int]) -> list[int]:
    """res.partner ``commercial_partner_id``: the partner itself if a company or without parent, else its parent's."""
    partners = writer.table("res.partner")
    parent, company = partners.col("parent_id"), partners.col("is_company")
    out = []
    for pid in partner_ids:
        seen: set[int] = set()
        while pid and not company[pid - 1] and parent[pid - 1] and pid not in seen:
            seen.add(pid)
            pid = int(parent[pid - 1])
        out.append(int(pid))
    return out


def _moves_created(writer: Writer, table: Table, rows: np.ndarray, given: list[set[str]]) -> None:
    table.assign(rows, "commercial_partner_id", _commercial_partners(writer, table.col("partner_id")[rows].tolist()))
    for row, names in zip(rows.tolist(), given):
        if "invoice_date" in names and "date" not in names:
            when = accounting_date(writer, table, row)
            if when is not None:
                table.assign(np.array([row]), "date", [parse_date(when.isoformat())])


def _moves_written(writer: Writer, table: Table, rows: np.ndarray, names: set[str]) -> None:
    if "partner_id" in names:
        table.assign(rows, "commercial_partner_id",
                     _commercial_partners(writer, table.col("partner_id")[rows].tolist()))
    if "invoice_date" in names and "date" not in names:
        for row in rows.tolist():
            when = accounting_date(writer, table, row)
            if when is not None and parse_date(when.isoformat()) != table.col("date")[row]:
                writer.write(table, [row + 1], {"date": when.isoformat()})  # its lines follow


def _move_lines_computed(writer: Writer, table: Table, rows: np.ndarray, given: list[set[str]]) -> None:
    _quantity_product_uom(writer, table, rows)


def _move_lines_rewritten(writer: Writer, table: Table, rows: np.ndarray, names: set[str]) -> None:
    if names & {"quantity", "product_uom_id", "product_id"}:
        _quantity_product_uom(writer, table, rows)


def _repartition_links(writer: Writer, table: Table, rows: np.ndarray) -> None:
    """Odoo 16: a distribution line's ``tax_id`` / ``document_type`` come from ``invoice_tax_id`` /
    ``refund_tax_id``."""
    if "invoice_tax_id" not in table.spec.fields:
        return
    invoice, refund = table.col("invoice_tax_id")[rows], table.col("refund_tax_id")[rows]
    table.assign(rows, "tax_id", np.where(invoice > 0, invoice, refund).tolist())
    table.assign(rows, "document_type", ["invoice" if i else "refund" for i in invoice.tolist()])


def _repartition_created(writer: Writer, table: Table, rows: np.ndarray, given: list[set[str]]) -> None:
    _repartition_links(writer, table, rows)


def _repartition_written(writer: Writer, table: Table, rows: np.ndarray, names: set[str]) -> None:
    if names & {"invoice_tax_id", "refund_tax_id"}:
        _repartition_links(writer, table, rows)


def _rates(writer: Writer, table: Table, rows: np.ndarray, names: set[str]) -> None:
    """res.currency.rate ``company_rate`` / ``inverse_company_rate`` (the company's currency has rate 1) and their
    inverses: whichever of ``rate``, ``company_rate``, ``inverse_company_rate`` was written sets the others."""
    if "rate" in names or not names & {"company_rate", "inverse_company_rate"}:
        rate = table.col("rate")[rows]
    elif "company_rate" in names:
        rate = table.col("company_rate")[rows]
    else:
        inverse = table.col("inverse_company_rate")[rows]
        with np.errstate(divide="ignore"):
            rate = np.where(inverse != 0, 1.0 / inverse, 0.0)
    with np.errstate(divide="ignore"):
        inverse = np.where(rate != 0, 1.0 / rate, 0.0)
    for name, values in (("rate", rate), ("company_rate", rate), ("inverse_company_rate", inverse)):
        table.assign(rows, name, values.tolist())


def _rates_created(writer: Writer, table: Table, rows: np.ndarray, given: list[set[str]]) -> None:
    for row, names in zip(rows.tolist(), given):
        _rates(writer, table, np.array([row]), names)


def _rates_written(writer: Writer, table: Table, rows: np.ndarray, names: set[str]) -> None:
    if names & {"rate", "company_rate", "inverse_company_rate"}:
        _rates(writer, table, rows, names)


CreateHook = Callable[["Writer", Table, np.ndarray, list[set[str]]], None]
WriteHook = Callable[["Writer", Table, np.ndarray, set[str]], None]
ON_CREATE: dict[str, CreateHook] = {
    "product.product": _templates_for_variants,
    "product.template": _variants_for_templates,
    "pos.order.line": _lines_created,
    "account.tax.repartition.line": _repartition_created,
}
ON_WRITE: dict[str, WriteHook] = {
    "product.product": _variant_written,
    "product.template": _template_written,
    "pos.order.line": _lines_written,
    "account.tax.repartition.line": _repartition_written,
}
#: stored computes run once the related fields are filled (after ON_CREATE / before ON_WRITE hooks)
COMPUTE_ON_CREATE: dict[str, CreateHook] = {
    "account.move": _moves_created,
    "stock.move.line": _move_lines_computed,
    "res.currency.rate": _rates_created,
}
COMPUTE_ON_WRITE: dict[str, WriteHook] = {
    "account.move": _moves_written,
    "stock.move.line": _move_lines_rewritten,
    "res.currency.rate": _rates_written,
}


def unlink_also(writer: Writer, table: Table, ids: np.ndarray) -> dict[str, np.ndarray]:
    """Records Odoo deletes along with ``ids`` beyond the ondelete cascades: a product's last variant takes
    its template with it."""
    if table.spec.name != "product.product":
        return {}
    tmpl_ids = np.unique(table.col("product_tmpl_id")[ids - 1])
    _, v_rows = _variants_of(writer, tmpl_ids)
    survivors = table.col("product_tmpl_id")[np.setdiff1d(v_rows, ids - 1)]
    return {"product.template": np.setdiff1d(tmpl_ids[tmpl_ids > 0], survivors)}


def after_unlink(writer: Writer, doomed: dict[str, np.ndarray]) -> None:
    """Recompute what depended on the deleted records (their data is still readable)."""
    lines = doomed.get("pos.order.line")
    if lines is not None and len(lines):
        refund_links(writer, lines - 1, writer.table("pos.order.line").col("refunded_orderline_id")[lines - 1])


def after_create(writer: Writer, table: Table, rows: np.ndarray, given: list[set[str]]) -> None:
    """Model behaviour once ``rows`` were inserted with the fields ``given`` (one set per row)."""
    hook = ON_CREATE.get(table.spec.name)
    if hook:
        hook(writer, table, rows, given)
    for rel in related_of(table):
        missing = np.array([rel.field not in names or rel.field in TEMPLATE_FIELDS for names in given], dtype=bool)
        pull(writer, table, rows[missing], rel)
    compute = COMPUTE_ON_CREATE.get(table.spec.name)
    if compute:
        compute(writer, table, rows, given)
    refresh(writer, table, rows, set(), created=True)


def after_write(writer: Writer, table: Table, rows: np.ndarray, names: set[str]) -> None:
    """Model behaviour once ``names`` were written on ``rows``."""
    for rel in related_of(table):
        if rel.via in names and rel.field not in names:  # a value written along with its parent is kept
            pull(writer, table, rows, rel)
    refresh(writer, table, rows, names, created=False)
    compute = COMPUTE_ON_WRITE.get(table.spec.name)
    if compute:
        compute(writer, table, rows, names)
    hook = ON_WRITE.get(table.spec.name)
    if hook:
        hook(writer, table, rows, names)


def today_text(now: int) -> str:
    """The Asia/Jakarta date of the epoch second ``now`` (Odoo's ``context_today``)."""
    return str(format_dates(np.array([(now + TZ_OFFSET) // DAY]), "date")[0])

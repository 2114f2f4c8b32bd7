"""What Odoo's models do around a plain write: defaults, product templates and variants, POS
refund links, the many2one ``ondelete`` policies, and (via :mod:`.related`) related fields and
stored names.

Used by :mod:`.writes`; every function gets the running :class:`~demo_odoo.writes.Writer`.
Only what an ETL can observe is modelled: fields Odoo computes from amounts (order totals,
invoice totals, quants) are *not* recomputed; clients write them, as Odoo's POS does.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable

import numpy as np

from .columns import format_dates
from .generate import DAY, TZ_OFFSET
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


CreateHook = Callable[["Writer", Table, np.ndarray, list[set[str]]], None]
WriteHook = Callable[["Writer", Table, np.ndarray, set[str]], None]
ON_CREATE: dict[str, CreateHook] = {
    "product.product": _templates_for_variants,
    "product.template": _variants_for_templates,
    "pos.order.line": _lines_created,
}
ON_WRITE: dict[str, WriteHook] = {
    "product.product": _variant_written,
    "product.template": _template_written,
    "pos.order.line": _lines_written,
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
    refresh(writer, table, rows, set(), created=True)


def after_write(writer: Writer, table: Table, rows: np.ndarray, names: set[str]) -> None:
    """Model behaviour once ``names`` were written on ``rows``."""
    for rel in related_of(table):
        if rel.via in names:
            pull(writer, table, rows, rel)
    refresh(writer, table, rows, names, created=False)
    hook = ON_WRITE.get(table.spec.name)
    if hook:
        hook(writer, table, rows, names)


def today_text(now: int) -> str:
    """The Asia/Jakarta date of the epoch second ``now`` (Odoo's ``context_today``)."""
    return str(format_dates(np.array([(now + TZ_OFFSET) // DAY]), "date")[0])

"""Fields Odoo derives from other records: related fields (``Related``) and stored names
(``display_name``, ``complete_name``, ``parent_path``), kept up to date after a change.

A stored related field is refreshed when its record changes parent or its parent changes
(refreshing bumps ``write_date``, as Odoo's recomputation does); a non-stored or inherited one
(product.product's template fields) is refreshed without touching ``write_date``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from .columns import format_dates
from .errors import user_error
from .generate import VARIANT_WORDS
from .orm import Table

if TYPE_CHECKING:
    from .writes import Writer

#: product.template fields a product.product inherits (``_inherits``): writes go to the template
TEMPLATE_FIELDS = ("name", "categ_id", "uom_id", "uom_po_id", "list_price", "sale_ok", "purchase_ok",
                   "available_in_pos", "tracking", "taxes_id", "supplier_taxes_id", "product_brand_id",
                   "company_id", "type", "detailed_type", "is_storable")


@dataclass(frozen=True)
class Related:
    """``model.field`` takes its value from ``via.source`` (``via`` a many2one of ``model``).

    ``stored``: a stored related field, so refreshing it bumps the record's ``write_date``
    (non-stored/inherited ones do not); ``follows``: kept in sync when the parent changes
    (otherwise only a default taken when the record is created).
    """

    model: str
    field: str
    via: str
    source: str
    stored: bool = True
    follows: bool = True


RELATED: tuple[Related, ...] = (
    Related("pos.order", "config_id", "session_id", "config_id"),
    Related("pos.order", "cashier", "employee_id", "name", stored=False),
    Related("pos.order", "currency_id", "session_id", "currency_id", stored=False),
    Related("pos.order.line", "currency_id", "order_id", "currency_id", stored=False),
    Related("pos.payment", "currency_id", "pos_order_id", "currency_id", stored=False),
    Related("pos.order.line", "company_id", "order_id", "company_id"),
    Related("pos.order.line", "product_uom_id", "product_id", "uom_id", stored=False),
    Related("pos.order.line", "full_product_name", "product_id", "display_name", follows=False),
    Related("pos.payment", "session_id", "pos_order_id", "session_id"),
    Related("pos.payment", "company_id", "pos_order_id", "company_id"),
    Related("account.move.line", "move_name", "move_id", "name"),
    Related("account.move.line", "parent_state", "move_id", "state"),
    Related("account.move.line", "date", "move_id", "date"),
    Related("account.move.line", "company_id", "move_id", "company_id"),
    Related("account.move", "company_currency_id", "company_id", "currency_id", stored=False),
    Related("account.move.line", "company_currency_id", "move_id", "company_currency_id"),
    Related("account.move.line", "tax_line_id", "tax_repartition_line_id", "tax_id"),
    Related("account.tax.repartition.line", "company_id", "tax_id", "company_id"),
    Related("account.move.line", "currency_id", "move_id", "currency_id", follows=False),
    Related("account.move.line", "partner_id", "move_id", "partner_id", follows=False),
    Related("stock.move", "product_uom", "product_id", "uom_id", follows=False),
    Related("stock.move.line", "reference", "move_id", "reference"),
    Related("stock.move.line", "state", "move_id", "state"),
    Related("stock.move.line", "picking_id", "move_id", "picking_id", follows=False),
    Related("stock.move.line", "product_uom_id", "product_id", "uom_id", follows=False),
    Related("stock.quant", "product_uom_id", "product_id", "uom_id", stored=False),
    Related("stock.quant", "display_name", "product_id", "name", stored=False),
    *(Related("product.product", name, "product_tmpl_id", name, stored=False) for name in TEMPLATE_FIELDS),
    Related("product.product", "lst_price", "product_tmpl_id", "list_price", stored=False),
)


def related_of(table: Table) -> list[Related]:
    return [rel for rel in RELATED if rel.model == table.spec.name and rel.field in table.spec.fields]


def _parent_model(rel: Related, writer: Writer) -> str:
    return str(writer.table(rel.model).spec.fields[rel.via].relation)


def pull(writer: Writer, table: Table, rows: np.ndarray, rel: Related) -> np.ndarray:
    """Copy ``via.source`` into ``field`` for ``rows`` that have a parent; return those rows."""
    parent = writer.table(_parent_model(rel, writer))
    if rel.source not in parent.spec.fields:
        return rows[:0]
    parents = table.column(table.spec.fields[rel.via])[rows]
    rows, parents = rows[parents > 0], parents[parents > 0]
    if len(rows):
        table.assign(rows, rel.field, parent.values(parents - 1, rel.source))
    return rows


def _propagate(writer: Writer, table: Table, rows: np.ndarray, names: set[str]) -> None:
    """Children whose related fields follow the changed ``names`` of ``rows`` take the new values."""
    for rel in RELATED:
        if not rel.follows or rel.source not in names or rel.model not in writer.db.tables:
            continue
        child = writer.table(rel.model)
        if rel.field not in child.spec.fields or _parent_model(rel, writer) != table.spec.name:
            continue
        hit = np.isin(child.column(child.spec.fields[rel.via]), rows + 1) & child.alive
        child_rows = pull(writer, child, np.nonzero(hit)[0], rel)
        if len(child_rows):
            if rel.stored:
                writer.stamp(child, child_rows)
            refresh(writer, child, child_rows, {rel.field}, created=False)


# ---------------------------------------------------------------- display names
def _code_name(code: Any, name: Any) -> str:
    return (f"[{code}] " if code else "") + (name or "")


_VARIANT_SUFFIX = re.compile(r" \((?:" + "|".join(map(re.escape, VARIANT_WORDS)) + r")\)$")


def _product_display(writer: Writer, table: Table, rows: np.ndarray) -> None:
    codes, names = table.values(rows, "default_code"), table.values(rows, "name")
    old = table.values(rows, "display_name")
    suffix = [(m.group(0) if m else "") for m in (_VARIANT_SUFFIX.search(o or "") for o in old)] \
        if table.spec.name == "product.product" else [""] * len(rows)
    table.assign(rows, "display_name", [_code_name(c, n) + s for c, n, s in zip(codes, names, suffix)])


def _category_names(writer: Writer, table: Table, rows: np.ndarray) -> None:
    """complete_name / display_name / parent_path of ``rows`` and, recursively, their subcategories."""
    parent_col = table.col("parent_id")
    seen = np.zeros(table.n, dtype=bool)
    while len(rows):
        if seen[rows].any():
            raise user_error("Error ! You cannot create recursive categories.")
        seen[rows] = True
        parents = parent_col[rows]
        names = table.values(rows, "name")
        p_rows = np.maximum(parents - 1, 0)
        p_names, p_paths = table.values(p_rows, "complete_name"), table.values(p_rows, "parent_path")
        complete = [(f"{pn} / " if p else "") + (n or "") for p, pn, n in zip(parents.tolist(), p_names, names)]
        paths = [(pp if p else "") + f"{r + 1}/" for p, pp, r in zip(parents.tolist(), p_paths, rows.tolist())]
        table.assign(rows, "complete_name", complete)
        table.assign(rows, "display_name", complete)
        table.assign(rows, "parent_path", paths)
        rows = np.nonzero(np.isin(parent_col, rows + 1) & table.alive)[0]
        writer.stamp(table, rows)


def _partner_names(writer: Writer, table: Table, rows: np.ndarray) -> None:
    """complete_name: ``"Company, Name"`` for a contact of a company, else the name; also for the contacts."""
    contacts = np.nonzero(np.isin(table.col("parent_id"), rows + 1) & table.alive)[0]
    every = np.union1d(rows, contacts)
    parents = table.col("parent_id")[every]
    names, companies = table.values(every, "name"), table.values(every, "is_company")
    p_names = table.values(np.maximum(parents - 1, 0), "name")
    table.assign(every, "complete_name", [f"{pn}, {n or ''}" if p and not c else (n or "")
                                          for p, pn, n, c in zip(parents.tolist(), p_names, names, companies)])
    writer.stamp(table, np.setdiff1d(contacts, rows))


_DRAFT_LABEL = {"out_invoice": "Draft Invoice", "out_refund": "Draft Credit Note", "in_invoice": "Draft Bill",
                "in_refund": "Draft Vendor Credit Note", "out_receipt": "Draft Sales Receipt",
                "in_receipt": "Draft Purchase Receipt", "entry": "Draft Entry"}


def _move_display(writer: Writer, table: Table, rows: np.ndarray) -> None:
    out = []
    for row, name, state, kind in zip(rows.tolist(), table.values(rows, "name"), table.values(rows, "state"),
                                      table.values(rows, "move_type")):
        label = f"{_DRAFT_LABEL.get(kind or 'entry', 'Draft')} " if state == "draft" else ""
        out.append(label + (f"(* {row + 1})" if not name or name == "/" else name))
    table.assign(rows, "display_name", out)


def _generic_display(writer: Writer, table: Table, rows: np.ndarray) -> None:
    """A new record's stored display name: its first non-empty full name, reference or name."""
    spec = table.spec
    candidates = [table.values(rows, name) for name in dict.fromkeys(
        ("complete_name", "reference", spec.rec_name, "name")) if name in spec.fields
        and spec.fields[name].type == "char"]
    if candidates:
        table.assign(rows, "display_name", [next((v for v in values if v), None) for values in zip(*candidates)])


def _rate_display(writer: Writer, table: Table, rows: np.ndarray) -> None:
    """res.currency.rate has no char name: its display name is its date."""
    table.assign(rows, "display_name", [str(v) if v else None for v in
                                        format_dates(table.col("name")[rows], "date")])


Refresher = Callable[["Writer", Table, np.ndarray], None]
#: model → (fields the stored names depend on, function recomputing them)
DISPLAY: dict[str, tuple[frozenset[str], Refresher]] = {
    "product.product": (frozenset({"name", "default_code"}), _product_display),
    "product.template": (frozenset({"name", "default_code"}), _product_display),
    "product.category": (frozenset({"name", "parent_id"}), _category_names),
    "res.partner": (frozenset({"name", "parent_id", "is_company"}), _partner_names),
    "account.move": (frozenset({"name", "state", "move_type"}), _move_display),
    "res.currency.rate": (frozenset({"name"}), _rate_display),
}


def refresh(writer: Writer, table: Table, rows: np.ndarray, names: set[str], created: bool) -> None:
    """Recompute the stored names of ``rows`` that depend on ``names`` and pass changes on to children."""
    model = table.spec.name
    if model in DISPLAY:
        deps, recompute = DISPLAY[model]
        if created or names & deps:
            recompute(writer, table, rows)
            names = names | {"display_name", "complete_name"}
    elif created and "display_name" in table.columns:
        _generic_display(writer, table, rows)
    _propagate(writer, table, rows, names)

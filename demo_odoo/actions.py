"""RPC entry points of the write methods: ``create``, ``write``, ``unlink``, ``action_archive``,
``action_unarchive`` (models with ``active``) and ``action_post`` / ``button_draft`` (account.move).

Return values are Odoo's: ``create`` → id (vals dict) or ids (list), ``write``/``unlink`` → True,
``action_post`` → False, ``button_draft`` and the archive actions → None (no ``result`` key in the
JSON-RPC answer, as from Odoo).  Signatures follow :mod:`.methods`.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Callable

import numpy as np

from .columns import NULL_TS
from .errors import OdooError, user_error
from .generate import move_sequence
from .orm import Database, Table
from .writes import Writer


def create(db: Database, table: Table, uid: int, context: dict[str, Any], vals_list: Any = None) -> Any:
    single = isinstance(vals_list, dict)
    ids = Writer(db, uid, context).create(table, [vals_list] if single else list(vals_list or []))
    return ids[0] if single else ids


def write(db: Database, table: Table, uid: int, context: dict[str, Any], ids: Any = None,
          vals: Any = None) -> bool:
    Writer(db, uid, context).write(table, ids, vals if vals is not None else {})
    return True


def unlink(db: Database, table: Table, uid: int, context: dict[str, Any], ids: Any = None) -> bool:
    Writer(db, uid, context).unlink(table, ids)
    return True


def _set_active(db: Database, table: Table, uid: int, context: dict[str, Any], ids: Any, active: bool) -> None:
    """Toggle the records whose ``active`` differs; a product's template follows its variants."""
    if "active" not in table.spec.fields:
        raise OdooError("builtins.AssertionError", f"No 'active' field on model {table.spec.name}")
    writer = Writer(db, uid, context)
    rows = table.rows_for(ids)
    toggled = rows[table.col("active")[rows] != active]
    if len(toggled):
        writer.write(table, (toggled + 1).tolist(), {"active": active})
    if table.spec.name == "product.product" and len(rows):
        templates = db.tables["product.template"]
        tmpl_ids = np.unique(table.col("product_tmpl_id")[rows])
        tmpl_ids = tmpl_ids[tmpl_ids > 0]
        variants = table.col("product_tmpl_id")
        live = table.alive & table.col("active")
        has_active = np.array([bool((live & (variants == t)).any()) for t in tmpl_ids.tolist()], dtype=bool)
        mismatch = tmpl_ids[templates.col("active")[tmpl_ids - 1] != has_active]
        for tmpl_id in mismatch.tolist():
            writer.write(templates, [tmpl_id], {"active": not bool(templates.col("active")[tmpl_id - 1])})


def action_archive(db: Database, table: Table, uid: int, context: dict[str, Any], ids: Any = None) -> None:
    _set_active(db, table, uid, context, ids, False)


def action_unarchive(db: Database, table: Table, uid: int, context: dict[str, Any], ids: Any = None) -> None:
    _set_active(db, table, uid, context, ids, True)


def action_post(db: Database, table: Table, uid: int, context: dict[str, Any], ids: Any = None) -> bool:
    """Post draft entries: numbered from their journal sequence, sale documents dated today if undated."""
    writer = Writer(db, uid, context)
    lines = db.tables["account.move.line"]
    for row in table.rows_for(ids).tolist():
        name, state, kind, invoice_date = (table.values(np.array([row]), f)[0]
                                           for f in ("name", "state", "move_type", "invoice_date"))
        if state == "posted":
            raise user_error(f"The entry {name} (id {row + 1}) is already posted.")
        mine = (lines.col("move_id") == row + 1) & lines.alive
        if not (mine & ~lines.col("display_type").mask(lambda v: v in ("line_section", "line_note"),
                                                           False)).any():
            raise user_error("You need to add a line before posting.")
        kind = kind or "entry"
        vals: dict[str, Any] = {"state": "posted"}
        if kind != "entry" and invoice_date == NULL_TS:
            if not kind.startswith("out_"):
                raise user_error("The Bill/Refund date is required to validate this document.")
            vals["invoice_date"] = vals["date"] = writer.today
        if not name or name == "/":
            day = vals.get("date") or db.read_rows(table, np.array([row]), ["date"])[0]["date"]
            vals["name"] = _next_name(table, kind, date.fromisoformat(day))
        writer.write(table, [row + 1], vals)
    return False


def _next_name(table: Table, move_type: str, day: date) -> str:
    prefix, width = move_sequence(move_type, day)
    used = [int(v[len(prefix) + 1:]) for v in table.col("name").values.tolist()
            if v.startswith(prefix + "/") and v[len(prefix) + 1:].isdigit()]
    return f"{prefix}/{max(used, default=0) + 1:0{width}d}"


def button_draft(db: Database, table: Table, uid: int, context: dict[str, Any], ids: Any = None) -> None:
    rows = table.rows_for(ids)
    if any(state not in ("posted", "cancel") for state in table.values(rows, "state")):
        raise user_error("Only posted/cancelled journal entries can be reset to draft.")
    if len(rows):
        Writer(db, uid, context).write(table, (rows + 1).tolist(), {"state": "draft"})


#: method → (positional parameter names, handler, models it exists on or None for every model)
WRITE_METHODS: dict[str, tuple[tuple[str, ...], Callable[..., Any], tuple[str, ...] | None]] = {
    "create": (("vals_list",), create, None),
    "write": (("ids", "vals"), write, None),
    "unlink": (("ids",), unlink, None),
    "action_archive": (("ids",), action_archive, None),
    "action_unarchive": (("ids",), action_unarchive, None),
    "action_post": (("ids",), action_post, ("account.move",)),
    "button_draft": (("ids",), button_draft, ("account.move",)),
}

"""Odoo-shaped ``create``, ``write`` and ``unlink`` on the columnar tables.

As over Odoo's RPC: ``create`` takes a vals dict (→ id) or a list of them (→ ids); unknown
fields raise ``ValueError("Invalid field 'f' on model 'm'")``; ``id``, ``parent_path``,
``display_name`` and the log-access fields a client sends are ignored: ``create_date`` /
``write_date`` take the server's current UTC time, ``create_uid`` / ``write_uid`` the caller.
Values are what Odoo accepts: many2one ids, dates as ``YYYY-MM-DD[ HH:MM:SS]`` strings (UTC),
many2many commands ``(3|4, id)``, ``(5,)``, ``(6, 0, ids)`` or a plain list of ids (= set),
one2many commands ``(0, 0, vals)``, ``(1, id, vals)``, ``(2, id)`` and ``(4, id)``.
``unlink`` follows the many2one ``ondelete`` policies (cascade, restrict → ValidationError,
set null).  Model behaviour (defaults, related fields, names) comes from :mod:`.rules`.
The caller holds :attr:`Database.lock`.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import rules
from .columns import NULL_TS, STRING_TYPES, format_dates, parse_date, parse_datetime
from .errors import OdooError, validation_error, value_error
from .orm import Database, Table
from .schema import Field, ModelSpec

IGNORED = frozenset({"id", "parent_path", "display_name", "__last_update", "create_uid", "create_date",
                     "write_uid", "write_date"})
_CHECKED_REQUIRED = STRING_TYPES + ("many2one", "date", "datetime")


class Writer:
    """One model-method call's changes: the caller, its context and one timestamp for all of them."""

    def __init__(self, db: Database, uid: int, context: dict[str, Any], now: int | None = None) -> None:
        self.db = db
        self.uid = uid
        self.context = dict(context or {})
        self.now = db.now() if now is None else now
        self.now_text = str(format_dates(np.array([self.now]), "datetime")[0])
        self.today = rules.today_text(self.now)

    def with_context(self, **values: Any) -> "Writer":
        return Writer(self.db, self.uid, {**self.context, **values}, self.now)

    def table(self, model: str) -> Table:
        return self.db.tables[model]

    def stamp(self, table: Table, rows: np.ndarray, created: bool = False) -> None:
        """Set the log-access fields of ``rows`` as Odoo does on every create / write."""
        names = ("create_date", "create_uid", "write_date", "write_uid") if created else ("write_date", "write_uid")
        for name in names:
            if name in table.spec.fields and len(rows):
                table.assign(rows, name, [self.now if name.endswith("date") else self.uid] * len(rows))

    # ------------------------------------------------------------ create
    def create(self, table: Table, items: list[dict[str, Any]]) -> list[int]:
        """Insert one record per vals dict; return the new ids."""
        spec = table.spec
        batch: list[tuple[dict[str, Any], dict[str, Any], set[str]]] = []
        for vals in items:
            plain, x2many = self._split(spec, vals)
            complete = rules.defaults(self, table, plain)
            converted = {name: self.convert(spec, name, value, []) for name, value in complete.items()}
            self._check_required(spec, converted, set(spec.fields) - rules.filled_later(table, complete))
            rules.check_values(self, table, None, converted)
            batch.append((converted, x2many, set(plain)))
        if not batch:
            return []
        rows = table.grow(len(batch))
        for name in dict.fromkeys(name for converted, _, _ in batch for name in converted):
            picked = [k for k, (converted, _, _) in enumerate(batch) if name in converted]
            table.assign(rows[picked], name, [batch[k][0][name] for k in picked])
        self.stamp(table, rows, created=True)
        rules.after_create(self, table, rows, [given for _, _, given in batch])
        for row, (_, x2many, _) in zip(rows.tolist(), batch):
            self._one2many(table, row + 1, x2many)
        self.db.touched()
        return (rows + 1).tolist()

    # ------------------------------------------------------------ write
    def write(self, table: Table, ids: Any, vals: dict[str, Any]) -> None:
        """Write ``vals`` on the records ``ids``."""
        rows = table.rows_for(ids)
        if not len(rows):
            return
        spec = table.spec
        plain, x2many = self._split(spec, vals)
        converted = {name: self.convert(spec, name, value, []) for name, value in plain.items()
                     if spec.fields[name].type != "many2many"}
        self._check_required(spec, converted, set(converted))
        rules.check_values(self, table, rows, converted)
        for name, value in converted.items():
            table.assign(rows, name, [value] * len(rows))
        for name, value in plain.items():
            if spec.fields[name].type == "many2many":
                table.assign(rows, name, [self.convert(spec, name, value, current)
                                          for current in table.values(rows, name)])
        self.stamp(table, rows)
        rules.after_write(self, table, rows, set(plain))
        for row in rows.tolist():
            self._one2many(table, row + 1, x2many)
        self.db.touched()

    # ------------------------------------------------------------ unlink
    def unlink(self, table: Table, ids: Any) -> None:
        """Delete the records ``ids`` with their cascades; restricted references raise ValidationError."""
        doomed: dict[str, np.ndarray] = {}
        pending = [(table.spec.name, table.rows_for(ids) + 1)]
        pending += list(rules.unlink_also(self, table, pending[0][1]).items())
        while pending:
            model, new = pending.pop()
            new = np.setdiff1d(new, doomed.get(model, []))
            if not len(new):
                continue
            doomed[model] = np.union1d(doomed.get(model, np.zeros(0, dtype=np.int64)), new)
            for child, f in self._references(model):
                if rules.ondelete(child.spec.name, f) == "cascade":
                    hit = np.isin(child.column(f), new) & child.alive
                    pending.append((child.spec.name, child.ids[hit]))
        nulls = []
        for model, gone in doomed.items():
            for child, f in self._references(model):
                hit = np.isin(child.column(f), gone) & child.alive
                hit &= ~np.isin(child.ids, doomed.get(child.spec.name, []))
                if not hit.any():
                    continue
                if rules.ondelete(child.spec.name, f) == "restrict":
                    raise _foreign_key_error(child.spec, f)
                nulls.append((child, f, np.nonzero(hit)[0]))
        for child, f, rows in nulls:
            child.assign(rows, f.name, [0] * len(rows))
        for model, gone in doomed.items():
            for other in self.db.tables.values():
                for f in other.spec.fields.values():
                    if f.type == "many2many" and f.relation == model and f.name in other.columns:
                        other.columns[f.name].drop_ids(gone)
            self.table(model).alive[gone - 1] = False
        rules.after_unlink(self, doomed)
        self.db.touched()

    def _references(self, model: str) -> list[tuple[Table, Field]]:
        """Stored many2one fields pointing at ``model``."""
        return [(t, f) for t in self.db.tables.values() for f in t.spec.fields.values()
                if f.type == "many2one" and f.relation == model and f.store]

    # ------------------------------------------------------------ values
    def _split(self, spec: ModelSpec, vals: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """(stored values, one2many commands) of a client's vals; unknown fields raise ValueError."""
        if not isinstance(vals, dict):
            raise value_error(f"Invalid values {vals!r} for model {spec.name!r}: a dict is expected")
        plain: dict[str, Any] = {}
        x2many: dict[str, Any] = {}
        for name, value in vals.items():
            f = spec.fields.get(name)
            if f is None:
                raise value_error(f"Invalid field {name!r} on model {spec.name!r}")
            if name in IGNORED:
                continue
            (x2many if f.type == "one2many" else plain)[name] = value
        return plain, x2many

    def convert(self, spec: ModelSpec, name: str, value: Any, current: list[int]) -> Any:
        """A client's value for ``spec.name`` as stored (see :mod:`.columns`); many2many relative to ``current``."""
        f = spec.fields[name]
        kind = f.type
        if kind == "many2many":
            return _many2many(spec, f, value, current)
        unset = value is False or value is None
        try:
            if kind in STRING_TYPES:
                if not unset and kind == "selection" and value not in {k for k, _ in f.selection or ()}:
                    raise value_error(f"Wrong value for {spec.name}.{name}: {value!r}")
                return None if unset else str(value)
            if kind == "boolean":
                return bool(value)
            if kind in ("float", "monetary"):
                return 0.0 if unset else float(value)
            if kind in ("date", "datetime"):
                if unset:
                    return NULL_TS
                if not isinstance(value, str):
                    raise ValueError(f"expected a string, got {value!r}")
                return parse_date(value) if kind == "date" else parse_datetime(value)
            if kind == "many2one":
                return 0 if unset else self._many2one(spec, f, value)
            return 0 if unset else int(value)
        except (TypeError, ValueError) as exc:
            raise value_error(f"Wrong value for {spec.name}.{name}: {value!r} ({exc})") from exc

    def _many2one(self, spec: ModelSpec, f: Field, value: Any) -> int:
        if type(value) is not int:
            raise ValueError("a record id is expected")
        if not self.table(str(f.relation)).existing(np.array([value])).all():
            raise _foreign_key_error(spec, f)
        return value

    def _check_required(self, spec: ModelSpec, converted: dict[str, Any], names: set[str]) -> None:
        for f in sorted(spec.fields.values(), key=lambda f: f.type != "many2one"):  # parents first, stable
            name = f.name
            if name not in names or not f.required or not f.store or f.type not in _CHECKED_REQUIRED:
                continue
            if converted.get(name) in (None, 0, NULL_TS):
                raise validation_error(
                    "The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n"
                    "- Delete: another model requires the record being deleted. If possible, archive it instead."
                    f"\n\nModel: {spec.description} ({spec.name})\nField: {f.string} ({f.name})\n")

    def _one2many(self, table: Table, record_id: int, x2many: dict[str, Any]) -> None:
        """Apply one2many commands for the record ``record_id``."""
        for name, commands in x2many.items():
            f = table.spec.fields[name]
            child = self.table(str(f.relation))
            inverse = str(f.relation_field)
            for command in commands or []:
                if not isinstance(command, (list, tuple)) or not command:
                    raise value_error(f"Invalid one2many command {command!r} for {table.spec.name}.{name}")
                code = command[0]
                if code == 0:
                    self.create(child, [{**command[2], inverse: record_id}])
                elif code == 1:
                    self.write(child, [command[1]], command[2])
                elif code == 2:
                    self.unlink(child, [command[1]])
                elif code == 4:
                    self.write(child, [command[1]], {inverse: record_id})
                else:
                    raise value_error(f"Unsupported one2many command {command!r} for {table.spec.name}.{name}")


def _many2many(spec: ModelSpec, f: Field, value: Any, current: list[int]) -> list[int]:
    if value is False or value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise value_error(f"Wrong value for {spec.name}.{f.name}: {value!r}")
    if all(type(v) is int for v in value):
        return list(dict.fromkeys(value))
    ids = list(current)
    for command in value:
        code = command[0] if isinstance(command, (list, tuple)) and command else None
        if code in (3, 2):
            ids = [i for i in ids if i != command[1]]
        elif code == 4:
            ids = ids if command[1] in ids else ids + [command[1]]
        elif code == 5:
            ids = []
        elif code == 6:
            ids = list(dict.fromkeys(command[2]))
        else:
            raise value_error(f"Unsupported many2many command {command!r} for {spec.name}.{f.name}")
    return ids


def _foreign_key_error(spec: ModelSpec, f: Field) -> OdooError:
    """Odoo's message for a foreign-key violation (insert of a missing id, or a restricted delete)."""
    return validation_error(
        "The operation cannot be completed: another model requires the record being deleted. "
        "If possible, archive it instead.\n\n"
        f"Model: {spec.description} ({spec.name})\nConstraint: {spec.name.replace('.', '_')}_{f.name}_fkey\n")

"""Columnar tables with Odoo ORM semantics.

Each model is a :class:`Table`: record ids are ``1..n`` (row ``id - 1``) and every stored
field is one column (encodings in :mod:`.columns`; one2many fields are not stored but derived
from the comodel's inverse many2one).  Domains are evaluated vectorised over whole columns (no
per-record Python loop), ``order`` uses ``np.lexsort`` on the matching rows only, and dict rows
are built just for the records a call returns.

Tables grow by appending rows (:meth:`Table.grow`) and records are deleted by clearing their
bit in :attr:`Table.alive`, so ids are never reused and every search ignores deleted rows.
Whoever changes a table holds :attr:`Database.lock` and calls :meth:`Database.touched`.
"""
from __future__ import annotations

import re
import threading
import time
from typing import Any, Callable, Sequence

import numpy as np

from . import columns as C
from .columns import BIG, NULL_TS, M2MCol, StrCol, format_dates, parse_date, parse_datetime
from .errors import missing_error, value_error
from .schema import Field, ModelSpec

__all__ = ["Database", "M2MCol", "NULL_TS", "StrCol", "Table", "check_fields", "normalize_domain"]

OPERATORS = ("=", "!=", "<=", "<", ">", ">=", "=?", "=like", "=ilike", "like", "not like", "ilike",
             "not ilike", "in", "not in", "child_of", "parent_of")
_NEGATIVE = ("!=", "not like", "not ilike", "not in")


class Table:
    """One model's records: ids ``1..n`` and a column per stored field."""

    def __init__(self, spec: ModelSpec, n: int, columns: dict[str, Any]) -> None:
        self.spec = spec
        self.n = n
        self.columns = columns
        self.ids = np.arange(1, n + 1, dtype=np.int64)
        self.alive = np.ones(n, dtype=bool)
        self._default_rank: np.ndarray | None = None
        for name in columns:
            if name not in spec.fields:
                raise KeyError(f"{spec.name}: column {name} is not a field")

    def grow(self, count: int) -> np.ndarray:
        """Append ``count`` rows with every field unset; return their row numbers."""
        for name, col in self.columns.items():
            self.columns[name] = C.grow(col, self.spec.fields[name], count)
        rows = np.arange(self.n, self.n + count, dtype=np.int64)
        self.n += count
        self.ids = np.arange(1, self.n + 1, dtype=np.int64)
        self.alive = np.concatenate([self.alive, np.ones(count, dtype=bool)])
        self._default_rank = None
        return rows

    def assign(self, rows: np.ndarray, name: str, values: Sequence[Any]) -> None:
        """Set field ``name`` of ``rows`` (distinct) to storage ``values``."""
        C.assign(self.col(name), rows, values)
        self._default_rank = None

    def values(self, rows: np.ndarray, name: str) -> list[Any]:
        """Storage values of field ``name`` for ``rows``."""
        return C.storage_values(self.col(name), rows)

    def existing(self, ids: np.ndarray) -> np.ndarray:
        """Which of ``ids`` are records that exist (not deleted)."""
        ok = (ids >= 1) & (ids <= self.n)
        ok[ok] = self.alive[ids[ok] - 1]
        return ok

    def rows_for(self, ids: Any) -> np.ndarray:
        """Rows of the records ``ids`` (an id or a list; duplicates dropped, order kept).

        Raises Odoo's MissingError when one of them does not exist or was deleted.
        """
        if isinstance(ids, int) and not isinstance(ids, bool):
            ids = [ids]
        elif ids is None or ids is False:
            ids = []
        if not isinstance(ids, (list, tuple)) or not all(isinstance(i, int) and not isinstance(i, bool)
                                                         for i in ids):
            raise value_error(f"Invalid record ids {ids!r} for model {self.spec.name!r}")
        arr = np.array(list(dict.fromkeys(ids)), dtype=np.int64)
        bad = arr[~self.existing(arr)]
        if len(bad):
            raise missing_error("Record does not exist or has been deleted.\n"
                                f"(Record: {self.spec.name}({', '.join(map(str, bad.tolist()))},), User: 2)")
        return arr - 1

    def column(self, f: Field) -> Any:
        """Stored column for ``f``; absent columns read as unset."""
        col = self.columns.get(f.name)
        if col is None:
            col = C.empty_column(f, self.n)
            self.columns[f.name] = col
        return col

    def col(self, name: str) -> Any:
        """The column of field ``name`` (created unset when the data never set it)."""
        return self.column(self.spec.fields[name])

    def display_names(self, rows: np.ndarray) -> list[Any]:
        for name in ("display_name", self.spec.rec_name, "name"):
            col = self.columns.get(name)
            if isinstance(col, StrCol):
                return col.get(rows)
        return [f"{self.spec.name},{i}" for i in (rows + 1).tolist()]


def _like_predicate(pattern: str, op: str) -> Any:
    """Predicate for SQL (i)like semantics; ``like``/``ilike`` wrap the value in ``%``."""
    insensitive = "ilike" in op
    wrapped = not op.startswith("=")
    if wrapped and "%" not in pattern and "_" not in pattern:
        needle = pattern.lower() if insensitive else pattern
        if insensitive:
            return lambda v: needle in v.lower()
        return lambda v: needle in v
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    if wrapped:
        regex = ".*" + regex + ".*"
    compiled = re.compile(regex, re.S | (re.I if insensitive else 0))
    return lambda v: compiled.fullmatch(v) is not None


_COMPARE = {
    "<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
}


def normalize_domain(domain: Sequence[Any]) -> list[Any]:
    """Prefix-notation domain with the implicit ``&`` made explicit."""
    if not domain:
        return []
    result: list[Any] = []
    expected = 1
    for token in domain:
        if expected == 0:
            result.insert(0, "&")
            expected = 1
        if isinstance(token, (list, tuple)):
            if len(token) != 3:
                raise value_error(f"Invalid leaf {token!r}")
            expected -= 1
            token = tuple(token)
        elif token in ("&", "|"):
            expected += 1
        elif token != "!":
            raise value_error(f"Invalid domain term {token!r}")
        result.append(token)
    if expected != 0:
        raise value_error(f"Invalid domain {list(domain)!r}")
    return result


class Database:
    """All tables of the demo database plus the ORM methods clients call."""

    def __init__(self, version: int, schema: dict[str, ModelSpec], tables: dict[str, Table]) -> None:
        self.version = version
        self.schema = schema
        self.tables = tables
        self._inverse: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        #: held by every model method call, so readers never see a half-applied change
        self.lock = threading.RLock()
        #: bumped by every change; lets derived caches know they are stale
        self.generation = 0
        #: the server's clock (UTC epoch seconds); tests may replace it
        self.clock: Callable[[], float] = time.time

    def now(self) -> int:
        """Current UTC time in whole seconds, as Odoo stores ``create_date`` / ``write_date``."""
        return int(self.clock())

    def touched(self) -> None:
        """Forget caches derived from the data after a change."""
        self.generation += 1
        self._inverse.clear()

    # ------------------------------------------------------------ domains
    def domain_mask(self, table: Table, domain: Sequence[Any], context: dict[str, Any]) -> np.ndarray:
        terms = normalize_domain(domain)
        spec = table.spec
        if ("active" in spec.fields and context.get("active_test", True)
                and not any(isinstance(t, tuple) and t[0] == "active" for t in terms)):
            terms = normalize_domain([("active", "=", True)] + terms)
        stack: list[np.ndarray] = []
        for token in reversed(terms):
            if token == "!":
                stack.append(~stack.pop())
            elif token == "&":
                stack.append(stack.pop() & stack.pop())
            elif token == "|":
                stack.append(stack.pop() | stack.pop())
            else:
                stack.append(self._leaf(table, token, context))
        if not stack:
            return table.alive.copy()
        return stack[0] & table.alive

    def _leaf(self, table: Table, leaf: tuple[Any, str, Any], context: dict[str, Any]) -> np.ndarray:
        path, op, value = leaf
        if path in (0, 1) and op == "=" and value == 1:  # Odoo's FALSE_LEAF / TRUE_LEAF
            return np.full(table.n, bool(path), dtype=bool)
        if not isinstance(op, str) or op.lower() not in OPERATORS:
            raise value_error(f"Invalid leaf {list(leaf)!r}")
        op = op.lower()
        if op == "=?":
            if value is None or value is False:
                return np.ones(table.n, dtype=bool)
            op = "="
        spec = table.spec
        head, _, rest = str(path).partition(".")
        f = spec.fields.get(head)
        if f is None:
            raise value_error(f"Invalid field {spec.name}.{head} in leaf {leaf!r}")
        if rest:
            if not f.relation:
                raise value_error(f"Invalid field {spec.name}.{path} in leaf {leaf!r}")
            sub = self.tables[f.relation]
            # Odoo searches the comodel of a many2one path without the active test (16 expression.py, 17
            # expression.py ~1129, 18 fields_relational.py: comodel.with_context(active_test=False)._search);
            # one2many / many2many paths keep the caller's context
            sub_context = {**context, "active_test": False} if f.type == "many2one" else context
            sub_mask = self.domain_mask(sub, [(rest, op, value)], sub_context)
            return self._related_mask(table, f, sub_mask)
        if op in ("child_of", "parent_of"):
            return self._hierarchy(table, f, op, value, context)
        if f.name == "id":
            return self._numeric(table.ids, op, value, leaf)
        if f.type in ("one2many", "many2many"):
            return self._x2many(table, f, op, value, context)
        col = table.column(f)
        if f.type == "many2one":
            if isinstance(value, str) or (isinstance(value, (list, tuple)) and value
                                          and all(isinstance(v, str) for v in value)):
                return self._m2o_by_name(table, f, op, value, context)
            return self._numeric(col, op, value, leaf, null_zero=True)
        if isinstance(col, StrCol):
            return self._string(col, op, value, leaf)
        if f.type in ("date", "datetime"):
            return self._dates(col, f.type, op, value, leaf)
        if f.type == "boolean":
            if op in ("=", "!=") and not isinstance(value, (list, tuple)):
                hit = col == bool(value)
                return hit if op == "=" else ~hit
            return self._numeric(col.astype(np.int64), op, value, leaf)
        return self._numeric(col, op, value, leaf, null_zero=False)

    def _related_mask(self, table: Table, f: Field, sub_mask: np.ndarray) -> np.ndarray:
        if f.type == "many2one":
            return np.concatenate([[False], sub_mask])[table.column(f)]
        if f.type == "many2many":
            col: M2MCol = table.column(f)
            return col.any_row(np.concatenate([[False], sub_mask])[col.flat])
        # one2many: parents of matching children
        child = self.tables[f.relation]
        inverse = child.column(child.spec.fields[f.relation_field])
        hit = np.zeros(table.n + 1, dtype=bool)
        hit[inverse[sub_mask & (inverse > 0) & child.alive]] = True
        return hit[1:]

    def _numeric(self, col: np.ndarray, op: str, value: Any, leaf: Any, null_zero: bool = True) -> np.ndarray:
        """Integer, float and many2one id comparisons (``0`` is unset for ids)."""
        if isinstance(value, (list, tuple)) or op in ("in", "not in"):
            values = list(value) if isinstance(value, (list, tuple)) else [value]
            with_null = any(v is False or v is None for v in values)
            nums = [v for v in values if v is not False and v is not None]
            hit = np.isin(col, np.array(nums, dtype=col.dtype)) if nums else np.zeros(len(col), bool)
            if with_null and null_zero:
                hit |= col == 0
            if op in ("in", "="):
                return hit
            if op in ("not in", "!="):
                return ~hit
            raise value_error(f"Invalid leaf {list(leaf)!r}")
        if value is False or value is None:
            if op == "=":
                return col == 0 if null_zero else np.zeros(len(col), dtype=bool)
            if op == "!=":
                return col != 0 if null_zero else np.ones(len(col), dtype=bool)
            return np.zeros(len(col), dtype=bool)
        if isinstance(value, bool):
            value = int(value)
        if not isinstance(value, (int, float)):
            raise value_error(f"Invalid value {value!r} in leaf {list(leaf)!r}")
        if op == "=":
            return col == value
        if op == "!=":
            return col != value
        if op in _COMPARE:
            hit = _COMPARE[op](col, value)
            return hit & (col != 0) if null_zero else hit
        raise value_error(f"Invalid operator {op!r} for a numeric field in leaf {list(leaf)!r}")

    def _string(self, col: StrCol, op: str, value: Any, leaf: Any) -> np.ndarray:
        if op in ("in", "not in") or isinstance(value, (list, tuple)):
            values = list(value) if isinstance(value, (list, tuple)) else [value]
            with_null = any(v is False or v is None for v in values)
            wanted = {str(v) for v in values if v is not False and v is not None}
            hit = col.mask(lambda v: v in wanted, with_null)
            if op in ("in", "="):
                return hit
            return ~hit
        if value is False or value is None:
            if op in ("=", "like", "ilike", "=like", "=ilike"):
                return col.mask(lambda v: v == "", True)
            if op in ("!=", "not like", "not ilike"):
                return col.mask(lambda v: v != "", False)
            return np.zeros(len(col.codes), dtype=bool)
        text = str(value)
        if op == "=":
            return col.mask(lambda v: v == text, False)
        if op == "!=":
            return col.mask(lambda v: v != text, True)
        if op in ("<", "<=", ">", ">="):
            cmp = {"<": str.__lt__, "<=": str.__le__, ">": str.__gt__, ">=": str.__ge__}[op]
            return col.mask(lambda v: cmp(v, text), False)
        positive = op.replace("not ", "")
        pred = _like_predicate(text, positive)
        hit = col.mask(pred, False)
        return ~hit if op.startswith("not ") else hit

    def _dates(self, col: np.ndarray, kind: str, op: str, value: Any, leaf: Any) -> np.ndarray:
        parse = parse_date if kind == "date" else parse_datetime

        def conv(v: Any) -> int:
            if v is False or v is None:
                return NULL_TS
            if not isinstance(v, str):
                raise value_error(f"Invalid value {v!r} for a {kind} field in leaf {list(leaf)!r}")
            try:
                return parse(v)
            except ValueError as exc:
                raise value_error(f"Invalid {kind} value {v!r} in leaf {list(leaf)!r}") from exc

        null = col == NULL_TS
        if op in ("in", "not in") or isinstance(value, (list, tuple)):
            values = value if isinstance(value, (list, tuple)) else [value]
            hit = np.isin(col, np.array([conv(v) for v in values], dtype=np.int64))
            return hit if op in ("in", "=") else ~hit
        target = conv(value)
        if target == NULL_TS:
            if op == "=":
                return null
            if op == "!=":
                return ~null
            return np.zeros(len(col), dtype=bool)
        if op == "=":
            return col == target
        if op == "!=":
            return col != target
        if op in _COMPARE:
            return _COMPARE[op](col, target) & ~null
        raise value_error(f"Invalid operator {op!r} for a {kind} field in leaf {list(leaf)!r}")

    def _m2o_by_name(self, table: Table, f: Field, op: str, value: Any, context: dict[str, Any]) -> np.ndarray:
        """many2one compared with a string: match the comodel's display name."""
        sub = self.tables[f.relation]
        positive = {"!=": "=", "not like": "like", "not ilike": "ilike", "not in": "in"}.get(op, op)
        name_field = "display_name" if "display_name" in sub.columns else sub.spec.rec_name
        sub_mask = self._string(sub.columns[name_field], positive, value, (name_field, positive, value))
        hit = np.concatenate([[False], sub_mask])[table.column(f)]
        return ~hit if op in _NEGATIVE else hit

    def _x2many(self, table: Table, f: Field, op: str, value: Any, context: dict[str, Any]) -> np.ndarray:
        sub = self.tables[f.relation]
        if value is False or value is None or value == []:
            has_any = self._related_mask(table, f, sub.alive)
            if op in ("=", "in"):
                return ~has_any
            if op in ("!=", "not in"):
                return has_any
        positive = {"!=": "=", "not like": "like", "not ilike": "ilike", "not in": "in"}.get(op, op)
        if isinstance(value, str) or (isinstance(value, (list, tuple)) and value
                                      and all(isinstance(v, str) for v in value)):
            name_field = "display_name" if "display_name" in sub.columns else sub.spec.rec_name
            sub_mask = self._string(sub.columns[name_field], positive, value, (name_field, positive, value))
        else:
            sub_mask = self._numeric(sub.ids, positive, value, (f.name, op, value))
        hit = self._related_mask(table, f, sub_mask)
        return ~hit if op in _NEGATIVE else hit

    def _hierarchy(self, table: Table, f: Field, op: str, value: Any, context: dict[str, Any]) -> np.ndarray:
        target = table if f.name == "id" else self.tables[f.relation]
        if isinstance(value, str):
            roots = target.ids[self._leaf(target, (target.spec.rec_name, "ilike", value), context)]
        else:
            roots = np.array(value if isinstance(value, (list, tuple)) else [value], dtype=np.int64)
        parent_name = "location_id" if target.spec.name == "stock.location" else "parent_id"
        parent_field = target.spec.fields.get(parent_name)
        selected = np.isin(target.ids, roots)
        if parent_field is not None and parent_field.relation == target.spec.name:
            parents = target.column(parent_field)
            if op == "child_of":
                while True:
                    grown = selected | np.concatenate([[False], selected])[parents]
                    if (grown == selected).all():
                        break
                    selected = grown
            else:
                frontier = roots[(roots > 0) & (roots <= target.n)]
                while len(frontier):
                    frontier = parents[frontier - 1]
                    frontier = frontier[(frontier > 0) & ~selected[np.maximum(frontier - 1, 0)]]
                    selected[frontier - 1] = True
        if f.name == "id":
            return selected
        return self._related_mask(table, f, selected)

    # ------------------------------------------------------------ ordering
    def order_rows(self, table: Table, rows: np.ndarray, order: str | None) -> np.ndarray:
        """``rows`` (ascending) sorted by ``order`` (default: the model's ``_order``), then id."""
        spec = table.spec
        terms = _parse_order(order or spec.order, spec, strict=bool(order))
        if not terms or terms == [("id", False)]:
            return rows
        if terms == [("id", True)]:
            return rows[::-1]
        keys: list[np.ndarray] = [rows]
        for name, desc in reversed(terms):
            key = self._sort_key(table, spec.fields[name])[rows]
            keys.append(-key if desc else key)
        return rows[np.lexsort(keys)]

    def _sort_key(self, table: Table, f: Field) -> np.ndarray:
        if f.name == "id":
            return table.ids
        col = table.column(f)
        if isinstance(col, StrCol):
            return col.rank()
        if f.type == "many2one":
            rank = np.concatenate([[BIG], self.default_rank(self.tables[f.relation])])
            return rank[col]
        if f.type in ("date", "datetime"):
            return np.where(col == NULL_TS, BIG, col)
        if f.type == "boolean":
            return col.astype(np.int64)
        if f.type in ("one2many", "many2many"):
            return np.zeros(table.n, dtype=np.int64)
        return col

    def default_rank(self, table: Table) -> np.ndarray:
        """Position of each record in the model's default order."""
        if table._default_rank is None:
            table._default_rank = np.zeros(table.n, dtype=np.int64)
            ordered = self.order_rows(table, np.arange(table.n), None)
            rank = np.empty(table.n, dtype=np.int64)
            rank[ordered] = np.arange(table.n)
            table._default_rank = rank
        return table._default_rank

    # ------------------------------------------------------------ reading
    def one2many(self, table: Table, f: Field, rows: np.ndarray) -> list[list[int]]:
        key = (table.spec.name, f.name)
        if key not in self._inverse:
            child = self.tables[f.relation]
            inverse = child.column(child.spec.fields[f.relation_field])
            keep = (inverse > 0) & child.alive
            if f.domain:
                keep &= self.domain_mask(child, list(f.domain), {"active_test": False})
            child_rows = np.nonzero(keep)[0]
            order = np.argsort(inverse[child_rows], kind="stable")
            sorted_rows = child_rows[order]
            self._inverse[key] = (inverse[sorted_rows], sorted_rows + 1)
        parents, child_ids = self._inverse[key]
        ids = rows + 1
        lo = np.searchsorted(parents, ids, side="left").tolist()
        hi = np.searchsorted(parents, ids, side="right").tolist()
        return [child_ids[a:b].tolist() for a, b in zip(lo, hi)]

    def read_rows(self, table: Table, rows: np.ndarray, fields: list[str], load: str = "_classic_read") -> list[dict[str, Any]]:
        spec = table.spec
        columns: dict[str, list[Any]] = {}
        for name in fields:
            f = spec.fields[name]
            if name == "id":
                continue
            if name == "display_name":
                columns[name] = table.display_names(rows)
            elif name == "__last_update":
                columns[name] = format_dates(table.column(spec.fields["write_date"])[rows], "datetime")
            elif f.type == "one2many":
                columns[name] = self.one2many(table, f, rows)
            elif f.type == "many2many":
                columns[name] = table.column(f).get(rows)
            elif f.type == "many2one":
                ids = table.column(f)[rows]
                if load == "_classic_read":
                    sub = self.tables[f.relation]
                    # an empty comodel (e.g. no mrp.production in a short demo) has no name to look up
                    names = sub.display_names(np.maximum(ids - 1, 0)) if sub.n else [False] * len(ids)
                    columns[name] = [[i, nm] if i else False for i, nm in zip(ids.tolist(), names)]
                else:
                    columns[name] = [i or False for i in ids.tolist()]
            elif f.type in ("date", "datetime"):
                columns[name] = format_dates(table.column(f)[rows], f.type)
            elif isinstance(table.column(f), StrCol):
                columns[name] = table.column(f).get(rows)
            else:
                columns[name] = table.column(f)[rows].tolist()
        ids = (rows + 1).tolist()
        out = []
        for i, rid in enumerate(ids):
            rec: dict[str, Any] = {"id": rid}
            for name, vals in columns.items():
                rec[name] = vals[i]
            out.append(rec)
        return out


def _parse_order(order: str, spec: ModelSpec, strict: bool) -> list[tuple[str, bool]]:
    terms: list[tuple[str, bool]] = []
    for part in order.split(","):
        words = part.strip().split()
        if not words:
            continue
        name = words[0].strip('"')
        direction = words[1].lower() if len(words) > 1 else "asc"
        if direction not in ("asc", "desc") or not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise value_error(f"Invalid \"order\" specified ({order}). A valid \"order\" specification "
                              "is a comma-separated list of valid field names (optionally followed by "
                              "asc/desc for the direction)")
        f = spec.fields.get(name)
        if f is None or f.type in ("one2many", "many2many") or (not f.store and name != "id"):
            if strict:
                raise value_error(f"Invalid field {name!r} on model {spec.name!r}")
            continue
        terms.append((name, direction == "desc"))
    return terms


def check_fields(spec: ModelSpec, fields: list[str] | None) -> list[str]:
    """Field list for a read: all fields when empty; unknown names raise like Odoo."""
    if not fields:
        return list(spec.fields)
    for name in fields:
        if name not in spec.fields:
            raise value_error(f"Invalid field {name!r} on model {spec.name!r}")
    return list(dict.fromkeys(fields))

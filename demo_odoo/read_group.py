"""``read_group`` over RPC, answered the way Odoo 16, 17 and 18 answer it (``odoo/models.py``).

Groups the records matching ``domain`` by stored many2one, selection, char, integer or boolean fields and
aggregates stored numeric (or many2one) fields with ``sum``, ``avg``, ``min``, ``max``, ``count`` or
``count_distinct``. Fields are given as ``'field'`` (the field's default aggregate: ``sum`` for numbers),
``'field:agg'`` or ``'name:agg(field)'``. The answer has, per group: each groupby value (a many2one as
``[id, display_name]``, unset as ``false``), the record count (``__count``, or ``<groupby>_count`` when ``lazy``
groups by the first field only), the aggregates, ``__domain`` (the domain AND one leaf per groupby, combined as
``expression.AND`` does: Odoo 16 puts the group leaves first, 17/18 the domain first) and ``__context`` when
``lazy`` left groupbys over. Groups come ordered by ``orderby`` or by the groupby fields (a many2one by its
comodel's order, unset last), then ``offset`` / ``limit``. Date groupings are not supported by the demo.
"""
from __future__ import annotations

import re
from typing import Any

import numpy as np

from .columns import StrCol
from .errors import value_error
from .orm import Database, Table, normalize_domain
from .schema import Field

FIELD_AGGREGATE = re.compile(r"(\w+)(?::(\w+)(?:\((\w+)\))?)?$")  # as odoo.models.regex_field_agg
NUMERIC = ("integer", "float", "monetary")
GROUPABLE = ("many2one", "selection", "char", "integer", "boolean")
AGGREGATES = ("sum", "avg", "min", "max", "count", "count_distinct")
TRUE_LEAF = (1, "=", 1)

Aggregate = tuple[str, Field, str]  # (key in the answer, field, function)


def _stored(table: Table, name: str) -> Field:
    field = table.spec.fields.get(name)
    if field is None:
        raise value_error(f"Invalid field {name!r} on model {table.spec.name!r}")
    if not field.store or field.name == "id":
        raise value_error(f"Cannot convert {table.spec.name}.{name} to SQL because it is not stored")
    return field


def _groupby_field(table: Table, spec: str) -> Field:
    field = _stored(table, spec)
    if field.type not in GROUPABLE:
        raise value_error(f"The demo server does not group {table.spec.name} by {field.type} field {spec!r}")
    return field


def _aggregates(table: Table, specs: list[str], grouped: list[str]) -> list[Aggregate]:
    """The aggregates a `fields` list asks for (a bare numeric field means its sum, other bare fields nothing)."""
    result: list[Aggregate] = []
    for spec in specs:
        if spec == "__count":
            continue
        match = FIELD_AGGREGATE.match(spec)
        if not match:
            raise value_error(f"Invalid field specification {spec!r}.")
        name, func, fname = match.groups()
        field = table.spec.fields.get(fname or name)
        if field is None:
            raise value_error(f"Invalid field {fname or name!r} on model {table.spec.name!r}")
        if not func:
            if field.store and field.type in NUMERIC and name not in grouped:
                result.append((name, field, "sum"))
            continue
        if func not in AGGREGATES:
            raise value_error(f"Invalid aggregate method {func!r} for {spec!r}.")
        _stored(table, field.name)
        if field.type not in NUMERIC and not (field.type == "many2one" and func.startswith("count")):
            raise value_error(f"The demo server does not aggregate {field.type} field {field.name!r} with {func}")
        result.append((name, field, func))
    return result


def _key_column(table: Table, field: Field, rows: np.ndarray) -> np.ndarray:
    column = table.column(field)
    values = column.codes[rows] if isinstance(column, StrCol) else column[rows]
    return values.astype(np.int64)


def _aggregate(values: np.ndarray, inverse: np.ndarray, groups: int, field: Field, func: str) -> list[Any]:
    present = values != 0 if field.type == "many2one" else np.ones(len(values), dtype=bool)
    counts = np.bincount(inverse[present], minlength=groups)
    if func == "count":
        return counts.tolist()
    if func == "count_distinct":
        pairs = np.unique(np.stack([inverse[present], values[present]], axis=1), axis=0)
        return np.bincount(pairs[:, 0], minlength=groups).tolist() if len(pairs) else [0] * groups
    if func in ("sum", "avg"):
        total = np.bincount(inverse, weights=values.astype(np.float64), minlength=groups)
        if func == "avg":
            return (total / np.maximum(counts, 1)).tolist()
        return total.astype(np.int64).tolist() if field.type == "integer" else total.tolist()
    start = np.inf if func == "min" else -np.inf
    extreme = np.full(groups, start)
    (np.minimum if func == "min" else np.maximum).at(extreme, inverse, values.astype(np.float64))
    return extreme.astype(np.int64).tolist() if field.type == "integer" else extreme.tolist()


def _group_values(db: Database, table: Table, field: Field, firsts: np.ndarray) -> tuple[list[Any], list[Any]]:
    """(value shown in the answer, value in the `__domain` leaf) of each group, from its first record."""
    column = table.column(field)
    if field.type == "many2one":
        ids = column[firsts]
        names = db.tables[field.relation].display_names(np.maximum(ids - 1, 0))
        shown = [[i, name] if i else False for i, name in zip(ids.tolist(), names)]
        return shown, [i or False for i in ids.tolist()]
    values = column.get(firsts) if isinstance(column, StrCol) else column[firsts].tolist()
    return values, values


def _and(domains: list[list[Any]]) -> list[Any]:
    """``odoo.osv.expression.AND``: the domains normalised and joined by '&' (empty ones skipped)."""
    parts = [normalize_domain(domain) for domain in domains if domain and domain != [TRUE_LEAF]]
    flat = [token for part in parts for token in part]
    return ["&"] * (len(parts) - 1) + flat if flat else [TRUE_LEAF]


def _order(db: Database, table: Table, orderby: Any, fields: dict[str, Field], firsts: np.ndarray,
           results: dict[str, list[Any]]) -> np.ndarray:
    """Group positions in `orderby` order (default: the groupby fields ascending)."""
    terms = [term.split() for term in str(orderby).split(",") if term.strip()] if orderby else \
        [[name] for name in fields]
    keys: list[np.ndarray] = [np.arange(len(firsts))]
    for words in reversed(terms):
        name, desc = words[0], len(words) > 1 and words[1].lower() == "desc"
        if name in fields:
            key = db._sort_key(table, fields[name])[firsts].astype(np.float64)
        elif name in results:
            key = np.array(results[name], dtype=np.float64)
        else:
            raise value_error(f"Invalid order term {name!r} for read_group on {table.spec.name!r}")
        keys.append(-key if desc else key)
    return np.lexsort(keys)


def read_group(db: Database, table: Table, uid: int, context: dict[str, Any], domain: Any = None,
               fields: Any = None, groupby: Any = None, offset: Any = 0, limit: Any = None, orderby: Any = False,
               lazy: Any = True) -> list[dict[str, Any]]:
    groupby = [groupby] if isinstance(groupby, str) else list(groupby or [])
    grouped = groupby[:1] if lazy else groupby
    group_fields = {name: _groupby_field(table, name) for name in grouped}
    aggregates = _aggregates(table, list(fields or []), grouped)
    count_key = f"{grouped[0]}_count" if lazy and len(grouped) == 1 else "__count"
    domain = list(domain or [])
    rows = np.nonzero(db.domain_mask(table, domain, context))[0]
    if grouped:
        keys = np.stack([_key_column(table, f, rows) for f in group_fields.values()], axis=1)
        _, first_index, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
        firsts, inverse = rows[first_index], inverse.reshape(-1)
    else:  # no groupby: one group of every matching record, as SQL without GROUP BY
        firsts, inverse = np.zeros(1, dtype=np.int64), np.zeros(len(rows), dtype=np.int64)
    groups = len(firsts)
    results: dict[str, list[Any]] = {count_key: np.bincount(inverse, minlength=groups).tolist()}
    for key, field, func in aggregates:
        results[key] = _aggregate(table.column(field)[rows].astype(np.float64 if field.type in ("float", "monetary")
                                                                    else np.int64), inverse, groups, field, func)
    values = {name: _group_values(db, table, field, firsts) for name, field in group_fields.items()}
    order = _order(db, table, orderby, group_fields, firsts, results)
    start = int(offset or 0)
    order = order[start:start + int(limit)] if limit else order[start:]
    answer = []
    for g in order.tolist():
        row: dict[str, Any] = {name: shown[g] for name, (shown, _) in values.items()}
        row.update({key: result[g] for key, result in results.items()})
        leaves = [[(name, "=", leaf[g])] for name, (_, leaf) in values.items()]
        row["__domain"] = _and(leaves + [domain] if db.version == 16 else [domain] + leaves)
        if len(grouped) < len(groupby):
            row["__context"] = {"group_by": groupby[len(grouped):]}
        answer.append(row)
    return answer

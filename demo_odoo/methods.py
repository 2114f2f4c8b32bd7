"""The model methods callable over RPC (``execute`` / ``execute_kw`` / ``call_kw``).

Arguments are bound the way ``odoo.api.call_kw`` does: positional ``args``
first, then keyword ``kwargs``; ``context`` travels in ``kwargs``.  Record
methods (``read``, ``name_get``, ``write``, ``unlink``, the actions) take the ids as
first positional argument.  Every call runs under :attr:`Database.lock`; the write
methods live in :mod:`.actions`.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .actions import WRITE_METHODS
from .errors import access_error, attribute_error, type_error, user_error
from .orm import Database, Table, check_fields
from .read_group import read_group

SIGNATURES: dict[str, tuple[str, ...]] = {
    "search": ("domain", "offset", "limit", "order", "count"),
    "search_read": ("domain", "fields", "offset", "limit", "order", "load"),
    "search_count": ("domain", "limit"),
    "read": ("ids", "fields", "load"),
    "fields_get": ("allfields", "attributes"),
    "name_get": ("ids",),
    "name_search": ("name", "args", "operator", "limit"),
    "context_get": (),
    "check_access_rights": ("operation", "raise_exception"),
    "default_get": ("fields_list",),
    "read_group": ("domain", "fields", "groupby", "offset", "limit", "orderby", "lazy"),
}
SIGNATURES.update({name: params for name, (params, _, _) in WRITE_METHODS.items()})


def call(db: Database, uid: int, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """Run ``model.method(*args, **kwargs)`` on the demo database."""
    table = db.tables.get(model)
    if table is None:
        raise user_error(f"Object {model} doesn't exist")
    if method.startswith("_"):
        raise access_error(f"Private methods (such as {model}.{method}) cannot be called remotely.")
    if method == "copy":
        raise access_error(f"The demo database does not support {model}.copy.")
    only_on = WRITE_METHODS[method][2] if method in WRITE_METHODS else None
    available = method in SIGNATURES and not (method == "name_get" and db.version >= 17) \
        and not (method == "context_get" and model != "res.users") and (only_on is None or model in only_on)
    if not available:
        raise attribute_error(f"The method '{method}' does not exist on the model '{model}'")
    params = dict(kwargs or {})
    context = params.pop("context", None) or {}
    names = SIGNATURES[method]
    if len(args) > len(names):
        raise type_error(f"{method}() takes {len(names) + 1} positional arguments but {len(args) + 1} were given")
    for name, value in zip(names, args):
        if name in params:
            raise type_error(f"{method}() got multiple values for argument '{name}'")
        params[name] = value
    unknown = set(params) - set(names)
    if unknown:
        raise type_error(f"{method}() got an unexpected keyword argument '{sorted(unknown)[0]}'")
    handler: Callable[..., Any] = _HANDLERS[method]
    with db.lock:
        return handler(db, table, uid, context, **params)


def _search_rows(db: Database, table: Table, context: dict[str, Any], domain: Any, offset: Any,
                 limit: Any, order: Any) -> np.ndarray:
    mask = db.domain_mask(table, list(domain or []), context)
    rows = db.order_rows(table, np.nonzero(mask)[0], order or None)
    start = int(offset or 0)
    if limit is None or limit is False:
        return rows[start:]
    return rows[start:start + int(limit)]


def _search(db: Database, table: Table, uid: int, context: dict[str, Any], domain: Any = None,
            offset: Any = 0, limit: Any = None, order: Any = None, count: bool = False) -> Any:
    if count:
        return int(db.domain_mask(table, list(domain or []), context).sum())
    return (_search_rows(db, table, context, domain, offset, limit, order) + 1).tolist()


def _search_read(db: Database, table: Table, uid: int, context: dict[str, Any], domain: Any = None,
                 fields: Any = None, offset: Any = 0, limit: Any = None, order: Any = None,
                 load: Any = "_classic_read") -> Any:
    names = check_fields(table.spec, fields)
    rows = _search_rows(db, table, context, domain, offset, limit, order)
    return db.read_rows(table, rows, names, load or "_classic_write")


def _search_count(db: Database, table: Table, uid: int, context: dict[str, Any], domain: Any = None,
                  limit: Any = None) -> int:
    total = int(db.domain_mask(table, list(domain or []), context).sum())
    return min(total, int(limit)) if limit else total


def _read(db: Database, table: Table, uid: int, context: dict[str, Any], ids: Any = None,
          fields: Any = None, load: str = "_classic_read") -> Any:
    names = check_fields(table.spec, fields)
    return db.read_rows(table, table.rows_for(ids), names, load or "_classic_write")


def _fields_get(db: Database, table: Table, uid: int, context: dict[str, Any], allfields: Any = None,
                attributes: Any = None) -> dict[str, Any]:
    wanted = allfields or list(table.spec.fields)
    return {name: f.describe(attributes) for name, f in table.spec.fields.items() if name in wanted}


def _name_get(db: Database, table: Table, uid: int, context: dict[str, Any], ids: Any = None) -> Any:
    rows = table.rows_for(ids)
    return [[i, name] for i, name in zip((rows + 1).tolist(), table.display_names(rows))]


def _name_search(db: Database, table: Table, uid: int, context: dict[str, Any], name: str = "",
                 args: Any = None, operator: str = "ilike", limit: Any = 100) -> Any:
    domain = list(args or [])
    if name:
        rec = "display_name" if "display_name" in table.columns else table.spec.rec_name
        domain = ["&", (rec, operator, name)] + (domain or [(1, "=", 1)])
    rows = _search_rows(db, table, context, domain, 0, limit, None)
    return [[i, nm] for i, nm in zip((rows + 1).tolist(), table.display_names(rows))]


def _context_get(db: Database, table: Table, uid: int, context: dict[str, Any]) -> dict[str, Any]:
    return {"lang": "en_US", "tz": "Asia/Jakarta", "uid": uid}


def _check_access_rights(db: Database, table: Table, uid: int, context: dict[str, Any],
                         operation: str = "read", raise_exception: bool = True) -> bool:
    return True  # the demo user is an administrator


def _default_get(db: Database, table: Table, uid: int, context: dict[str, Any],
                 fields_list: Any = None) -> dict[str, Any]:
    return {}


_HANDLERS: dict[str, Callable[..., Any]] = {
    "search": _search, "search_read": _search_read, "search_count": _search_count, "read": _read,
    "fields_get": _fields_get, "name_get": _name_get, "name_search": _name_search,
    "context_get": _context_get, "check_access_rights": _check_access_rights,
    "default_get": _default_get, "read_group": read_group,
    **{name: handler for name, (_, handler, _) in WRITE_METHODS.items()},
}

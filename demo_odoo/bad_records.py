"""Odd POS records in read answers: the ``bad_records`` fault knob.

With ``bad_records = [kind0, kind1, ...]``, ``search_read`` / ``read`` answers on pos.order,
pos.order.line and pos.payment are altered for one *target order* per kind and business day:
kind ``i`` hits the ``i``-th order, by ascending id, among the day's sale orders (state paid,
done or invoiced).  The business day is the order's ``date_order`` in Asia/Jakarta; targets come
from the database, not from the answer, so the same order is hit in the order, line and payment
answers of a day whatever the paging.  The target line / payment is the order's first line /
first non-change payment (lowest id).  A duplicated row follows its original in the same answer
(same id), so id-keyset paging is not shifted.

Every alteration actually served is logged per kind and day (:meth:`BadRecords.report`).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

import numpy as np

from .columns import NULL_TS, format_dates
from .generate import DAY, TZ_OFFSET
from .orm import Database

KINDS = ("wrong_day", "duplicate_identical", "duplicate_conflicting", "duplicate_payment", "unbalanced_order",
         "unbalanced_payments", "absurd_amount", "null_amount", "non_numeric_amount", "unknown_product",
         "unknown_payment_method")
MODELS = ("pos.order", "pos.order.line", "pos.payment")
SALE_STATES = ("paid", "done", "invoiced")
GHOST_PRODUCT = (987654321, "Ghost product")
GHOST_PAYMENT_METHOD = (987654321, "Ghost payment method")
ABSURD_FACTOR = 1e9
#: kind → model whose records carry the oddity (absurd_amount also adjusts its order and a payment)
KIND_MODEL = {"wrong_day": "pos.order", "unbalanced_order": "pos.order", "duplicate_payment": "pos.payment",
              "unbalanced_payments": "pos.payment", "unknown_payment_method": "pos.payment"}


@dataclass(frozen=True)
class Target:
    """Where one kind strikes on one business day."""

    kind: str
    day: str
    model: str
    order_id: int
    line_id: int | None
    payment_id: int | None


@dataclass
class _Plan:
    """Per order id (index = id): rank among its day's sale orders (-1: none), local day, first line/payment."""

    generation: int
    rank: np.ndarray
    day: np.ndarray
    first_line: np.ndarray
    first_payment: np.ndarray


class BadRecords:
    """Target selection, alteration of answers and the log of what was served; callers hold ``db.lock``."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._plan: _Plan | None = None
        self._served: dict[tuple[str, str], Target] = {}

    def reset(self) -> None:
        self._served.clear()

    # ------------------------------------------------------------ targets
    def plan(self) -> _Plan:
        if self._plan is None or self._plan.generation != self.db.generation:
            self._plan = self._build_plan()
        return self._plan

    def _build_plan(self) -> _Plan:
        orders = self.db.tables["pos.order"]
        dates = orders.col("date_order")
        sale = orders.alive & orders.col("state").mask(lambda v: v in SALE_STATES, False) & (dates != NULL_TS)
        day = np.where(dates == NULL_TS, -1, (dates + TZ_OFFSET) // DAY)
        rows = np.nonzero(sale)[0]
        ordered = rows[np.lexsort((rows, day[rows]))]
        days = day[ordered]
        rank = np.full(orders.n + 1, -1, dtype=np.int64)
        rank[ordered + 1] = np.arange(len(ordered)) - np.searchsorted(days, days, side="left")
        lines, payments = self.db.tables["pos.order.line"], self.db.tables["pos.payment"]
        first_payment = _first_child(payments, "pos_order_id", orders.n, payments.alive)
        regular = _first_child(payments, "pos_order_id", orders.n, payments.alive & ~payments.col("is_change"))
        return _Plan(self.db.generation, rank, np.concatenate([[-1], day]),
                     _first_child(lines, "order_id", orders.n, lines.alive),
                     np.where(regular > 0, regular, first_payment))

    def target(self, kind: str, order_id: int) -> Target:
        plan = self.plan()
        model = KIND_MODEL.get(kind, "pos.order.line")
        line = int(plan.first_line[order_id]) or None
        payment = int(plan.first_payment[order_id]) or None
        return Target(kind, _day_text(int(plan.day[order_id])), model, order_id,
                      line if model == "pos.order.line" else None,
                      payment if model == "pos.payment" or kind == "absurd_amount" else None)

    def targets_of_day(self, day: str, kinds: list[str]) -> dict[str, dict[str, Any]]:
        """The targets of ``kinds`` on the business day ``day`` (``YYYY-MM-DD``), served or not."""
        plan = self.plan()
        number = (datetime.fromisoformat(day) - datetime(1970, 1, 1)).days
        found = {}
        for rank, kind in enumerate(kinds):
            hit = np.nonzero((plan.day == number) & (plan.rank == rank))[0]
            if len(hit):
                found[kind] = _entry(self.target(kind, int(hit[0])))
        return found

    # ------------------------------------------------------------ answers
    def apply(self, model: str, records: Any, kinds: list[str]) -> Any:
        """``records`` (a search_read / read answer on ``model``) with the oddities of ``kinds``."""
        if not kinds or model not in MODELS or not isinstance(records, list) or not records:
            return records
        plan = self.plan()
        ids = np.array([rec["id"] for rec in records], dtype=np.int64)
        order_ids = self._order_ids(model, ids)
        out: list[dict[str, Any]] = []
        for rec, order_id in zip(records, order_ids.tolist()):
            out.append(rec)
            rank = int(plan.rank[order_id])
            if 0 <= rank < len(kinds):
                target = self.target(kinds[rank], order_id)
                changed, extra = _ALTER[target.kind](self, target, model, rec)
                if changed:
                    self._served.setdefault((target.kind, target.day), target)
                if extra is not None:
                    out.append(extra)
        return out

    def _order_ids(self, model: str, ids: np.ndarray) -> np.ndarray:
        if model == "pos.order":
            return ids
        table = self.db.tables[model]
        return table.col("order_id" if model == "pos.order.line" else "pos_order_id")[ids - 1]

    def absurd_delta(self, target: Target) -> tuple[float, float]:
        """How much ×1e9 on the target line adds to the order total and to its tax."""
        lines = self.db.tables["pos.order.line"]
        row = (target.line_id or 0) - 1
        if row < 0:
            return 0.0, 0.0
        incl, excl = float(lines.col("price_subtotal_incl")[row]), float(lines.col("price_subtotal")[row])
        return _scaled(incl) - incl, (_scaled(incl) - _scaled(excl)) - (incl - excl)

    def report(self, kinds: list[str]) -> dict[str, Any]:
        """Per kind, what was served so far: ``[{"day", "model", "order_id", "line_id", "payment_id"}]``."""
        served: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
        for (kind, _), target in sorted(self._served.items(), key=lambda item: (item[0][1], item[0][0])):
            served.setdefault(kind, []).append(_entry(target))
        return {"kinds": list(kinds), "served": served}


def _entry(target: Target) -> dict[str, Any]:
    """A target as the report shows it: ``{"day", "model", "order_id", "line_id", "payment_id"}``."""
    entry = asdict(target)
    entry.pop("kind")
    return entry


def _first_child(table: Any, parent_field: str, parents: int, keep: np.ndarray) -> np.ndarray:
    """Per parent id (index), the lowest child id among ``keep`` rows (0: none)."""
    rows = np.nonzero(keep)[0]
    owners = table.col(parent_field)[rows]
    first = np.zeros(parents + 1, dtype=np.int64)
    uniq, index = np.unique(owners, return_index=True)
    first[uniq] = rows[index] + 1
    first[0] = 0
    return first


def _day_text(day: int) -> str:
    return str(format_dates(np.array([day]), "date")[0])


def _scaled(value: float) -> float:
    return round(value * ABSURD_FACTOR, 2)


def _set(rec: dict[str, Any], name: str, value: Callable[[Any], Any]) -> bool:
    """Replace ``rec[name]`` by ``value(old)`` when the answer has that field."""
    if name not in rec:
        return False
    rec[name] = value(rec[name])
    return True


def _ghost(ghost: tuple[int, str]) -> Callable[[Any], Any]:
    return lambda old: list(ghost) if isinstance(old, list) else ghost[0]


def _is(target: Target, model: str, rec: dict[str, Any]) -> bool:
    """Is ``rec`` (from an answer on ``model``) a record this target alters?"""
    if model != target.model and target.kind != "absurd_amount":
        return False
    wanted = {"pos.order": target.order_id, "pos.order.line": target.line_id, "pos.payment": target.payment_id}
    return rec["id"] == wanted[model]


Outcome = tuple[bool, "dict[str, Any] | None"]


def _wrong_day(bad: BadRecords, t: Target, model: str, rec: dict[str, Any]) -> Outcome:
    shift = (lambda old: old and (datetime.fromisoformat(old) - timedelta(days=3)).strftime("%Y-%m-%d %H:%M:%S"))
    return model == "pos.order" and _set(rec, "date_order", shift), None


def _duplicate(bad: BadRecords, t: Target, model: str, rec: dict[str, Any]) -> Outcome:
    if not _is(t, model, rec):
        return False, None
    copy = dict(rec)
    if t.kind == "duplicate_conflicting":
        for name in ("qty", "price_subtotal", "price_subtotal_incl"):
            _set(copy, name, lambda old: old * 2 if isinstance(old, (int, float)) else old)
    return True, copy


def _plus_1000(name: str) -> Callable[[BadRecords, Target, str, dict[str, Any]], Outcome]:
    def alter(bad: BadRecords, t: Target, model: str, rec: dict[str, Any]) -> Outcome:
        return _is(t, model, rec) and _set(rec, name, lambda old: round(old + 1000.0, 2)), None
    return alter


def _absurd(bad: BadRecords, t: Target, model: str, rec: dict[str, Any]) -> Outcome:
    if not _is(t, model, rec):
        return False, None
    if model == "pos.order.line":
        hits = [_set(rec, name, _scaled) for name in ("price_unit", "price_subtotal", "price_subtotal_incl")]
        return any(hits), None
    total, tax = bad.absurd_delta(t)
    if model == "pos.payment":
        return _set(rec, "amount", lambda old: round(old + total, 2)), None
    hits = [_set(rec, "amount_total", lambda old: round(old + total, 2)),
            _set(rec, "amount_paid", lambda old: round(old + total, 2)),
            _set(rec, "amount_tax", lambda old: round(old + tax, 2))]
    return any(hits), None


def _replace(name: str, value: Callable[[Any], Any]) -> Callable[[BadRecords, Target, str, dict[str, Any]], Outcome]:
    def alter(bad: BadRecords, t: Target, model: str, rec: dict[str, Any]) -> Outcome:
        return _is(t, model, rec) and _set(rec, name, value), None
    return alter


_ALTER: dict[str, Callable[[BadRecords, Target, str, dict[str, Any]], Outcome]] = {
    "wrong_day": _wrong_day,
    "duplicate_identical": _duplicate,
    "duplicate_conflicting": _duplicate,
    "duplicate_payment": _duplicate,
    "unbalanced_order": _plus_1000("amount_total"),
    "unbalanced_payments": _plus_1000("amount"),
    "absurd_amount": _absurd,
    "null_amount": _replace("price_subtotal_incl", lambda old: False),
    "non_numeric_amount": _replace("price_subtotal_incl", lambda old: "12abc"),
    "unknown_product": _replace("product_id", _ghost(GHOST_PRODUCT)),
    "unknown_payment_method": _replace("payment_method_id", _ghost(GHOST_PAYMENT_METHOD)),
}

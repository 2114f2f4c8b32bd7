"""Column encodings of the columnar tables, how they grow and how rows are (re)assigned.

* integer / many2one: ``int64`` (many2one ``0`` = unset)
* float / monetary: ``float64``; boolean: ``bool``
* char / text / selection: :class:`StrCol` (codes into a value table, ``-1`` = unset)
* date: ``int64`` days since 1970-01-01; datetime: ``int64`` seconds since the epoch
  (UTC); :data:`NULL_TS` = unset
* many2many: :class:`M2MCol` (CSR offsets + flat ids)

*Storage values* are what :func:`assign` takes and :func:`storage_values` returns per row:
``str | None`` for strings, ``list[int]`` for many2many, plain numbers otherwise (dates as the
integers above).
"""
from __future__ import annotations

from datetime import date as date_cls, datetime
from typing import Any, Iterable, Sequence

import numpy as np

from .schema import Field

NULL_TS = np.iinfo(np.int64).min
BIG = np.iinfo(np.int64).max - 1
_EPOCH = datetime(1970, 1, 1)
STRING_TYPES = ("char", "text", "selection", "html")


class StrCol:
    """Dictionary-encoded strings: ``values[codes[i]]`` or unset when ``codes[i] == -1``."""

    __slots__ = ("codes", "values", "_rank", "_index")

    def __init__(self, codes: np.ndarray, values: Sequence[str]) -> None:
        self.codes = np.asarray(codes, dtype=np.int32)
        self.values = np.asarray(values, dtype=object)
        self._rank: np.ndarray | None = None
        self._index: dict[str, int] | None = None

    @classmethod
    def from_list(cls, items: Iterable[str | None]) -> "StrCol":
        index: dict[str, int] = {}
        codes = [(-1 if v is None or v is False else index.setdefault(v, len(index))) for v in items]
        return cls(np.array(codes, dtype=np.int32), list(index))

    @classmethod
    def constant(cls, value: str | None, n: int) -> "StrCol":
        if value is None:
            return cls(np.full(n, -1, dtype=np.int32), [])
        return cls(np.zeros(n, dtype=np.int32), [value])

    def get(self, rows: np.ndarray) -> list[Any]:
        codes = self.codes[rows]
        vals = self.values
        return [vals[c] if c >= 0 else False for c in codes.tolist()]

    def mask(self, predicate: Any, null: bool) -> np.ndarray:
        """Rows whose value satisfies ``predicate`` (called once per distinct value)."""
        per_value = np.fromiter((bool(predicate(v)) for v in self.values), dtype=bool,
                                count=len(self.values))
        return np.append(per_value, null)[self.codes]

    def rank(self) -> np.ndarray:
        """Sort key per row: rank of the value, unset values last."""
        if self._rank is None:
            order = sorted(range(len(self.values)), key=lambda i: self.values[i])
            rank = np.empty(len(self.values) + 1, dtype=np.int64)
            rank[np.array(order, dtype=np.int64)] = np.arange(len(order))
            rank[-1] = BIG
            self._rank = rank[self.codes]
        return self._rank

    def grow(self, count: int) -> None:
        self.codes = np.concatenate([self.codes, np.full(count, -1, dtype=np.int32)])
        self._rank = None

    def assign(self, rows: np.ndarray, values: Sequence[str | None]) -> None:
        """Set ``rows`` to ``values`` (``None`` = unset); new strings extend the value table."""
        if self._index is None:
            self._index = {v: i for i, v in reversed(list(enumerate(self.values.tolist())))}
        index, added = self._index, []
        codes = []
        for value in values:
            if value is None:
                codes.append(-1)
                continue
            code = index.get(value)
            if code is None:
                code = index[value] = len(self.values) + len(added)
                added.append(value)
            codes.append(code)
        if added:
            extra = np.empty(len(added), dtype=object)
            extra[:] = added
            self.values = np.concatenate([self.values, extra])
        self.codes[rows] = np.array(codes, dtype=np.int32)
        self._rank = None

    def storage(self, rows: np.ndarray) -> list[str | None]:
        return [None if v is False else v for v in self.get(rows)]


class M2MCol:
    """many2many ids per row in CSR form."""

    __slots__ = ("offsets", "flat")

    def __init__(self, offsets: np.ndarray, flat: np.ndarray) -> None:
        self.offsets = np.asarray(offsets, dtype=np.int64)
        self.flat = np.asarray(flat, dtype=np.int64)

    @classmethod
    def from_lists(cls, lists: Sequence[Sequence[int]]) -> "M2MCol":
        counts = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
        offsets = np.concatenate([[0], np.cumsum(counts)])
        flat = np.fromiter((i for x in lists for i in x), dtype=np.int64, count=int(offsets[-1]))
        return cls(offsets, flat)

    @classmethod
    def from_single(cls, ids: np.ndarray) -> "M2MCol":
        """One id per row, ``0`` meaning no id."""
        ids = np.asarray(ids, dtype=np.int64)
        has = ids > 0
        return cls(np.concatenate([[0], np.cumsum(has)]), ids[has])

    def get(self, rows: np.ndarray) -> list[list[int]]:
        starts = self.offsets[rows].tolist()
        ends = self.offsets[rows + 1].tolist()
        flat = self.flat
        return [flat[s:e].tolist() for s, e in zip(starts, ends)]

    def any_row(self, hit_per_flat: np.ndarray) -> np.ndarray:
        cum = np.concatenate([[0], np.cumsum(hit_per_flat, dtype=np.int64)])
        return (cum[self.offsets[1:]] - cum[self.offsets[:-1]]) > 0

    def grow(self, count: int) -> None:
        self.offsets = np.concatenate([self.offsets, np.full(count, self.offsets[-1], dtype=np.int64)])

    def assign(self, rows: np.ndarray, lists: Sequence[Sequence[int]]) -> None:
        """Replace the ids of ``rows`` (distinct) by ``lists``; other rows keep theirs, in order."""
        n = len(self.offsets) - 1
        counts = np.diff(self.offsets)
        new_counts = counts.copy()
        new_counts[rows] = [len(x) for x in lists]
        offsets = np.concatenate([[0], np.cumsum(new_counts)])
        changed = np.zeros(n, dtype=bool)
        changed[rows] = True
        flat = np.zeros(int(offsets[-1]), dtype=np.int64)
        flat[~changed[np.repeat(np.arange(n), new_counts)]] = self.flat[~changed[np.repeat(np.arange(n), counts)]]
        for row, ids in zip(np.asarray(rows).tolist(), lists):
            flat[offsets[row]:offsets[row] + len(ids)] = ids
        self.offsets, self.flat = offsets, flat

    def drop_ids(self, ids: np.ndarray) -> np.ndarray:
        """Remove ``ids`` wherever they occur; return the rows that lost one."""
        gone = np.isin(self.flat, ids)
        if not gone.any():
            return np.zeros(0, dtype=np.int64)
        rows = np.nonzero(self.any_row(gone))[0]
        cum = np.concatenate([[0], np.cumsum(~gone)])
        self.offsets, self.flat = cum[self.offsets], self.flat[~gone]
        return rows

    def storage(self, rows: np.ndarray) -> list[list[int]]:
        return self.get(rows)


def empty_column(f: Field, n: int) -> Any:
    """A column of ``n`` unset values for ``f``."""
    if f.type in STRING_TYPES:
        return StrCol.constant(None, n)
    if f.type == "many2many":
        return M2MCol(np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.int64))
    if f.type in ("date", "datetime"):
        return np.full(n, NULL_TS, dtype=np.int64)
    if f.type in ("float", "monetary"):
        return np.zeros(n, dtype=np.float64)
    if f.type == "boolean":
        return np.zeros(n, dtype=bool)
    return np.zeros(n, dtype=np.int64)


def grow(col: Any, f: Field, count: int) -> Any:
    """``col`` with ``count`` unset rows appended (string and many2many columns grow in place)."""
    if isinstance(col, (StrCol, M2MCol)):
        col.grow(count)
        return col
    return np.concatenate([col, empty_column(f, count).astype(col.dtype)])


def assign(col: Any, rows: np.ndarray, values: Sequence[Any]) -> None:
    """Set ``rows`` of ``col`` to storage ``values`` (in place)."""
    if isinstance(col, (StrCol, M2MCol)):
        col.assign(rows, values)
    elif len(rows):
        col[rows] = np.array(values, dtype=col.dtype)


def storage_values(col: Any, rows: np.ndarray) -> list[Any]:
    """Storage values of ``rows`` (what :func:`assign` accepts)."""
    if isinstance(col, (StrCol, M2MCol)):
        return col.storage(rows)
    return col[rows].tolist()


# ---------------------------------------------------------------- value codecs
def parse_date(value: str) -> int:
    return (date_cls.fromisoformat(value[:10]) - date_cls(1970, 1, 1)).days


def parse_datetime(value: str) -> int:
    text = value.strip().replace("T", " ")
    if len(text) == 10:
        text += " 00:00:00"
    return int((datetime.strptime(text[:19], "%Y-%m-%d %H:%M:%S") - _EPOCH).total_seconds())


def format_dates(values: np.ndarray, kind: str) -> list[Any]:
    unit = "D" if kind == "date" else "s"
    null = values == NULL_TS
    text = np.where(null, 0, values).astype(f"datetime64[{unit}]").astype(str).tolist()
    out: list[Any] = []
    for t, isnull in zip(text, null.tolist()):
        out.append(False if isnull else t.replace("T", " "))
    return out

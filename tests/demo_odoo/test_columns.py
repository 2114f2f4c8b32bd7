"""Column growth and row assignment for every encoding (the storage under create / write / unlink)."""
from __future__ import annotations

import numpy as np

from demo_odoo.columns import BIG, NULL_TS, M2MCol, StrCol, assign, grow, storage_values
from demo_odoo.schema import Field


def test_strcol_grows_assigns_new_values_and_reranks() -> None:
    col = StrCol.from_list(["b", None, "a"])
    assert col.rank().tolist() == [1, BIG, 0]  # unset sorts last
    col = grow(col, Field("x", "char", "X"), 2)
    assert col.get(np.arange(5)) == ["b", False, "a", False, False]
    assign(col, np.array([1, 4]), ["c", "a"])
    assert storage_values(col, np.arange(5)) == ["b", "c", "a", None, "a"]
    assert np.argsort(col.rank()[[0, 1, 2]]).tolist() == [2, 0, 1]  # a < b < c, rank recomputed
    assert col.mask(lambda v: v == "a", False).tolist() == [False, False, True, False, True]
    assign(col, np.array([0]), [None])
    assert col.get(np.array([0])) == [False]


def test_m2mcol_grows_assigns_and_drops_ids() -> None:
    col = M2MCol.from_lists([[1, 2], [], [3]])
    col = grow(col, Field("x", "many2many", "X", relation="m"), 2)
    assert col.get(np.arange(5)) == [[1, 2], [], [3], [], []]
    assign(col, np.array([4, 0]), [[7], [2, 5, 6]])
    assert col.get(np.arange(5)) == [[2, 5, 6], [], [3], [], [7]]
    assert col.drop_ids(np.array([5, 3])).tolist() == [0, 2]
    assert col.get(np.arange(5)) == [[2, 6], [], [], [], [7]]


def test_numeric_and_date_columns_grow_with_unset_values() -> None:
    for kind, unset in (("integer", 0), ("many2one", 0), ("float", 0.0), ("boolean", False),
                        ("date", NULL_TS), ("datetime", NULL_TS)):
        col = grow(np.array([5, 6]).astype({"float": float, "boolean": bool}.get(kind, np.int64)),
                   Field("x", kind, "X"), 2)
        assert storage_values(col, np.arange(4))[2:] == [unset, unset], kind
        assign(col, np.array([3]), [1])
        assert storage_values(col, np.array([3])) == [1], kind

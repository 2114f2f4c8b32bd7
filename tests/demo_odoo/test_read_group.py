"""read_group over RPC, shaped as Odoo 16/17/18 answer it (odoo/models.py read_group / _read_group_raw)."""
from __future__ import annotations

from collections import defaultdict

import odoorpc
import pytest

from demo_odoo.server import DemoOdoo

DONE_IN = [("state", "=", "done"), ("location_dest_id.usage", "=", "internal")]
GROUPBY = ["product_id", "location_dest_id", "lot_id"]


def _qty_field(version: int) -> str:
    return "qty_done" if version == 16 else "quantity"


def _m2o_id(value: object) -> int | bool:
    return value[0] if value else False


def _read_group(odoo: odoorpc.ODOO, *args: object, **kwargs: object) -> list[dict]:
    return odoo.execute_kw("stock.move.line", "read_group", list(args), kwargs)


def test_eager_groups_match_the_records(odoo: odoorpc.ODOO, demo_server: DemoOdoo) -> None:
    qty = _qty_field(demo_server.config.odoo_version)
    groups = _read_group(odoo, DONE_IN, [f"{qty}:sum"], GROUPBY, lazy=False)
    lines = odoo.execute_kw("stock.move.line", "search_read", [DONE_IN], {"fields": [*GROUPBY, qty]})
    expected: dict[tuple, list[float]] = defaultdict(lambda: [0, 0.0])
    for line in lines:
        key = tuple(_m2o_id(line[name]) for name in GROUPBY)
        expected[key][0] += 1
        expected[key][1] += line[qty]
    assert groups and len(groups) == len(expected)
    for group in groups:
        assert set(group) == {*GROUPBY, "__count", qty, "__domain"}
        assert isinstance(group["product_id"], list) and isinstance(group["product_id"][1], str)
        count, total = expected[tuple(_m2o_id(group[name]) for name in GROUPBY)]
        assert group["__count"] == count and group[qty] == pytest.approx(total)
    assert any(group["lot_id"] is False for group in groups) and any(group["lot_id"] for group in groups)


def test_group_domain_selects_the_group(odoo: odoorpc.ODOO, demo_server: DemoOdoo) -> None:
    groups = _read_group(odoo, DONE_IN, ["__count"], GROUPBY, lazy=False, limit=5)
    for group in groups:
        domain = group["__domain"]
        assert odoo.execute_kw("stock.move.line", "search_count", [domain]) == group["__count"]
        leaves = [list(leaf) for leaf in domain if isinstance(leaf, list)]
        first_group_leaf = ["product_id", "=", group["product_id"][0]]
        # Odoo 16 puts the group's leaves before the domain, 17 and 18 after it
        position = leaves.index(first_group_leaf)
        assert position == (0 if demo_server.config.odoo_version == 16 else len(DONE_IN))
        assert ["lot_id", "=", group["lot_id"][0] if group["lot_id"] else False] in leaves


def test_lazy_groups_by_the_first_field(odoo: odoorpc.ODOO) -> None:
    groups = _read_group(odoo, DONE_IN, [], ["location_dest_id", "product_id"])
    assert all(set(group) == {"location_dest_id", "location_dest_id_count", "__domain", "__context"}
               for group in groups)
    assert groups[0]["__context"] == {"group_by": ["product_id"]}
    total = odoo.execute_kw("stock.move.line", "search_count", [DONE_IN])
    assert sum(group["location_dest_id_count"] for group in groups) == total


def test_field_specifications(odoo: odoorpc.ODOO, demo_server: DemoOdoo) -> None:
    qty = _qty_field(demo_server.config.odoo_version)
    bare, = _read_group(odoo, DONE_IN, [qty, "reference", "moved:sum(%s)" % qty, "product_id:count_distinct",
                                        f"{qty}_max:max({qty})"], [])
    lines = odoo.execute_kw("stock.move.line", "search_read", [DONE_IN], {"fields": ["product_id", qty]})
    assert bare["__count"] == len(lines)
    assert bare[qty] == pytest.approx(sum(line[qty] for line in lines)) == pytest.approx(bare["moved"])
    assert "reference" not in bare  # a bare non-numeric field has no default aggregate
    assert bare["product_id"] == len({line["product_id"][0] for line in lines})
    assert bare[f"{qty}_max"] == max(line[qty] for line in lines)


def test_order_offset_and_limit(odoo: odoorpc.ODOO) -> None:
    everything = _read_group(odoo, DONE_IN, [], ["location_dest_id", "product_id"], lazy=False)
    pages = [_read_group(odoo, DONE_IN, [], ["location_dest_id", "product_id"], offset=start, limit=100, lazy=False)
             for start in range(0, len(everything), 100)]
    assert [group for page in pages for group in page] == everything
    names = [group["location_dest_id"][1] for group in everything]
    assert names == sorted(names)  # stock.location orders by complete_name
    by_count = _read_group(odoo, DONE_IN, [], ["location_dest_id"], orderby="location_dest_id_count desc")
    counts = [group["location_dest_id_count"] for group in by_count]
    assert counts == sorted(counts, reverse=True)


@pytest.mark.parametrize("fields, groupby, message", [
    (["__count"], ["no_such_field"], "Invalid field 'no_such_field'"),
    (["__count"], ["picking_code"], "not stored"),
    (["no_such_field:sum"], ["product_id"], "Invalid field 'no_such_field'"),
    (["product_id:median"], ["location_id"], "Invalid aggregate method 'median'"),
])
def test_refusals(odoo: odoorpc.ODOO, fields: list[str], groupby: list[str], message: str) -> None:
    with pytest.raises(odoorpc.error.RPCError) as failure:
        _read_group(odoo, [], fields, groupby, lazy=False)
    assert failure.value.info["data"]["name"] == "builtins.ValueError"
    assert message in str(failure.value)

"""The matcher with a resolver (values computed by ``compile_values``) agrees with SQL."""

from __future__ import annotations

from typing import Any

import pytest

from chartkeep.query import ir
from chartkeep.query.matcher import Unresolved, matches
from chartkeep.query.parse import parse_where
from chartkeep.query.sql import compile_values
from tests.query.conftest import SCHEMAS, Backend, internal_row
from tests.query.data import ITEMS, ptr
from tests.query.test_subqueries import SUBQUERY_CASES

ROWS = [internal_row(SCHEMAS.classes["Item"], o) for o in ITEMS]


async def resolver_for(backend: Backend, node: ir.Node) -> Any:
    answers: dict[int, set[Any]] = {}
    for n in ir.unresolved(node):
        sql, params = compile_values(n, backend.dialect)
        values = await backend.fetch_column(sql, params)
        if isinstance(n, ir.Select):
            values = [backend.dialect.from_db(n.key.type, v) for v in values]
        answers[id(n)] = set(values)
    return lambda n: answers[id(n)]


@pytest.mark.parametrize(("name", "where", "expected"), SUBQUERY_CASES, ids=[c[0] for c in SUBQUERY_CASES])
async def test_matcher_with_resolver(
    backend: Backend, name: str, where: dict[str, Any], expected: list[str]
) -> None:
    node = parse_where("Item", where, SCHEMAS)
    resolve = await resolver_for(backend, node)
    assert sorted(r["objectId"] for r in ROWS if matches(node, r, resolve)) == expected


async def test_related_to_with_resolver(backend: Backend) -> None:
    node = parse_where("_User", {"$relatedTo": {"object": ptr("Item", "a"), "key": "fans"}}, SCHEMAS)
    resolve = await resolver_for(backend, node)
    users = [{"objectId": u} for u in ("u1", "u2", "u3")]
    assert [u["objectId"] for u in users if matches(node, u, resolve)] == ["u1", "u2"]


def test_unresolved_without_resolver() -> None:
    node = parse_where("Item", {"owner": {"$inQuery": {"className": "_User", "where": {}}}}, SCHEMAS)
    with pytest.raises(Unresolved):
        matches(node, ROWS[0])
    assert not matches(node, ROWS[3])  # owner missing: decided without other rows


def test_compile_values_refuses_plain_nodes() -> None:
    from chartkeep.storage.dialect import SqliteDialect

    with pytest.raises(TypeError):
        compile_values(ir.TRUE, SqliteDialect())


def test_ir_helpers() -> None:
    a, b = ir.IsNull(ir.FieldRef("x", "String")), ir.Exists(ir.FieldRef("y", "String"))
    assert ir.and_(a, ir.TRUE, ir.and_(b, a)) == ir.And((a, b, a))
    assert ir.and_(a, ir.FALSE) == ir.FALSE
    assert ir.or_() == ir.FALSE and ir.and_() == ir.TRUE
    assert ir.or_(a, ir.TRUE) == ir.TRUE
    assert ir.not_(ir.not_(a)) == a
    assert [r.name for r in ir.field_refs(ir.Or((a, ir.Not(b))))] == ["x", "y"]

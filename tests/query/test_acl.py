"""AclReadable / AclWritable on both databases and in memory."""

from __future__ import annotations

import pytest

from chartkeep.query import ir
from chartkeep.query.matcher import matches
from tests.query.conftest import SCHEMAS, Backend, internal_row

ROWS = [
    {"objectId": "pub", "_rperm": None, "_wperm": None},
    {"objectId": "u1only", "_rperm": ["u1"], "_wperm": ["u1"]},
    {"objectId": "admins", "_rperm": ["role:admin"], "_wperm": []},
    {"objectId": "star", "_rperm": ["*"], "_wperm": ["role:admin", "u2"]},
    {"objectId": "nobody", "_rperm": [], "_wperm": []},
]
CASES = [
    (ir.AclReadable(("u1",)), ["pub", "star", "u1only"]),
    (ir.AclReadable(()), ["pub", "star"]),
    (ir.AclReadable(("role:admin", "u2")), ["admins", "pub", "star"]),
    (ir.AclReadable(("*",)), ["pub", "star"]),
    (ir.AclWritable(("u2",)), ["pub", "star"]),
    (ir.AclWritable(("role:admin",)), ["pub", "star"]),
    (ir.AclWritable(("u1",)), ["pub", "u1only"]),
    (ir.Not(ir.AclReadable(("u1",))), ["admins", "nobody"]),
    (ir.And((ir.AclReadable(("u1",)), ir.AclWritable(("u1",)))), ["pub", "u1only"]),
]


@pytest.fixture
async def acl_backend(empty_backend: Backend) -> Backend:
    await empty_backend.insert_all(SCHEMAS.classes["Item"], ROWS)
    return empty_backend


@pytest.mark.parametrize(("node", "expected"), CASES, ids=[repr(c[0]) for c in CASES])
async def test_acl_sql(acl_backend: Backend, node: ir.Node, expected: list[str]) -> None:
    assert sorted(await acl_backend.run(SCHEMAS.classes["Item"], node)) == expected


@pytest.mark.parametrize(("node", "expected"), CASES, ids=[repr(c[0]) for c in CASES])
def test_acl_matcher(node: ir.Node, expected: list[str]) -> None:
    rows = [internal_row(SCHEMAS.classes["Item"], r) for r in ROWS]
    assert sorted(r["objectId"] for r in rows if matches(node, r)) == expected

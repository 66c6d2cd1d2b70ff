"""compile_where embedded in other statements, aliases, hostile keys, and the SQLite functions."""

from __future__ import annotations

import aiosqlite

from chartkeep.query import ir
from chartkeep.query.parse import parse_where
from chartkeep.query.sql import Params, compile_where
from chartkeep.query.sqlite_functions import register_aiosqlite
from chartkeep.storage.dialect import quote
from tests.query.conftest import SCHEMAS, Backend

ITEM = SCHEMAS.classes["Item"]


async def test_where_in_a_delete(backend: Backend) -> None:
    params = Params(backend.dialect)
    clause = compile_where(parse_where("Item", {"flag": True}, SCHEMAS), ITEM, backend.dialect, params)
    await backend.execute(f"DELETE FROM {quote('Item')} WHERE {clause}", params.values)
    assert await backend.find({}) == ["b", "c", "d"]


async def test_where_with_an_alias(backend: Backend) -> None:
    params = Params(backend.dialect)
    where = {"owner": {"$inQuery": {"className": "Item", "where": {"objectId": "zz"}}}, "n": {"$gt": 0}}
    clause = compile_where(parse_where("Item", where, SCHEMAS), ITEM, backend.dialect, params, alias="it")
    sql = f'SELECT it."objectId" FROM "Item" AS it WHERE NOT ({clause})'
    assert sorted(await backend.fetch_column(sql, params.values)) == ["a", "b", "c", "d", "e"]


async def test_hostile_keys_and_values_are_bound(backend: Backend) -> None:
    odd = "z'\"$.[]{}--;"
    cases = [
        {"meta.deep": {odd: 1}},
        {"meta.deep": {"z": odd}},
        {"tags": {odd: [odd]}},
        {"name": odd},
        {"name": {"$regex": "\\Q" + odd + "\\E"}},
        {"tags": {"$all": [odd, {odd: None}]}},
    ]
    for where in cases:
        assert await backend.find(where) == []


async def test_same_class_subquery_does_not_capture_names(backend: Backend) -> None:
    # The subquery over Item filters on its own rows, not on the outer row's columns.
    where = {"objectId": {"$inQuery": {"className": "Item", "where": {"label": "blue"}}}, "label": "red"}
    assert await backend.find(where) == []
    where = {"objectId": {"$notInQuery": {"className": "Item", "where": {"label": "blue"}}}, "label": "red"}
    assert await backend.find(where) == ["a", "e"]


async def test_register_aiosqlite(tmp_path: object) -> None:
    async with aiosqlite.connect(":memory:") as db:
        await register_aiosqlite(db)
        async with db.execute("SELECT 'Cat' REGEXP '(?i)^c', 'Cat' REGEXP '^c', NULL REGEXP 'a'") as cur:
            assert await cur.fetchone() == (1, 0, None)


def test_false_and_true_compile() -> None:
    from chartkeep.storage.dialect import PostgresDialect, SqliteDialect

    for dialect in (PostgresDialect(), SqliteDialect()):
        params = Params(dialect)
        assert compile_where(ir.FALSE, ITEM, dialect, params) == "(1 = 0)"
        assert compile_where(ir.Not(ir.TRUE), ITEM, dialect, params) == "(((1 = 1)) IS NOT TRUE)"
        assert params.values == []

"""``order`` parsing, and ORDER BY / LIMIT / OFFSET / COUNT on both databases."""

from __future__ import annotations

import pytest

from chartkeep.errors import Code, ParseError
from chartkeep.query import ir
from chartkeep.query.order import parse_order
from chartkeep.query.parse import parse_where
from chartkeep.query.sql import compile_count
from tests.query.conftest import SCHEMAS, Backend
from tests.query.data import ITEMS

ITEM = SCHEMAS.classes["Item"]


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("name", [("name", False)]),
        ("-n,name", [("n", True), ("name", False)]),
        (" n , -name ", [("n", False), ("name", True)]),
        ("name,-name", [("name", True)]),
        ("nope,name", [("name", False)]),
        ("fans", []),
        ("_created_at,-_updated_at", [("createdAt", False), ("updatedAt", True)]),
        ("meta.k", [("meta.k", False)]),
        ("name.x", []),
        ("$score,name", [("name", False)]),
        ("", []),
        (None, []),
    ],
)
def test_parse_order(order: str | None, expected: list[tuple[str, bool]]) -> None:
    assert parse_order(order, ITEM) == expected


@pytest.mark.parametrize("order", ["a,,b", "-", "bad-key", "-$foo", "className", "length", "meta..k", "1a"])
def test_parse_order_invalid(order: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_order(order, ITEM)
    assert info.value.code == Code.INVALID_KEY_NAME
    assert info.value.message.startswith("Invalid field name: ")


@pytest.fixture
async def items_backend(empty_backend: Backend) -> Backend:
    await empty_backend.insert_all(ITEM, ITEMS)
    return empty_backend


@pytest.mark.parametrize(
    ("order", "limit", "skip", "expected"),
    [
        ("n", None, 0, ["d", "c", "e", "a", "b"]),  # missing sorts first ascending
        ("-n", None, 0, ["b", "a", "e", "c", "d"]),  # and last descending
        ("name", None, 0, ["b", "a", "d", "c", "e"]),  # code point order
        ("-flag,name", None, 0, ["a", "e", "b", "d", "c"]),
        ("when", None, 0, ["d", "e", "c", "a", "b"]),
        ("-createdAt", None, 0, ["e", "d", "c", "b", "a"]),
        ("meta.num", 2, 0, None),  # only checks it runs; JSON order differs by database
        ("n", 2, 1, ["c", "e"]),
        ("n", None, 3, ["a", "b"]),
        ("n", 0, 0, []),
    ],
)
async def test_order_limit_skip(
    items_backend: Backend, order: str, limit: int | None, skip: int, expected: list[str] | None
) -> None:
    ids = await items_backend.run(ITEM, ir.TRUE, order=parse_order(order, ITEM), limit=limit, skip=skip)
    if expected is not None:
        assert ids == expected
    else:
        assert len(ids) == limit


async def test_order_with_where(items_backend: Backend) -> None:
    ids = await items_backend.find({"flag": {"$exists": True}}, order=parse_order("-n", ITEM))
    assert ids == ["b", "a", "e"]


async def test_count(items_backend: Backend) -> None:
    for where, expected in [({}, 5), ({"flag": True}, 2), ({"nope": 1}, 0)]:
        sql, params = compile_count(ITEM, parse_where("Item", where, SCHEMAS), items_backend.dialect)
        rows = await items_backend.fetch_column(sql, params)
        assert rows == [expected]


def test_negative_limit_is_refused() -> None:
    from chartkeep.query.sql import compile_select
    from chartkeep.storage.dialect import SqliteDialect

    with pytest.raises(ValueError):
        compile_select(ITEM, None, SqliteDialect(), limit=-1)

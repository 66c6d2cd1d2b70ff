"""Malformed ``where`` → ParseError with Parse Server's code and message (never a crash)."""

from __future__ import annotations

from typing import Any

import pytest

from chartkeep.errors import Code, ParseError
from chartkeep.query.parse import parse_where
from chartkeep.query.sql import compile_select
from chartkeep.storage.dialect import PostgresDialect, SqliteDialect
from tests.query.conftest import SCHEMAS
from tests.query.data import ptr

BAD: list[tuple[Any, int, str | None]] = [
    ({"ACL": {}}, Code.INVALID_QUERY, "Cannot query on ACL."),
    ({"$or": {}}, Code.INVALID_QUERY, "Bad $or format - use an array value."),
    ({"$or": []}, Code.INVALID_QUERY, "Bad $or format - use an array value."),
    ({"$or": [1]}, Code.INVALID_QUERY, "Bad $or format - use an array value."),
    ({"$and": "x"}, Code.INVALID_QUERY, "Bad $and format - use an array value."),
    ({"$nor": []}, Code.INVALID_QUERY, "Bad $nor format - use an array of at least 1 value."),
    ({"$nor": {"a": 1}}, Code.INVALID_QUERY, "Bad $nor format - use an array of at least 1 value."),
    ({"bad-key": 1}, Code.INVALID_KEY_NAME, "Invalid key name: bad-key"),
    ({"_rperm": "x"}, Code.INVALID_KEY_NAME, "Invalid key name: _rperm"),
    ({"$foo": 1}, Code.INVALID_KEY_NAME, "Invalid key name: $foo"),
    ({"1abc": 1}, Code.INVALID_KEY_NAME, "Invalid key name: 1abc"),
    ({"meta..k": 1}, Code.INVALID_KEY_NAME, "Invalid key name: meta..k"),
    ({"meta.": 1}, Code.INVALID_KEY_NAME, "Invalid key name: meta."),
    ({"$or": [{"bad key": 1}]}, Code.INVALID_KEY_NAME, "Invalid key name: bad key"),
    ({"name": {"$foo": 1}}, Code.INVALID_JSON, "bad constraint: $foo"),
    ({"nope": {"$foo": 1}}, Code.INVALID_JSON, "bad constraint: $foo"),
    ({"name": {"$in": 1}}, Code.INVALID_JSON, "bad $in value"),
    ({"name": {"$nin": "a"}}, Code.INVALID_JSON, "bad $nin value"),
    ({"tags": {"$all": 1}}, Code.INVALID_JSON, "bad $all value"),
    ({"tags": {"$containedBy": 1}}, Code.INVALID_JSON, "bad $containedBy: should be an array"),
    ({"name": {"$regex": 1}}, Code.INVALID_JSON, "bad regex: 1"),
    ({"name": {"$regex": None}}, Code.INVALID_JSON, "bad regex: null"),
    ({"name": {"$regex": "a", "$options": "g"}}, Code.INVALID_QUERY, "Bad $options value for query: g"),
    ({"name": {"$regex": "a", "$options": ""}}, Code.INVALID_QUERY, "Bad $options value for query: "),
    ({"name": {"$regex": "a", "$options": 1}}, Code.INVALID_QUERY, "Bad $options value for query: 1"),
    ({"name": {"$regex": "("}}, Code.INVALID_QUERY, None),
    ({"name": {"$regex": "(?L)a"}}, Code.INVALID_QUERY, None),
    ({"name": {"a": 1}}, Code.INVALID_JSON, "You cannot use [object Object] as a query parameter."),
    ({"name": [1, 2]}, Code.INVALID_JSON, "You cannot use 1,2 as a query parameter."),
    ({"tags": ["x"]}, Code.INVALID_JSON, "You cannot use x as a query parameter."),
    ({"meta": {"a": 1}}, Code.INVALID_JSON, "You cannot use [object Object] as a query parameter."),
    ({"nope": {"a": 1}}, Code.INVALID_JSON, "You cannot use [object Object] as a query parameter."),
    ({"name": {"$in": [{"a": 1}]}}, Code.INVALID_JSON, 'bad atom: {"a":1}'),
    ({"name": {"$ne": [1]}}, Code.INVALID_JSON, "bad atom: [1]"),
    ({"n": {"$gt": {"a": 1}}}, Code.INVALID_JSON, 'bad atom: {"a":1}'),
    ({"when": {"__type": "Date", "iso": "garbage"}}, Code.INVALID_JSON, None),
    ({"when": {"__type": "Date"}}, Code.INVALID_JSON, None),
    ({"owner": {"__type": "Pointer", "className": "_User"}}, Code.INVALID_JSON, None),
    ({"tags": {"__type": "Pointer", "objectId": 1}}, Code.INVALID_JSON, None),
    ({"owner": {"$inQuery": {"where": {}}}}, Code.INVALID_QUERY, "improper usage of $inQuery"),
    ({"owner": {"$inQuery": 5}}, Code.INVALID_QUERY, "improper usage of $inQuery"),
    ({"owner": {"$notInQuery": {"className": "_User"}}}, Code.INVALID_QUERY, "improper usage of $notInQuery"),
    (
        {"label": {"$select": {"query": {"className": "Team"}}}},
        Code.INVALID_QUERY,
        "improper usage of $select",
    ),
    (
        {"label": {"$select": {"query": {"className": "Team"}, "key": "title", "x": 1}}},
        Code.INVALID_QUERY,
        "improper usage of $select",
    ),
    (
        {"label": {"$dontSelect": {"query": {}, "key": "title"}}},
        Code.INVALID_QUERY,
        "improper usage of $dontSelect",
    ),
    ({"label": {"$select": "x"}}, Code.INVALID_QUERY, "improper usage of $select"),
    (
        {"label": {"$select": {"query": {"className": "Team"}, "key": "a.b"}}},
        Code.COMMAND_UNAVAILABLE,
        None,
    ),
    ({"$relatedTo": {"object": 1}}, Code.INVALID_QUERY, "improper usage of $relatedTo"),
    ({"$relatedTo": {"object": ptr("Item", "a")}}, Code.INVALID_QUERY, "improper usage of $relatedTo"),
    (
        {"when": {"$eq": {"$relativeTime": "1 day ago"}}},
        Code.INVALID_JSON,
        "$relativeTime can only be used with the $lt, $lte, $gt, and $gte operators",
    ),
    (
        {"loc": {"$nearSphere": {"__type": "GeoPoint", "latitude": 0, "longitude": 0}}},
        Code.COMMAND_UNAVAILABLE,
        None,
    ),
    ({"name": {"$text": {"$search": {"$term": "a"}}}}, Code.COMMAND_UNAVAILABLE, None),
    (
        {"tags": {"$all": [{"$regex": "^a"}, "b"]}},
        Code.INVALID_JSON,
        "All $all values must be of regex type or none: [object Object],b",
    ),
    ({"owner": {"$inQuery": {"className": "_User", "where": {"bad key": 1}}}}, Code.INVALID_KEY_NAME, None),
    ({"owner": {"$inQuery": {"className": "bad name!", "where": {"a": 1}}}}, Code.INVALID_CLASS_NAME, None),
    ({"owner": {"$inQuery": {"className": "_User", "where": [1]}}}, Code.INVALID_QUERY, None),
    ({"meta.k": {"$all": [1]}}, Code.COMMAND_UNAVAILABLE, None),
    ({"meta.k": {"$containedBy": [1]}}, Code.COMMAND_UNAVAILABLE, None),
    ({"fans": {"$in": 3}}, Code.INVALID_JSON, "bad $in value"),
    ({"fans": {"$inQuery": {"where": {}}}}, Code.INVALID_QUERY, "improper usage of $inQuery"),
]


@pytest.mark.parametrize(("where", "code", "message"), BAD, ids=[str(b[0]) for b in BAD])
def test_bad_where(where: Any, code: int, message: str | None) -> None:
    with pytest.raises(ParseError) as info:
        parse_where("Item", where, SCHEMAS)
    assert info.value.code == code
    if message is not None:
        assert info.value.message == message


@pytest.mark.parametrize("where", [[1], "x", 3])
def test_where_must_be_an_object(where: Any) -> None:
    with pytest.raises(ParseError) as info:
        parse_where("Item", where, SCHEMAS)
    assert info.value.code == Code.INVALID_QUERY


def nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    "where",
    [
        {"name": "a\x00b"},
        {"meta.k": {"$in": ["\x00"]}},
        {"n": 10**400},
        {"n": {"$gt": float("inf")}},
        {"n": float("nan")},
        {"meta.k": nested(70)},
    ],
)
def test_values_no_database_can_hold(where: Any) -> None:
    with pytest.raises(ParseError) as info:
        parse_where("Item", where, SCHEMAS)
    assert info.value.code in (Code.INVALID_JSON, Code.INVALID_QUERY)


def test_deep_json_value_does_not_exhaust_the_stack() -> None:
    value: Any = 1
    for _ in range(5000):
        value = [value]
    with pytest.raises(ParseError):
        parse_where("Item", {"tags": {"$in": value}}, SCHEMAS)


def test_nesting_is_bounded() -> None:
    where: dict[str, Any] = {"name": "a"}
    for _ in range(40):
        where = {"$or": [where]}
    with pytest.raises(ParseError) as info:
        parse_where("Item", where, SCHEMAS)
    assert info.value.code == Code.INVALID_QUERY


def test_subquery_nesting_is_bounded() -> None:
    where: dict[str, Any] = {"name": "a"}
    for _ in range(40):
        where = {"owner": {"$inQuery": {"className": "_User", "where": where}}}
    with pytest.raises(ParseError):
        parse_where("Item", where, SCHEMAS)


FUZZ = [
    None,
    True,
    0,
    1.5,
    "s",
    [],
    [None],
    {},
    {"$in": None},
    {"__type": "Bogus"},
    {"__type": 1},
    [{}],
    {"a": {"$b": 1}},
]


@pytest.mark.parametrize(
    "field",
    [
        "name",
        "n",
        "flag",
        "when",
        "owner",
        "tags",
        "meta",
        "meta.k",
        "file",
        "loc",
        "fans",
        "nope",
        "objectId",
    ],
)
@pytest.mark.parametrize(
    "op",
    [
        "$eq",
        "$ne",
        "$lt",
        "$gte",
        "$in",
        "$nin",
        "$all",
        "$containedBy",
        "$exists",
        "$regex",
        "$inQuery",
        "$notInQuery",
        "$select",
        "$dontSelect",
    ],
)
def test_no_operand_crashes(field: str, op: str) -> None:
    """Any operand of the wrong shape is a ParseError or a tree both compilers accept."""
    for value in FUZZ:
        for where in ({field: {op: value}}, {field: value}):
            try:
                node = parse_where("Item", where, SCHEMAS)
            except ParseError:
                continue
            for dialect in (SqliteDialect(), PostgresDialect()):
                compile_select(SCHEMAS.classes["Item"], node, dialect)

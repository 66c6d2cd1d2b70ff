"""$inQuery, $notInQuery, $select, $dontSelect, $relatedTo, Relation fields — and access scope in each."""

from __future__ import annotations

from typing import Any

import pytest

from chartkeep.query import ir
from chartkeep.query.parse import parse_where
from tests.query.conftest import SCHEMAS, Backend
from tests.query.data import ptr

ALL = ["a", "b", "c", "d", "e"]


def as_user(user: str) -> Any:
    return lambda class_name: ir.AclReadable((user,))


def in_query(cls: str, where: dict[str, Any]) -> dict[str, Any]:
    return {"$inQuery": {"className": cls, "where": where}}


def not_in_query(cls: str, where: dict[str, Any]) -> dict[str, Any]:
    return {"$notInQuery": {"className": cls, "where": where}}


def select(cls: str, where: dict[str, Any] | None, key: str, op: str = "$select") -> dict[str, Any]:
    query: dict[str, Any] = {"className": cls}
    if where is not None:
        query["where"] = where
    return {op: {"query": query, "key": key}}


SUBQUERY_CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    ("inQuery pointer", {"owner": in_query("_User", {"age": {"$gte": 35}})}, ["b"]),
    ("notInQuery pointer", {"owner": not_in_query("_User", {"age": {"$gte": 35}})}, ["a", "c", "d", "e"]),
    (
        "inQuery empty where is valid",
        {"owner": in_query("_User", {"username": {"$exists": True}})},
        ["a", "b", "c", "e"],
    ),
    ("inQuery other class", {"owner": in_query("Team", {"title": "red"})}, []),
    ("inQuery missing class", {"owner": in_query("Nope", {"x": 1})}, []),
    ("notInQuery missing class", {"owner": not_in_query("Nope", {"x": 1})}, ALL),
    ("inQuery array of pointers", {"tags": in_query("_User", {"username": "ann"})}, ["e"]),
    ("inQuery on objectId", {"objectId": in_query("Item", {"flag": False})}, ["b"]),
    (
        "inQuery nested",
        {"owner": in_query("_User", {"team": in_query("Team", {"title": "blue"})})},
        ["b"],
    ),
    ("inQuery on a string field", {"label": in_query("Team", {"title": "red"})}, []),
    ("select string", {"label": select("Team", {"size": {"$gt": 4}}, "title")}, ["b"]),
    (
        "dontSelect string",
        {"label": select("Team", {"size": {"$gt": 4}}, "title", "$dontSelect")},
        ["a", "c", "d", "e"],
    ),
    ("select without where", {"label": select("Team", None, "title")}, ["a", "b", "e"]),
    ("select pointer key", {"owner": select("Team", {}, "lead")}, ["a", "c", "e"]),
    ("select objectId key", {"owner": select("_User", {"age": 30}, "objectId")}, ["a", "c"]),
    ("select same class", {"label": select("Item", {"flag": False}, "label")}, ["b"]),
    ("select number key", {"n": select("Team", {}, "size")}, []),
    ("select incompatible types", {"n": select("Team", {}, "title")}, []),
    ("select unknown key", {"label": select("Team", {}, "nope")}, []),
    ("dontSelect unknown key", {"label": select("Team", {}, "nope", "$dontSelect")}, ALL),
    ("relation pointer", {"fans": ptr("_User", "u2")}, ["a", "b"]),
    ("relation in", {"fans": {"$in": [ptr("_User", "u1")]}}, ["a"]),
    ("relation nin", {"fans": {"$nin": [ptr("_User", "u1")]}}, ["b", "c", "d", "e"]),
    ("relation ne", {"fans": {"$ne": ptr("_User", "u2")}}, ["c", "d", "e"]),
    ("relation inQuery", {"fans": in_query("_User", {"username": "bob"})}, ["a", "b"]),
    ("relation notInQuery", {"fans": not_in_query("_User", {"username": "bob"})}, ["c", "d", "e"]),
    ("relation other constraint", {"fans": {"$exists": True}}, []),
    ("relation empty in", {"fans": {"$in": []}}, []),
]


@pytest.mark.parametrize(("name", "where", "expected"), SUBQUERY_CASES, ids=[c[0] for c in SUBQUERY_CASES])
async def test_subquery(backend: Backend, name: str, where: dict[str, Any], expected: list[str]) -> None:
    assert await backend.find(where) == expected


async def test_related_to(backend: Backend) -> None:
    where = {"$relatedTo": {"object": ptr("Item", "a"), "key": "fans"}}
    assert await backend.find(where, "_User") == ["u1", "u2"]
    where = {"$relatedTo": {"object": ptr("Item", "b"), "key": "fans"}, "username": {"$ne": "bob"}}
    assert await backend.find(where, "_User") == []
    # a key that is not a Relation to this class relates nothing
    assert await backend.find({"$relatedTo": {"object": ptr("Item", "a"), "key": "owner"}}, "_User") == []
    assert await backend.find({"$relatedTo": {"object": ptr("Nope", "a"), "key": "fans"}}, "_User") == []
    assert await backend.find(
        {"$or": [{"$relatedTo": {"object": ptr("Item", "b"), "key": "fans"}}, {"username": "cat"}]}, "_User"
    ) == ["u2", "u3"]


SCOPED_CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    # bob (u2) is invisible to ann: a subquery must not reveal that he is 40
    ("inQuery hides unreadable rows", {"owner": in_query("_User", {"age": {"$gte": 35}})}, []),
    ("notInQuery over unreadable rows", {"owner": not_in_query("_User", {"age": {"$gte": 35}})}, ALL),
    ("select hides unreadable rows", {"owner": select("_User", {"age": 40}, "objectId")}, []),
    (
        "dontSelect over unreadable rows",
        {"owner": select("_User", {"age": 40}, "objectId", "$dontSelect")},
        ALL,
    ),
    ("relation inQuery hides", {"fans": in_query("_User", {"username": "bob"})}, []),
    (
        "nested subquery is scoped",
        {"owner": in_query("_User", {"team": in_query("Team", {"title": "blue"})})},
        [],
    ),
]


@pytest.mark.parametrize(("name", "where", "expected"), SCOPED_CASES, ids=[c[0] for c in SCOPED_CASES])
async def test_scope_applies_to_subqueries(
    backend: Backend, name: str, where: dict[str, Any], expected: list[str]
) -> None:
    assert await backend.find(where, scope=as_user("u1")) == expected


async def test_scope_lets_the_owner_see(backend: Backend) -> None:
    where = {"owner": in_query("_User", {"age": {"$gte": 35}})}
    assert await backend.find(where, scope=as_user("u2")) == ["b"]


def test_scope_is_anded_into_every_subquery() -> None:
    guard = ir.AclReadable(("u1",))
    node = parse_where(
        "Item",
        {"owner": in_query("_User", {"team": in_query("Team", {})}), "label": select("Team", {}, "title")},
        SCHEMAS,
        lambda cls: guard,
    )
    subs = [n for n in ir.walk(node) if isinstance(n, ir.InQuery | ir.Select)]
    assert len(subs) == 3
    for sub in subs:
        assert sub.sub.where == guard or guard in getattr(sub.sub.where, "items", ())


def test_scope_false_hides_the_class() -> None:
    node = parse_where("Item", {"owner": in_query("_User", {})}, SCHEMAS, lambda cls: ir.FALSE)
    assert isinstance(node, ir.InQuery) and node.sub.where == ir.FALSE

"""Where inputs reach the REST query path: each GraphQL filter finds what the Parse where finds."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Api
from tests.graphql_api.conftest import Gql

FIELDS = {"name": {"type": "String"}, "size": {"type": "Number"}, "ok": {"type": "Boolean"},
          "seen": {"type": "Date"}, "tags": {"type": "Array"}, "meta": {"type": "Object"},
          "parent": {"type": "Pointer", "targetClass": "Thing"}}


def date(iso: str) -> dict[str, str]:
    return {"__type": "Date", "iso": iso}


@pytest.fixture
async def things(api: Api) -> dict[str, str]:
    assert (await api.post("/schemas/Thing", {"className": "Thing", "fields": FIELDS}, master=True)).status_code == 200
    ids: dict[str, str] = {}
    rows = [
        {"name": "alpha", "size": 1, "ok": True, "seen": date("2026-01-01T00:00:00.000Z"), "tags": ["a", "b"],
         "meta": {"ward": 7}},
        {"name": "beta", "size": 5, "ok": False, "seen": date("2026-02-01T00:00:00.000Z"), "tags": ["b"],
         "meta": {"ward": 3}},
        {"name": "gamma", "size": 9, "tags": []},
    ]
    for row in rows:
        ids[row["name"]] = (await api.post("/classes/Thing", row)).json()["objectId"]
    await api.put(f"/classes/Thing/{ids['gamma']}", {"parent": {"__type": "Pointer", "className": "Thing",
                                                                "objectId": ids["alpha"]}})
    return ids


CASES: list[tuple[str, dict[str, Any]]] = [
    ('{name: {in: ["alpha", "gamma"]}}', {"name": {"$in": ["alpha", "gamma"]}}),
    ('{name: {matchesRegex: "^B", options: "i"}}', {"name": {"$regex": "^B", "$options": "i"}}),
    ("{size: {greaterThan: 2, lessThanOrEqualTo: 9}}", {"size": {"$gt": 2, "$lte": 9}}),
    ("{ok: {exists: false}}", {"ok": {"$exists": False}}),
    ('{seen: {lessThan: "2026-01-15T00:00:00.000Z"}}', {"seen": {"$lt": date("2026-01-15T00:00:00.000Z")}}),
    ('{tags: {contains: ["b"]}}', {"tags": {"$all": ["b"]}}),
    ('{meta: {equalTo: {key: "ward", value: 7}}}', {"meta.ward": 7}),
    ('{OR: [{name: {equalTo: "alpha"}}, {size: {equalTo: 9}}]}', {"$or": [{"name": "alpha"}, {"size": 9}]}),
    ('{NOR: [{name: {equalTo: "alpha"}}]}', {"$nor": [{"name": "alpha"}]}),
    ('{parent: {have: {name: {equalTo: "alpha"}}}}',
     {"parent": {"$inQuery": {"where": {"name": "alpha"}, "className": "Thing"}}}),
    ("{parent: {exists: true}}", {"parent": {"$exists": True}}),
]


@pytest.mark.parametrize(("where", "parse_where"), CASES)
async def test_where_finds_what_rest_finds(api: Api, gql: Gql, things: dict[str, str], where: str,
                                           parse_where: dict[str, Any]) -> None:
    rest = (await api.get("/classes/Thing", params={"where": json.dumps(parse_where), "order": "name"})).json()
    data = await gql.data(f"{{ things(where: {where}, order: [name_ASC]) {{ edges {{ node {{ name }} }} }} }}")
    names = [e["node"]["name"] for e in data["things"]["edges"]]
    assert names == [r["name"] for r in rest["results"]]
    assert names  # every case matches something


async def test_a_bad_where_is_the_rest_error(gql: Gql, things: dict[str, str]) -> None:
    error = await gql.error('{ things(where: {name: {matchesRegex: "("}}) { count } }')
    assert error["extensions"]["code"] == 102

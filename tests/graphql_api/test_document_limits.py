"""A GraphQL document is measured before validation, per caller (issue 21, item 3): an anonymous
1.2 MB query of 30,000 repeated fields once held the event loop for 10.9 s in validation."""

from __future__ import annotations

import time
from typing import Any

from tests.conftest import Api
from tests.graphql_api.conftest import Gql


def repeated(n: int) -> str:
    return "{ " + " ".join(["health"] * n) + " }"


async def test_the_flood_document_is_refused_at_once_before_validation(gql: Gql) -> None:
    flood = repeated(30_000)  # 210 KB
    started = time.perf_counter()
    r = await gql.post(flood)
    assert time.perf_counter() - started < 1.0
    assert r.status_code == 400
    assert r.json() == {"errors": [{"message": "GraphQL document of 210003 bytes exceeds the limit of 16384 "
                                               "(graphql_max_document_bytes; anonymous: "
                                               "graphql_anonymous_max_document_bytes).",
                                    "extensions": {"code": 102}}]}


async def test_anonymous_callers_get_the_tightest_limits(api: Api, gql: Gql, core: Any) -> None:
    user = await api.signup("pat1")
    fields = repeated(301)  # 2 KB: under every byte limit
    r = await gql.post(fields)
    assert r.status_code == 400
    assert r.json()["errors"][0] == {
        "message": "GraphQL document fields 301 exceeds the limit of 300 (graphql_max_fields; anonymous: "
                   "graphql_anonymous_max_fields).", "extensions": {"code": 102}}
    assert (await gql.data(fields, session=user["sessionToken"]))["health"] is True
    aliases = "{ " + " ".join(f"a{i}: health" for i in range(21)) + " }"
    r = await gql.post(aliases)
    assert r.json()["errors"][0]["message"].startswith("GraphQL document aliases 21 exceeds the limit of 20 ")
    assert (await gql.data(aliases, session=user["sessionToken"]))["a20"] is True
    # a signed-in caller has limits too
    r = await gql.post(repeated(2001), session=user["sessionToken"])
    assert r.json()["errors"][0]["message"].startswith("GraphQL document fields 2001 exceeds the limit of 2000 ")
    # the anonymous depth limit applies to the validated operation too (fragments followed)
    core.settings.graphql_anonymous_max_depth = 3
    r = await gql.post("{ users { edges { node { username } } } }")
    assert r.json()["errors"][0] == {"message": "Query depth 4 exceeds the limit of 3.", "extensions": {"code": 102}}


async def test_a_cached_document_is_checked_against_each_caller(api: Api, gql: Gql) -> None:
    user = await api.signup("pat2")
    fields = repeated(400)
    assert (await gql.data(fields, session=user["sessionToken"]))["health"] is True  # parsed, validated, cached
    r = await gql.post(fields)
    assert r.status_code == 400 and "graphql_anonymous_max_fields" in r.json()["errors"][0]["message"]


async def test_roles_may_be_given_more(api: Api, gql: Gql, core: Any) -> None:
    core.settings.graphql_role_limits = {"master": {"aliases": 500}}
    aliases = "{ " + " ".join(f"a{i}: health" for i in range(300)) + " }"
    assert (await gql.data(aliases, master=True))["a299"] is True
    r = await gql.post(aliases, session=(await api.signup("pat3"))["sessionToken"])
    assert r.status_code == 400
    assert r.json()["errors"][0]["message"].startswith("GraphQL document aliases 300 exceeds the limit of 200 ")


async def test_the_explorer_introspection_fits_the_anonymous_limits(gql: Gql) -> None:
    from graphql import get_introspection_query

    query = get_introspection_query(descriptions=True, specified_by_url=True, directive_is_repeatable=True,
                                    schema_description=True, input_value_deprecation=True)
    assert (await gql.data(query))["__schema"]["queryType"]["name"] == "Query"

"""Depth and cost limits, the introspection switch, and the HTTP contract (the explorer: test_explorer.py)."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api
from tests.graphql_api.conftest import Gql

DEEP = "{ medicalNotes { edges { node { encounter { patient { primaryClinician { username } } } } } } }"  # depth 7
INTROSPECTION = "{ __schema { queryType { name } } }"


async def test_depth_limit(gql: Gql, core: Any) -> None:
    assert (await gql.data(DEEP, master=True))["medicalNotes"] == {"edges": []}
    core.settings.graphql_max_depth = 6
    r = await gql.post(DEEP, master=True)
    assert r.status_code == 400
    assert r.json() == {"errors": [{"message": "Query depth 7 exceeds the limit of 6.", "extensions": {"code": 102}}]}
    # fragments are followed
    r = await gql.post("""{ medicalNotes { ...N } }
                          fragment N on MedicalNoteConnection { edges { node { encounter { patient {
                            primaryClinician { username } } } } } }""", master=True)
    assert r.status_code == 400 and r.json()["errors"][0]["message"] == "Query depth 7 exceeds the limit of 6."


async def test_cost_limit_counts_rows_of_a_page(gql: Gql, core: Any) -> None:
    core.settings.graphql_max_complexity = 50
    small = "{ patients(first: 10) { edges { node { mrn fullName status } } } }"  # 1 + 1 + 10 × (1 + 3) = 42
    assert (await gql.data(small, master=True)) == {"patients": {"edges": []}}
    r = await gql.post("query($n: Int) { patients(first: $n) { edges { node { mrn fullName status } } } }",
                       {"n": 20}, master=True)
    assert r.status_code == 400
    assert r.json()["errors"][0] == {"message": "Query cost 82 exceeds the limit of 50.", "extensions": {"code": 102}}
    # without first, a page is the default 100 rows
    r = await gql.post("{ patients { edges { node { mrn } } } }", master=True)
    assert r.json()["errors"][0]["message"] == "Query cost 202 exceeds the limit of 50."


async def test_introspection_can_be_turned_off(gql: Gql, core: Any) -> None:
    assert await gql.data(INTROSPECTION) == {"__schema": {"queryType": {"name": "Query"}}}
    core.settings.graphql_introspection = False
    r = await gql.post(INTROSPECTION)
    assert r.status_code == 400
    assert r.json()["errors"][0]["message"] == (
        "GraphQL introspection has been disabled, but the requested query contained the field '__schema'.")
    r = await gql.post('{ __type(name: "Patient") { name } }')
    assert r.status_code == 400
    assert await gql.data("{ health __typename }") == {"health": True, "__typename": "Query"}


async def test_http_contract(api: Api, gql: Gql) -> None:
    # the application id is checked as for REST: 403 unauthorized
    r = await api.client.post("/graphql", json={"query": "{ health }"}, headers={"X-Parse-Application-Id": "nope"})
    assert (r.status_code, r.json()) == (403, {"error": "unauthorized"})
    # a wrong master key is 119, an unknown session 209, as REST
    r = await gql.post("{ health }", headers={"X-Parse-Master-Key": "wrong"})
    assert r.status_code == 400 and r.json()["errors"][0]["extensions"] == {"code": 119}
    r = await gql.post("{ health }", session="r:not-a-session")
    assert r.json() == {"errors": [{"message": "Invalid session token", "extensions": {"code": 209}}]}
    # bad JSON, syntax errors and unknown fields: 400 with GraphQL errors, never a 500
    r = await api.client.post("/graphql", content=b"{nope", headers=api.headers())
    assert r.status_code == 400 and r.json()["errors"][0]["extensions"] == {"code": 107}
    r = await gql.post("{ patients { ")
    assert r.status_code == 400 and r.json()["errors"][0]["message"].startswith("Syntax Error")
    r = await gql.post("query($n: Int) { patients(first: $n) { count } }", {"n": "ten"}, master=True)
    assert r.status_code == 400 and "data" in r.json() and r.json()["data"] is None
    # GET runs queries, never mutations
    r = await api.client.get("/graphql", params={"query": "{ health }"}, headers=api.headers())
    assert (r.status_code, r.json()) == (200, {"data": {"health": True}})
    r = await api.client.get("/graphql", params={"query": "mutation { logOut(input: {}) { ok } }"},
                             headers=api.headers())
    assert r.status_code == 405
    # CORS preflight, as REST
    r = await api.client.options("/graphql")
    assert r.status_code == 200 and "X-Parse-Session-Token" in r.headers["access-control-allow-headers"]
    # an objectId or a Relay global id: both name the same object
    made = await gql.data("""mutation { createPatient(input: {fields: {mrn: "M-9", fullName: "Nine",
                               dateOfBirth: "1990-01-01T00:00:00.000Z", status: "active"}}) {
                               patient { id objectId dateOfBirth } } }""", master=True)
    patient = made["createPatient"]["patient"]
    assert patient["dateOfBirth"] == "1990-01-01T00:00:00.000Z"
    for key in (patient["id"], patient["objectId"]):
        got = await gql.data("query($id: ID!) { patient(id: $id) { objectId } }", {"id": key}, master=True)
        assert got == {"patient": {"objectId": patient["objectId"]}}
    by_id = await gql.data("query($id: ID!) { patients(where: {id: {equalTo: $id}}) { count } }",
                           {"id": patient["id"]}, master=True)
    assert by_id == {"patients": {"count": 1}}

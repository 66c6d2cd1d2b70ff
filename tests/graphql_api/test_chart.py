"""A patient's chart in one GraphQL query is what the REST calls return; outside the care team,
GraphQL shows nothing either (same read service, same access filter)."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import Api
from tests.graphql_api.conftest import Gql
from tests.policy.world import World, build_world, ptr

CHART = """
query Chart($id: ID!) {
  patient(id: $id) { id objectId mrn fullName dateOfBirth status createdAt updatedAt
                     primaryClinician { username } }
  encounters(where: {patient: {have: {objectId: {equalTo: $id}}}}, order: [encounterNumber_ASC]) {
    count
    edges { node { objectId encounterNumber type status startedAt patient { objectId } } }
  }
  medicalNotes(where: {patient: {have: {objectId: {equalTo: $id}}}}, order: [createdAt_DESC]) {
    count
    edges { cursor node { objectId title status noteType currentVersionNumber createdAt
                          author { objectId username } encounter { objectId encounterNumber } } }
    pageInfo { hasNextPage hasPreviousPage }
  }
}
"""


async def chart_world(api: Api) -> World:
    w = await build_world(api)
    second = {**w.body("Encounter", "physician"), "encounterNumber": "E-2"}
    second_id = await w.make("Encounter", second, session=w.token("physician"))
    for i, (author, encounter) in enumerate((("physician", second_id), ("nurse", w.ids["Encounter"]))):
        note = {**w.body("MedicalNote", author), "title": f"Follow-up {i}", "encounter": ptr("Encounter", encounter)}
        await w.make("MedicalNote", note, session=w.token(author))
    return w


def _note(n: dict[str, Any]) -> dict[str, Any]:
    return {"objectId": n["objectId"], "title": n["title"], "status": n["status"], "noteType": n["noteType"],
            "currentVersionNumber": n["currentVersionNumber"], "createdAt": n["createdAt"],
            "author": {"objectId": n["author"]["objectId"], "username": n["author"]["username"]},
            "encounter": {"objectId": n["encounter"]["objectId"], "encounterNumber": n["encounter"]["encounterNumber"]}}


async def test_one_query_returns_what_the_rest_calls_return(api: Api, gql: Gql) -> None:
    w = await chart_world(api)
    token, pid = w.token("physician"), w.ids["Patient"]
    data = await gql.data(CHART, {"id": pid}, session=token)

    rest_patient = (await api.get(f"/classes/Patient/{pid}", params={"include": "primaryClinician"},
                                  session=token)).json()
    where = json.dumps({"patient": ptr("Patient", pid)})
    rest_encounters = (await api.get("/classes/Encounter", params={"where": where, "order": "encounterNumber",
                                                                    "count": 1}, session=token)).json()
    rest_notes = (await api.get("/classes/MedicalNote", params={
        "where": where, "order": "-createdAt", "include": "author,encounter", "count": 1}, session=token)).json()

    patient = data["patient"]
    assert patient["objectId"] == pid and patient["id"] != pid  # a Relay global id besides the objectId
    assert {k: patient[k] for k in ("mrn", "fullName", "status", "createdAt", "updatedAt")} == {
        k: rest_patient[k] for k in ("mrn", "fullName", "status", "createdAt", "updatedAt")}
    assert patient["dateOfBirth"] == rest_patient["dateOfBirth"]["iso"]
    assert patient["primaryClinician"] == {"username": rest_patient["primaryClinician"]["username"]} == {
        "username": "physician1"}

    encounters = data["encounters"]
    assert encounters["count"] == rest_encounters["count"] == 2
    assert [e["node"] for e in encounters["edges"]] == [
        {"objectId": e["objectId"], "encounterNumber": e["encounterNumber"], "type": e["type"], "status": e["status"],
         "startedAt": e["startedAt"]["iso"], "patient": {"objectId": pid}} for e in rest_encounters["results"]]

    notes = data["medicalNotes"]
    assert notes["count"] == rest_notes["count"] == 3
    assert [e["node"] for e in notes["edges"]] == [_note(n) for n in rest_notes["results"]]
    assert {e["node"]["author"]["username"] for e in notes["edges"]} == {"physician1", "nurse1"}
    assert notes["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": False}


async def test_pages_follow_the_cursors(api: Api, gql: Gql) -> None:
    w = await chart_world(api)
    token = w.token("physician")
    order = "order: [createdAt_ASC, objectId_ASC]"
    everything = await gql.data(f"{{ medicalNotes({order}) {{ edges {{ node {{ title }} }} }} }}", session=token)
    titles = [e["node"]["title"] for e in everything["medicalNotes"]["edges"]]
    assert len(titles) == 3
    q = f"""query($after: String) {{ medicalNotes(first: 2, after: $after, {order}) {{
             count edges {{ cursor node {{ title }} }} pageInfo {{ hasNextPage hasPreviousPage endCursor }} }} }}"""
    first = (await gql.data(q, session=token))["medicalNotes"]
    assert [e["node"]["title"] for e in first["edges"]] == titles[:2]
    assert first["count"] == 3 and first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    page = (await gql.data(q, {"after": first["pageInfo"]["endCursor"]}, session=token))["medicalNotes"]
    assert [e["node"]["title"] for e in page["edges"]] == titles[2:]
    assert page["pageInfo"]["hasNextPage"] is False and page["pageInfo"]["hasPreviousPage"] is True
    last = await gql.data(f"{{ medicalNotes(last: 1, {order}) {{ edges {{ node {{ title }} }} }} }}", session=token)
    assert [e["node"]["title"] for e in last["medicalNotes"]["edges"]] == titles[2:]
    skipped = await gql.data(f"{{ medicalNotes(skip: 1, first: 1, {order}) {{ edges {{ node {{ title }} }} }} }}",
                             session=token)
    assert [e["node"]["title"] for e in skipped["medicalNotes"]["edges"]] == titles[1:2]
    bad = await gql.error("{ medicalNotes(after: \"nonsense\") { count } }", session=token)
    assert bad["extensions"] == {"code": 102} and bad["message"] == "After is not a valid cursor"


async def test_outside_the_care_team_graphql_shows_nothing(api: Api, gql: Gql) -> None:
    w = await chart_world(api)
    token, pid = w.token("outsider"), w.ids["Patient"]
    lists = await gql.data(
        """query($id: ID!) {
             encounters(where: {patient: {have: {objectId: {equalTo: $id}}}}) { count edges { node { objectId } } }
             medicalNotes { count edges { node { objectId title author { username } } } }
             noteVersions { count edges { node { objectId subjective } } }
             patients { count edges { node { objectId } } }
           }""", {"id": pid}, session=token)
    assert lists == {
        "encounters": {"count": 0, "edges": []},
        "medicalNotes": {"count": 0, "edges": []},
        "noteVersions": {"count": 0, "edges": []},
        "patients": {"count": 0, "edges": []},
    }
    # a direct get: the same 101 as REST's GET /classes/Patient/<id>
    rest = (await api.get(f"/classes/Patient/{pid}", session=token)).json()
    error = await gql.error("query($id: ID!) { patient(id: $id) { mrn } }", {"id": pid}, session=token)
    assert error["extensions"] == {"code": rest["code"]} == {"code": 101}
    assert error["message"] == rest["error"] == "Object not found."
    note = await gql.error("query($id: ID!) { medicalNote(id: $id) { title } }", {"id": w.ids["MedicalNote"]},
                           session=token)
    assert note["extensions"] == {"code": 101} and note["path"] == ["medicalNote"]
    # without a session: refused by the class-level permissions, with REST's code and message
    rest = (await api.get("/classes/MedicalNote", params={"count": 1, "limit": 0})).json()
    anonymous = await gql.error("{ medicalNotes { count } }")
    assert (anonymous["extensions"]["code"], anonymous["message"]) == (rest["code"], rest["error"])
    assert anonymous["extensions"]["code"] == 119

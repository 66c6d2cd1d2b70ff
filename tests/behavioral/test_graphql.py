"""The same rules over GraphQL: the server scores, a completed assessment is never edited in
place, the workflow functions are named mutations, and the patient reads only what is published."""

from __future__ import annotations

from typing import Any

import pytest

from tests.behavioral.helpers import build_clinic, snapshot
from tests.conftest import Api
from tests.graphql_api.conftest import Gql

CREATE = """
mutation($fields: CreateIntakeAssessmentFieldsInput) {
  createIntakeAssessment(input: {fields: $fields}) {
    intakeAssessment { objectId status totalScore severity crisisFlag version }
  }
}
"""
READ = "query($id: ID!) { intakeAssessment(id: $id) { objectId totalScore publishedAt } }"


@pytest.fixture
def gql(api: Api) -> Gql:
    return Gql(api)


async def test_assessments_over_graphql(api: Api, gql: Gql, core: Any) -> None:
    c = await build_clinic(api)
    doc = c.token("doc")
    fields = {"patient": {"link": c.profiles["a"]}, "assessor": {"link": c.uid("doc")},
              "assessmentDate": "2026-01-05T10:00:00.000Z", "status": "completed", "totalScore": 1,
              "data": {"instrument": "GAD-7", "answers": [2, 2, 2, 1, 1, 1, 1]}}
    created = (await gql.data(CREATE, {"fields": fields}, session=doc))["createIntakeAssessment"]["intakeAssessment"]
    oid = created["objectId"]
    assert {k: v for k, v in created.items() if k != "objectId"} == {
        "status": "completed", "totalScore": 10, "severity": "moderate", "crisisFlag": False, "version": 1}
    before = await snapshot(core)
    error = await gql.error("""mutation($id: ID!) { updateIntakeAssessment(input: {id: $id, fields: {details: "x"}}) {
                                 intakeAssessment { objectId } } }""", {"id": oid}, session=doc)
    assert error["extensions"] == {"code": 142} and "never edited in place" in error["message"]
    bad = {**fields, "data": {"instrument": "GAD-7", "answers": [2, 2, 2, 1, 1, 1, 1.5]}}
    error = await gql.error(CREATE, {"fields": bad}, session=doc)
    assert (error["extensions"], error["message"]) == (
        {"code": 142}, "GAD-7 item 7 must be an integer from 0 to 3; got 1.5.")
    assert await snapshot(core) == before
    error = await gql.error(READ, {"id": oid}, session=c.token("patient"))
    assert error["extensions"] == {"code": 101}
    call = """mutation($p: Object) { publishAssessment(input: {params: $p}) { result } }"""
    result = (await gql.data(call, {"p": {"assessment": oid}}, session=doc))["publishAssessment"]["result"]
    assert result["assessment"]["publishedBy"]["objectId"] == c.uid("doc")
    got = (await gql.data(READ, {"id": oid}, session=c.token("patient")))["intakeAssessment"]
    assert (got["objectId"], got["totalScore"], got["publishedAt"]) == (oid, 10, result["assessment"]["publishedAt"]["iso"])
    error = await gql.error(READ, {"id": oid}, session=c.token("other"))
    assert error["extensions"] == {"code": 101}

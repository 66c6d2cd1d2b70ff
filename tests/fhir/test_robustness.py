"""Bad input is an OperationOutcome with a 4xx status — never a 500, never a half-written record."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api, row_count
from tests.fhir.helpers import fhir, get
from tests.policy.world import build_world

BAD_SEARCHES = [
    "/Encounter?date=2026-13-45", "/Encounter?date=", "/Encounter?patient=", "/Encounter?patient=Practitioner/x",
    "/Encounter?_count=-1", "/Encounter?_offset=x", "/Encounter?_sort=", "/Encounter?_id=a,,b",
    "/Encounter?_lastUpdated=gt", "/Patient?name:exact=", "/Patient?identifier=%7C", "/Observation?code=x|y",
    "/Encounter?date=2026-02-30", "/Encounter?date=2026-01-01T25:00", "/Encounter?_include=", "/Patient/$everything",
    "/Patient/x/$everything?_count=0", "/Patient/x/$everything?foo=1", "/DocumentReference/x/_history/abc",
    "/Encounter?status=", "/Flag?status=a,b", "/Provenance?target=Patient/x",
]

ENCOUNTER_BODIES: list[Any] = [
    [], "text", 12, {"resourceType": "Encounter", "subject": "Patient/x"},
    {"resourceType": "Encounter", "subject": {"reference": 5}},
    {"resourceType": "Encounter", "period": "2026"}, {"resourceType": "Encounter", "period": {"start": 5}},
    {"resourceType": "Encounter", "participant": {"individual": "x"}}, {"resourceType": "Encounter", "participant": ["x"]},
    {"resourceType": "Encounter", "type": "inpatient"}, {"resourceType": "Encounter", "type": [None]},
    {"resourceType": "Encounter", "identifier": "E-1"}, {"resourceType": "Encounter", "class": "AMB"},
    {"resourceType": "Encounter", "status": ["in-progress"]}, {"resourceType": "Encounter", "serviceType": "x"},
]


async def test_bad_searches_are_4xx_outcomes(api: Api) -> None:
    w = await build_world(api)
    token = w.token("physician")
    for path in BAD_SEARCHES:
        r = await get(api, path, token)
        assert 400 <= r.status_code < 500 or r.status_code == 200, (path, r.status_code, r.text)
        if r.status_code != 200:
            assert r.json()["resourceType"] == "OperationOutcome", path


async def test_bad_bodies_are_4xx_outcomes_and_write_nothing(api: Api, core: Any) -> None:
    w = await build_world(api)
    token = w.token("physician")
    before = await row_count(core, "Encounter")
    for body in ENCOUNTER_BODIES:
        r = await fhir(api, "POST", "/Encounter", token, json=body)
        assert 400 <= r.status_code < 500, (body, r.status_code, r.text)
        r = await fhir(api, "PUT", f"/Encounter/{w.ids['Encounter']}", token, json={**body, "id": w.ids["Encounter"]}
                       if isinstance(body, dict) else body)
        assert 400 <= r.status_code < 500, (body, r.status_code, r.text)
    for body in ({"resourceType": "Patient", "name": "Ada"}, {"resourceType": "Patient", "name": [{"given": "A"}]},
                 {"resourceType": "Patient", "identifier": {"value": "x"}}, {"resourceType": "Patient", "extension": 1},
                 {"resourceType": "Patient", "generalPractitioner": {"reference": "x"}},
                 {"resourceType": "Patient", "birthDate": 1990}):
        r = await fhir(api, "POST", "/Patient", token, json=body)
        assert 400 <= r.status_code < 500, (body, r.status_code, r.text)
    for body in ({"resourceType": "Appointment", "participant": [{"actor": "x"}]},
                 {"resourceType": "Appointment", "participant": "x"}, {"resourceType": "Appointment", "start": []}):
        r = await fhir(api, "POST", "/Appointment", w.token("provider"), json=body)
        assert 400 <= r.status_code < 500, (body, r.status_code, r.text)
    for body in ({"resourceType": "Communication", "payload": "x"}, {"resourceType": "Communication", "recipient": "x"},
                 {"resourceType": "Communication", "statusReason": "read"}, {"resourceType": "Communication",
                                                                              "payload": [{"contentString": 3}]}):
        r = await fhir(api, "POST", "/Communication", w.token("provider"), json=body)
        assert 400 <= r.status_code < 500, (body, r.status_code, r.text)
    assert await row_count(core, "Encounter") == before

"""Access through FHIR follows the shared rules: an expired session, break-the-glass, a psychotherapy
note's grant; the Practitioner directory; POST _search; and a page of notes costs the same number of
queries whatever its size (no query per row)."""

from __future__ import annotations

from typing import Any

import pytest

from chartkeep.storage.postgres import PgConn
from chartkeep.storage.sqlite import SqliteConn
from tests.clinical.helpers import draft
from tests.conftest import Api
from tests.fhir.helpers import fhir, get, ids, issue
from tests.policy.world import build_world, staff


async def test_an_expired_session_gets_401(api: Api, core: Any) -> None:
    w = await build_world(api)
    core.settings.session_length = 0  # every new session is over at once
    r = await api.post("/login", {"username": "physician1", "password": "Long-enough-pw-1"})
    assert r.status_code == 200, r.text
    issue(await get(api, f"/Patient/{w.ids['Patient']}", r.json()["sessionToken"]), 401, "login", "expired")


async def test_break_the_glass_opens_the_chart_read_only_through_fhir(api: Api) -> None:
    w = await build_world(api)
    pid, token = w.ids["Patient"], w.token("outsider")
    issue(await get(api, f"/Patient/{pid}", token), 404, "not-found")
    r = await api.post("/functions/breakTheGlass", {"patient": w.ref("Patient"), "reason": "Unconscious in the ED"},
                       session=token)
    assert r.status_code == 200, r.text
    assert (await get(api, f"/Patient/{pid}", token)).json()["id"] == pid
    assert ids((await get(api, f"/Encounter?patient={pid}", token)).json()) == [w.ids["Encounter"]]
    everything = (await get(api, f"/Patient/{pid}/$everything", token)).json()
    assert {e["resource"]["resourceType"] for e in everything["entry"]} == {"Patient", "Encounter", "DocumentReference"}
    patient = (await get(api, f"/Patient/{pid}", token)).json()
    r = await fhir(api, "PUT", f"/Patient/{pid}", token, json={**patient, "name": [{"text": "Changed"}]})
    assert r.status_code in (403, 404), r.text  # read-only
    assert (await api.get(f"/classes/Patient/{pid}", master=True)).json()["fullName"] != "Changed"


async def test_practitioner_directory(api: Api) -> None:
    w = await build_world(api)
    doc = await staff(api, "dr_grey", "physician")
    r = await api.put(f"/users/{doc['objectId']}", {"displayName": "Meredith Grey", "licenseNumber": "LIC-42"},
                      master=True)
    assert r.status_code == 200, r.text
    token = w.token("nurse")
    found = (await get(api, "/Practitioner?name=grey", token)).json()
    assert ids(found) == [doc["objectId"]]
    pract = found["entry"][0]["resource"]
    assert pract["name"][0] == {"text": "Meredith Grey", "family": "Grey", "given": ["Meredith"]}
    assert pract["identifier"] == [{"system": "urn:chartkeep:license", "value": "LIC-42"}]
    assert ids((await get(api, "/Practitioner?identifier=LIC-42", token)).json()) == [doc["objectId"]]
    # a patient account is not a Practitioner
    issue(await get(api, f"/Practitioner/{w.users['patient']['objectId']}", token), 404, "not-found")


async def test_post_search_takes_a_form_body(api: Api) -> None:
    w = await build_world(api)
    token = w.token("physician")
    r = await api.client.post("/fhir/R4/Encounter/_search", data={"patient": w.ids["Patient"], "status": "in-progress"},
                              headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and ids(r.json()) == [w.ids["Encounter"]], r.text


@pytest.fixture
def queries(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    for cls in (SqliteConn, PgConn):
        for name in ("fetch", "fetchrow", "fetchval"):
            original = getattr(cls, name)

            async def counted(self: Any, sql: str, params: Any = (), _original: Any = original) -> Any:
                seen.append(sql)
                return await _original(self, sql, params)

            monkeypatch.setattr(cls, name, counted)
    return seen


async def test_a_page_of_notes_costs_the_same_queries_for_one_note_or_six(api: Api, queries: list[str]) -> None:
    w = await build_world(api)
    token = w.token("physician")
    await draft(w, "physician")

    async def cost() -> tuple[int, int]:
        queries.clear()
        found = (await get(api, f"/DocumentReference?patient={w.ids['Patient']}", token)).json()
        return len(found.get("entry", [])), len([q for q in queries if q.lstrip().upper().startswith("SELECT")])

    small = await cost()
    for _ in range(5):
        await draft(w, "physician")
    large = await cost()
    assert (small[0], large[0]) == (2, 7)  # the world's note and the drafts
    assert large[1] == small[1], (small, large)


async def test_a_42cfr2_crisis_log_is_a_labelled_flag_its_author_and_patient_read(api: Api) -> None:
    w = await build_world(api)
    profile = f"bh-{w.ids['PatientProfile']}"
    r = await api.post("/classes/CrisisInterventionLog", {
        "patient": w.ref("PatientProfile"), "interventionDate": {"__type": "Date", "iso": "2026-02-02T10:00:00.000Z"},
        "details": "SUD", "shareWithPatient": True}, session=w.token("nurse"))
    log = r.json()["objectId"]
    r = await api.put(f"/classes/CrisisInterventionLog/{log}", {"securityLabels": ["42CFR2"]},
                      session=w.token("physician"))
    assert r.status_code == 200, r.text
    flag = (await get(api, f"/Flag/{log}", w.token("nurse"))).json()
    assert flag["meta"]["security"] == [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                                         "code": "42CFRPart2", "display": "42 CFR Part2"}]
    assert flag["status"] == "active" and flag["author"] == {"reference": f"Practitioner/{w.users['nurse']['objectId']}"}
    assert (await get(api, f"/Flag/{log}", w.token("patient"))).status_code == 200  # 42 CFR 2.23
    for who in ("physician", "scribe", "provider", "admin"):
        r = await get(api, f"/Flag/{log}", w.token(who))
        assert r.status_code in (403, 404), who
        r = await get(api, f"/Flag?patient=Patient/{profile}", w.token(who))
        assert r.status_code == 403 or log not in ids(r.json()), who


async def test_vread_and_history_of_a_resource_that_keeps_one_version(api: Api) -> None:
    w = await build_world(api)
    token, eid = w.token("physician"), w.ids["Encounter"]
    enc = (await get(api, f"/Encounter/{eid}", token)).json()
    version = enc["meta"]["versionId"]
    assert (await get(api, f"/Encounter/{eid}/_history/{version}", token)).json() == enc
    history = (await get(api, f"/Encounter/{eid}/_history", token)).json()
    assert history["type"] == "history" and [e["resource"] for e in history["entry"]] == [enc]
    r = await api.put(f"/classes/Encounter/{eid}", {"department": "Cardiology"}, session=token)
    assert r.status_code == 200
    issue(await get(api, f"/Encounter/{eid}/_history/{version}", token), 404, "not-found", "keeps only its current")
    now = (await get(api, f"/Encounter/{eid}", token)).json()
    assert now["meta"]["versionId"] != version and now["serviceType"] == {"text": "Cardiology"}

"""FHIR create/update of Patient, Encounter, Appointment and Communication: through the Parse write
pipeline (its rules, ACLs and ledger — every request here is checked by tests/ledger_check.py), and
visible through the Parse API afterwards."""

from __future__ import annotations

from typing import Any

from tests.audit.helpers import entries_after, head
from tests.behavioral.clinic import build
from tests.conftest import Api, row_count
from tests.fhir.helpers import fhir, get, issue
from tests.policy.world import build_world

PROFILE = "urn:chartkeep:mrn:behavioral-health"


def new_patient(mrn: str, system: str = "urn:chartkeep:mrn:ehr") -> dict[str, Any]:
    return {"resourceType": "Patient", "identifier": [{"system": system, "value": mrn}],
            "name": [{"given": ["Ada"], "family": "Lovelace"}], "birthDate": "1990-12-10", "gender": "female",
            "active": True}


async def test_patient_create_and_update_reach_the_parse_api_and_the_ledger(api: Api, core: Any) -> None:
    w = await build_world(api)
    token, me = w.token("physician"), w.users["physician"]["objectId"]
    before = await head(core)
    r = await fhir(api, "POST", "/Patient", token, json=new_patient("MRN-900"))
    assert r.status_code == 201, r.text
    created = r.json()
    pid = created["id"]
    assert r.headers["location"] == f"http://testserver/fhir/R4/Patient/{pid}/_history/{created['meta']['versionId']}"
    assert created["name"][0]["text"] == "Ada Lovelace" and created["birthDate"] == "1990-12-10"
    assert ("create", me, pid, "Patient", pid, "success") in await entries_after(core, before)
    parse = (await api.get(f"/classes/Patient/{pid}", session=token)).json()
    assert (parse["mrn"], parse["fullName"], parse["sexAtBirth"], parse["status"], parse["dateOfBirth"]["iso"]) == (
        "MRN-900", "Ada Lovelace", "female", "active", "1990-12-10T00:00:00.000Z")
    # the creator's chart: another physician on no team reads nothing of it
    issue(await get(api, f"/Patient/{pid}", w.token("outsider")), 404, "not-found")
    changed = {**created, "name": [{"text": "Ada King"}], "active": False}
    r = await fhir(api, "PUT", f"/Patient/{pid}", token, json=changed)
    assert r.status_code == 200 and r.json()["name"][0]["text"] == "Ada King" and r.json()["active"] is False
    parse = (await api.get(f"/classes/Patient/{pid}", session=token)).json()
    assert (parse["fullName"], parse["status"], parse["mrn"]) == ("Ada King", "inactive", "MRN-900")
    # a behavioral-health identifier makes a PatientProfile, which needs its portal account first
    r = await fhir(api, "POST", "/Patient", w.token("admin"), json=new_patient("BH-77", PROFILE))
    issue(r, 422, "business-rule", "user is required")
    bh = f"bh-{w.ids['PatientProfile']}"
    profile = (await get(api, f"/Patient/{bh}", token)).json()
    r = await fhir(api, "PUT", f"/Patient/{bh}", token, json={**profile, "name": [{"text": "Grace Hopper"}]})
    assert r.status_code == 200 and r.json()["name"][0]["text"] == "Grace Hopper", r.text
    parse = (await api.get(f"/classes/PatientProfile/{w.ids['PatientProfile']}", session=token)).json()
    assert parse["displayName"] == "Grace Hopper"


async def test_bad_writes_change_nothing(api: Api, core: Any) -> None:
    w = await build_world(api)
    token = w.token("physician")
    count = await row_count(core, "Patient")
    issue(await fhir(api, "POST", "/Patient", token, json={"resourceType": "Encounter"}), 400, "invalid", "Patient")
    issue(await fhir(api, "POST", "/Patient", token, json={**new_patient("X"), "birthDate": "10/12/1990"}), 400,
          "invalid", "Invalid date")
    issue(await fhir(api, "POST", "/Patient", token, content=b"{nope", headers={
        "Content-Type": "application/fhir+json"}), 400, "invalid")
    issue(await fhir(api, "POST", "/Flag", token, json={"resourceType": "Flag"}), 405, "not-supported")
    issue(await fhir(api, "PUT", f"/Patient/{w.ids['Patient']}", token, json={**new_patient("X"), "id": "other"}),
          400, "invalid", "must be the id in the URL")
    issue(await fhir(api, "POST", "/Patient", w.token("patient"), json=new_patient("X")), 403, "forbidden")
    assert await row_count(core, "Patient") == count
    enc = await row_count(core, "Encounter")
    issue(await fhir(api, "POST", "/Encounter", token, json={
        "resourceType": "Encounter", "status": "in-progress", "class": {"code": "AMB"},
        "subject": {"reference": f"Patient/bh-{w.ids['PatientProfile']}"}}), 422, "business-rule")
    r = await fhir(api, "POST", "/Encounter", w.token("outsider"), json={
        "resourceType": "Encounter", "status": "in-progress", "class": {"code": "AMB"},
        "identifier": [{"value": "E-77"}], "period": {"start": "2026-04-01"},
        "subject": {"reference": f"Patient/{w.ids['Patient']}"}})
    assert r.status_code in (403, 404), r.text
    assert await row_count(core, "Encounter") == enc


async def test_encounter_create_and_update(api: Api) -> None:
    w = await build_world(api)
    token, pid = w.token("physician"), w.ids["Patient"]
    r = await fhir(api, "POST", "/Encounter", token, json={
        "resourceType": "Encounter", "status": "in-progress",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
        "identifier": [{"system": "urn:chartkeep:encounter", "value": "E-900"}],
        "subject": {"reference": f"Patient/{pid}"}, "period": {"start": "2026-04-01T08:30:00Z"},
        "participant": [{"individual": {"reference": f"Practitioner/{w.users['physician']['objectId']}"}}]})
    assert r.status_code == 201, r.text
    enc = r.json()
    assert enc["class"]["code"] == "IMP" and enc["period"]["start"] == "2026-04-01T08:30:00.000Z"
    parse = (await api.get(f"/classes/Encounter/{enc['id']}", session=token)).json()
    assert (parse["status"], parse["type"], parse["encounterNumber"]) == ("open", "inpatient", "E-900")
    r = await fhir(api, "PUT", f"/Encounter/{enc['id']}", token, json={
        **enc, "status": "finished", "period": {"start": "2026-04-01T08:30:00Z", "end": "2026-04-02T10:00:00Z"}})
    assert r.status_code == 200 and r.json()["status"] == "finished", r.text
    parse = (await api.get(f"/classes/Encounter/{enc['id']}", session=token)).json()
    assert (parse["status"], parse["endedAt"]["iso"]) == ("closed", "2026-04-02T10:00:00.000Z")
    found = (await get(api, f"/Encounter?patient={pid}&status=finished", token)).json()
    assert [e["resource"]["id"] for e in found["entry"]] == [enc["id"]]


async def test_appointment_and_communication_writes_follow_the_messaging_rules(api: Api) -> None:
    c = await build(api)
    token, profile = c.token("provA"), f"Patient/bh-{c.profile('A')}"
    body = {"resourceType": "Appointment", "status": "booked", "description": "follow-up",
            "start": "2026-05-01T09:00:00Z", "end": "2026-05-01T09:50:00Z",
            "participant": [{"actor": {"reference": profile}, "status": "needs-action"},
                            {"actor": {"reference": f"Practitioner/{c.uid('provA')}"}, "status": "accepted"}]}
    r = await fhir(api, "POST", "/Appointment", token, json=body)
    assert r.status_code == 201, r.text
    appt = r.json()
    parse = (await api.get(f"/classes/Appointment/{appt['id']}", session=token)).json()
    assert (parse["status"], parse["reason"], parse["startAt"]["iso"]) == (
        "scheduled", "follow-up", "2026-05-01T09:00:00.000Z")
    r = await fhir(api, "POST", "/Appointment", token, json=body)  # the same slot again
    issue(r, 409, "duplicate", "The provider is already booked at this time")
    r = await fhir(api, "PUT", f"/Appointment/{appt['id']}", token, json={**appt, "status": "cancelled"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text
    # a message from the provider to the patient's own account
    r = await fhir(api, "POST", "/Communication", token, json={
        "resourceType": "Communication", "status": "completed", "subject": {"reference": profile},
        "recipient": [{"reference": profile}], "identifier": [{"value": "conv-A"}],
        "payload": [{"contentString": "Your results are in"}]})
    assert r.status_code == 201, r.text
    msg = r.json()
    assert msg["sender"] == {"reference": f"Practitioner/{c.uid('provA')}"} and msg["recipient"] == [
        {"reference": profile}]
    parse = (await api.get(f"/classes/Message/{msg['id']}", session=c.token("A"))).json()
    assert (parse["from"]["objectId"], parse["to"]["objectId"], parse["body"]) == (
        c.uid("provA"), c.uid("A"), "Your results are in")
    # the patient marks it read through FHIR; nothing else of a sent message moves
    mine = (await get(api, f"/Communication/{msg['id']}", c.token("A"))).json()
    r = await fhir(api, "PUT", f"/Communication/{msg['id']}", c.token("A"), json={
        **mine, "statusReason": {"coding": [{"system": "urn:chartkeep:message-receipt", "code": "read"}]},
        "payload": [{"contentString": "rewritten"}]})
    assert r.status_code == 200, r.text
    assert r.json()["statusReason"]["coding"][0]["code"] == "read"
    assert r.json()["payload"] == [{"contentString": "Your results are in"}]
    # another patient cannot message into A's chart
    r = await fhir(api, "POST", "/Communication", c.token("B"), json={
        "resourceType": "Communication", "status": "completed", "subject": {"reference": profile},
        "recipient": [{"reference": f"Practitioner/{c.uid('provA')}"}], "payload": [{"contentString": "hi"}]})
    assert r.status_code in (403, 404, 422), r.text

"""The behavioral-health chart as FHIR: PHQ-9/GAD-7, appointments, messages, crisis flags,
Patient/$everything — and what another patient or a provider on no team gets (nothing)."""

from __future__ import annotations

import json
from typing import Any

from tests.behavioral.clinic import Clinic, build, date, ptr
from tests.conftest import Api
from tests.fhir.helpers import get, ids, issue
from tests.policy.world import build_world

PHQ9 = [1, 2, 0, 3, 1, 0, 2, 1, 1]  # total 11, moderate, item 9 positive


async def scored(c: Clinic, patient: str, provider: str, instrument: str = "PHQ-9",
                 answers: list[int] | None = None) -> str:
    return await c.make("IntakeAssessment", {
        "patient": ptr("PatientProfile", c.profile(patient)), "assessor": c.user(provider),
        "assessmentDate": date("2026-03-01T10:00:00.000Z"), "status": "completed",
        "data": {"instrument": instrument, "answers": answers or PHQ9}}, provider)


async def test_phq9_as_observation_and_questionnaire_response(api: Api) -> None:
    c = await build(api)
    aid = await scored(c, "A", "provA")
    gad = await scored(c, "A", "provA", "gad7", [3, 3, 3, 3, 3, 0, 0])
    token = c.token("provA")
    obs = (await get(api, f"/Observation/{aid}", token)).json()
    assert obs["code"]["coding"][0] == {"system": "http://loinc.org", "code": "44261-6",
                                        "display": "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]"}
    assert obs["valueInteger"] == 11 and obs["interpretation"] == [{"text": "moderate"}]
    assert obs["subject"] == {"reference": f"Patient/bh-{c.profile('A')}"} and obs["status"] == "final"
    assert obs["performer"] == [{"reference": f"Practitioner/{c.uid('provA')}"}]
    assert obs["category"][0]["coding"][0]["code"] == "survey"
    qr = (await get(api, f"/QuestionnaireResponse/{aid}", token)).json()
    assert qr["questionnaire"] == "http://loinc.org/q/44249-1" and qr["status"] == "completed"
    assert [i["linkId"] for i in qr["item"]][:2] == ["44250-9", "44255-8"]
    assert qr["item"][3]["answer"][0]["valueCoding"]["code"] == "LA6571-9"  # item 4 answered 3
    assert qr["item"][-1] == {"linkId": "44261-6", "answer": [{"valueInteger": 11}]}
    profile = f"Patient/bh-{c.profile('A')}"
    found = (await get(api, f"/Observation?patient={profile}&code=http://loinc.org|70274-6", token)).json()
    assert ids(found) == [gad] and found["entry"][0]["resource"]["valueInteger"] == 15
    both = (await get(api, f"/Observation?subject={profile}&_sort=-_lastUpdated", token)).json()
    assert ids(both) == [gad, aid]
    # the free-form intake of the clinic is neither resource
    free = c.ids["A"]["IntakeAssessment"][0]
    issue(await get(api, f"/Observation/{free}", token), 404, "not-found")
    assert free not in ids((await get(api, f"/QuestionnaireResponse?patient={profile}", token)).json())
    assert (await get(api, "/Observation?date=2026-03-01&status=final", token)).json()["total"] == 2
    assert (await get(api, "/Observation?date=lt2026-03-01", token)).json()["total"] == 0


async def test_appointments_messages_and_crisis_flags(api: Api) -> None:
    c = await build(api)
    token, profile = c.token("provA"), f"Patient/bh-{c.profile('A')}"
    appts = (await get(api, f"/Appointment?patient={profile}&_sort=date", token)).json()
    assert ids(appts) == c.ids["A"]["Appointment"]
    first = appts["entry"][0]["resource"]
    assert first["status"] == "booked" and first["start"] == "2026-02-01T09:00:00.000Z"
    assert {p["actor"]["reference"] for p in first["participant"]} == {profile, f"Practitioner/{c.uid('provA')}"}
    assert (await get(api, "/Appointment?date=ge2026-02-05", token)).json()["total"] == 1
    assert (await get(api, f"/Appointment?practitioner=Practitioner/{c.uid('provA')}", token)).json()["total"] == 2
    assert (await get(api, "/Appointment?status=cancelled", token)).json()["total"] == 0
    msgs = (await get(api, f"/Communication?patient={profile}&_sort=sent", token)).json()
    assert ids(msgs) == c.ids["A"]["Message"]
    out, back = (e["resource"] for e in msgs["entry"])
    assert out["sender"] == {"reference": f"Practitioner/{c.uid('provA')}"} and out["recipient"] == [
        {"reference": profile}]
    assert back["sender"] == {"reference": profile} and back["payload"] == [{"contentString": "hello from A"}]
    assert out["statusReason"]["coding"][0]["code"] == "sent"
    flag = (await get(api, f"/Flag?patient={profile}&status=active", token)).json()
    assert ids(flag) == c.ids["A"]["CrisisInterventionLog"]
    assert flag["entry"][0]["resource"]["period"]["start"] == "2026-01-06T10:00:00.000Z"
    assert (await get(api, f"/Flag?patient={profile}&status=inactive", token)).json()["total"] == 0


async def test_everything_and_who_sees_nothing(api: Api) -> None:
    c = await build(api)
    aid = await scored(c, "A", "provA")
    pid = f"bh-{c.profile('A')}"
    logs = (await api.get(
        "/classes/CrisisInterventionLog", master=True, params={"where": json.dumps(
            {"patient": ptr("PatientProfile", c.profile("A"))})})).json()["results"]
    assert len(logs) == 2  # the clinic's, and the one item 9 of the PHQ-9 opened
    everything = (await get(api, f"/Patient/{pid}/$everything", c.token("provA"))).json()
    found = {(e["resource"]["resourceType"], e["resource"]["id"]) for e in everything["entry"]}
    assert found == {("Patient", pid), ("Observation", aid), ("QuestionnaireResponse", aid),
                     *(("Flag", log["objectId"]) for log in logs),
                     *(("Appointment", a) for a in c.ids["A"]["Appointment"]),
                     *(("Communication", m) for m in c.ids["A"]["Message"])}
    # the patient reads their own chart, as far as the portal lets them
    mine = (await get(api, f"/Patient/{pid}/$everything", c.token("A"))).json()
    assert ("Patient", pid) in {(e["resource"]["resourceType"], e["resource"]["id"]) for e in mine["entry"]}
    for who in ("B", "provB", "provC"):
        token = c.token(who)
        r = await get(api, f"/Patient/{pid}", token)
        assert r.status_code in (403, 404), (who, r.text)
        r = await get(api, f"/Patient/{pid}/$everything", token)
        assert r.status_code in (403, 404), (who, r.text)
        for type_name in ("Observation", "QuestionnaireResponse", "Flag", "Appointment", "Communication"):
            r = await get(api, f"/{type_name}?patient=Patient/{pid}", token)
            assert r.status_code == 403 or r.json()["total"] == 0, (who, type_name, r.text)
            r = await get(api, f"/{type_name}/{c.ids['A'].get('Appointment')[0] if type_name == 'Appointment' else aid}",
                          token)
            assert r.status_code in (403, 404), (who, type_name, r.text)


async def test_patient_search_spans_both_patient_classes_and_pages(api: Api) -> None:
    w = await build_world(api)
    token = w.token("physician")  # on the EHR chart's and the profile's care team
    both = (await get(api, "/Patient?_sort=name", token)).json()
    assert ids(both) == [w.ids["Patient"], f"bh-{w.ids['PatientProfile']}"]  # "Pat 1" < "Profile 2"
    assert both["total"] == 2
    backwards = (await get(api, "/Patient?_sort=-name", token)).json()
    assert ids(backwards) == [f"bh-{w.ids['PatientProfile']}", w.ids["Patient"]]
    page = (await get(api, "/Patient?_sort=-name&_count=1", token)).json()
    assert ids(page) == [f"bh-{w.ids['PatientProfile']}"]
    nxt = next(link["url"] for link in page["link"] if link["relation"] == "next")
    second = (await api.client.get(nxt, headers={"Authorization": f"Bearer {token}"})).json()
    assert ids(second) == [w.ids["Patient"]] and not any(link["relation"] == "next" for link in second["link"])
    prev = next(link["url"] for link in second["link"] if link["relation"] == "previous")
    assert ids((await api.client.get(prev, headers={"Authorization": f"Bearer {token}"})).json()) == ids(page)
    counted = (await get(api, "/Patient?_count=0", token)).json()
    assert counted["total"] == 2 and "entry" not in counted
    mrn = (await api.get(f"/classes/PatientProfile/{w.ids['PatientProfile']}", master=True)).json()
    found = (await get(api, "/Patient?identifier=urn:chartkeep:mrn:behavioral-health|"
                       + mrn["medicalRecordNumber"], token)).json()
    assert ids(found) == [f"bh-{w.ids['PatientProfile']}"]


async def test_the_servers_max_limit_bounds_the_page_and_its_links(api: Api, core: Any) -> None:
    c = await build(api)
    core.settings.max_limit = 1
    token = c.token("provA")
    page = (await get(api, f"/Appointment?patient=Patient/bh-{c.profile('A')}&_count=50&_sort=date", token)).json()
    assert ids(page) == c.ids["A"]["Appointment"][:1] and page["total"] == 2
    nxt = next(link["url"] for link in page["link"] if link["relation"] == "next")
    assert "_count=1" in nxt and "_offset=1" in nxt
    second = (await api.client.get(nxt, headers={"Authorization": f"Bearer {token}"})).json()
    assert ids(second) == c.ids["A"]["Appointment"][1:]


async def test_everything_caps_each_type_and_links_to_the_rest(api: Api) -> None:
    c = await build(api)
    pid = f"bh-{c.profile('A')}"
    token = c.token("provA")
    capped = (await get(api, f"/Patient/{pid}/$everything?_count=1", token)).json()
    kinds = [e["resource"]["resourceType"] for e in capped["entry"]]
    assert kinds.count("Appointment") == 1 and kinds.count("Communication") == 1
    nexts = sorted(link["url"] for link in capped["link"] if link["relation"] == "next")
    assert nexts == [f"http://testserver/fhir/R4/Appointment?patient=Patient/{pid}&_count=1&_offset=1",
                     f"http://testserver/fhir/R4/Communication?patient=Patient/{pid}&_count=1&_offset=1"]
    rest = (await api.client.get(nexts[0], headers={"Authorization": f"Bearer {token}"})).json()
    assert [e["resource"]["id"] for e in rest["entry"]] == c.ids["A"]["Appointment"][1:]

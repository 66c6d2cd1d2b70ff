"""Break-the-glass: time-boxed, read-only, audited access to a chart outside one's team."""

from __future__ import annotations

import json
from typing import Any

import httpx

from chartkeep.app import create_app
from tests.conftest import Api, row_count
from tests.policy.world import World, build_world

CHART = ("Patient", "Encounter", "MedicalNote", "NoteVersion", "Signature", "Attachment")
REASON = "Unconscious patient in the ED, no team reachable"


async def _glass(w: World, who: str, **params: Any) -> httpx.Response:
    return await w.api.post("/functions/breakTheGlass", params, session=w.token(who))


async def test_outsider_gets_read_only_access_for_a_while_and_an_audit_entry(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    w = await build_world(api)
    path = f"/classes/Patient/{w.ids['Patient']}"
    assert (await api.get(path, session=w.token("outsider"))).json()["code"] == 101
    r = await _glass(w, "outsider", patient=w.ref("Patient"), reason=REASON)
    assert r.status_code == 200, r.text
    result = r.json()["result"]
    assert result["className"] == "Patient" and result["objectId"] == w.ids["Patient"]
    for class_name in CHART:
        got = await api.get(f"/classes/{class_name}/{w.ids[class_name]}", session=w.token("outsider"))
        assert got.status_code == 200, class_name
    notes = await api.get("/classes/MedicalNote", params={"include": "author"}, session=w.token("outsider"))
    assert [n["objectId"] for n in notes.json()["results"]] == [w.ids["MedicalNote"]]
    # read-only: no writes into the chart
    r = await api.put(path, {"sexAtBirth": "F"}, session=w.token("outsider"))
    assert r.json()["code"] == 101
    r = await api.post("/classes/Encounter", w.body("Encounter", "outsider"), session=w.token("outsider"))
    assert r.json()["code"] == 119
    # a high-severity audit entry, which auditors and admins read and the clinician does not
    where = json.dumps({"eventType": "break_glass"})
    events = (await api.get("/classes/AuditEvent", params={"where": where}, session=w.token("auditor"))).json()
    [event] = events["results"]
    assert event["actor"]["objectId"] == w.users["outsider"]["objectId"]
    assert event["targetId"] == w.ids["Patient"] and event["patient"]["objectId"] == w.ids["Patient"]
    assert event["severity"] == "high" and event["metadata"]["reason"] == REASON
    assert (await api.get(f"/classes/AuditEvent/{event['objectId']}", session=w.token("outsider"))).json()["code"] == 119
    # listed for review by admins
    grants = (await api.get("/classes/BreakGlassAccess", session=w.token("admin"))).json()["results"]
    assert [(g["user"]["objectId"], g["reason"]) for g in grants] == [(w.users["outsider"]["objectId"], REASON)]
    assert (await api.get("/classes/BreakGlassAccess", session=w.token("physician"))).json()["code"] == 119
    r = await api.put(f"/classes/BreakGlassAccess/{grants[0]['objectId']}", {"reviewNote": "justified"},
                      session=w.token("admin"))
    assert r.status_code == 200
    assert await row_count(core, "BreakGlassAccess") == 1


async def test_refusals_change_nothing(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    w = await build_world(api)
    cases = [
        ("outsider", {"patient": w.ref("Patient")}, 142),
        ("outsider", {"patient": w.ref("Patient"), "reason": "because"}, 142),
        ("outsider", {"reason": REASON}, 142),
        ("outsider", {"patient": {"__type": "Pointer", "className": "Patient", "objectId": "nope000000"},
                      "reason": REASON}, 101),
        ("auditor", {"patient": w.ref("Patient"), "reason": REASON}, 119),
        ("patient", {"patient": w.ref("Patient"), "reason": REASON}, 119),
    ]
    for who, params, code in cases:
        r = await _glass(w, who, **params)
        assert r.json()["code"] == code, (who, params, r.text)
    r = await api.post("/functions/breakTheGlass", {"patient": w.ref("Patient"), "reason": REASON})
    assert r.json()["code"] == 209
    r = await api.post("/functions/noSuchThing", {}, session=w.token("outsider"))
    assert r.json() == {"code": 141, "error": 'Invalid function: "noSuchThing"'}
    assert await row_count(core, "BreakGlassAccess") == 0
    glass = json.dumps({"eventType": "break_glass"})
    found = await api.get("/classes/AuditEvent", params={"where": glass, "count": "1"}, session=w.token("auditor"))
    assert found.json()["count"] == 0
    assert (await api.get(f"/classes/Patient/{w.ids['Patient']}", session=w.token("outsider"))).json()["code"] == 101


async def test_access_ends_when_the_grant_expires(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    core.settings.break_glass_minutes = 0  # a grant that is already over
    w = await build_world(api)
    r = await _glass(w, "outsider", patient=w.ref("Patient"), reason=REASON)
    assert r.status_code == 200
    assert (await api.get(f"/classes/Patient/{w.ids['Patient']}", session=w.token("outsider"))).json()["code"] == 101


async def test_behavioral_chart_glass_is_logged_in_audit_log(api: Api) -> None:
    w = await build_world(api)
    r = await _glass(w, "outsider", patientProfile=w.ref("PatientProfile"), reason=REASON)
    assert r.status_code == 200, r.text
    got = await api.get(f"/classes/IntakeAssessment/{w.ids['IntakeAssessment']}", session=w.token("outsider"))
    assert got.status_code == 200
    logs = (await api.get("/classes/AuditLog", params={"where": json.dumps({"action": "break_glass"})},
                          session=w.token("admin"))).json()["results"]
    assert [(x["entityId"], x["patient"]["objectId"], x["severity"]) for x in logs] == [
        (w.ids["PatientProfile"], w.ids["PatientProfile"], "high")]


async def test_grant_is_seen_by_another_server_process(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    """A second app on the same database (another worker) honours the grant too."""
    w = await build_world(api)
    await _glass(w, "outsider", patient=w.ref("Patient"), reason=REASON)
    other = create_app(core.settings, None)
    async with other.router.lifespan_context(other):
        transport = httpx.ASGITransport(app=other)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            r = await Api(client).get(f"/classes/Patient/{w.ids['Patient']}", session=w.token("outsider"))
    assert r.status_code == 200

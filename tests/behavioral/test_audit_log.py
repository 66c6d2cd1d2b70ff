"""The ledger as the seed's ``AuditLog``: actor, entityType, entityId, action, summary, metadata —
for logins, reads of a profile, assessment views, message reads, message creation, break-the-glass."""

from __future__ import annotations

import json
from typing import Any

from tests.behavioral.clinic import PASSWORD, build, ptr
from tests.conftest import Api

SEED_FIELDS = {"actor", "entityType", "entityId", "action", "summary", "metadata"}


async def _log(api: Api, token: str, where: dict[str, Any]) -> list[dict[str, Any]]:
    r = await api.get("/classes/AuditLog", params={"where": json.dumps(where), "order": "seq"}, session=token)
    assert r.status_code == 200, r.text
    return list(r.json()["results"])


async def test_auditors_read_behavioral_health_events_in_the_seeds_vocabulary(api: Api) -> None:
    c = await build(api)
    a, profile = c.uid("A"), c.profile("A")
    login = await api.post("/login", {"username": "patientA", "password": PASSWORD})
    assert login.status_code == 200
    patient = login.json()["sessionToken"]
    assert (await api.get(f"/classes/PatientProfile/{profile}", session=c.token("provA"))).status_code == 200
    assert (await api.get("/classes/IntakeAssessment", session=patient)).status_code == 200
    assert len((await api.get("/classes/Message", session=patient)).json()["results"]) == 2
    sent = await c.make("Message", {"conversationId": "conv-A", "from": c.user("A"), "to": c.user("provA"),
                                    "patient": ptr("PatientProfile", profile), "body": "see you", "isRead": False}, "A")
    r = await c.call("provC", "breakTheGlass", patientProfile=ptr("PatientProfile", profile),
                     reason="Crisis line call, no team reachable")
    assert r.status_code == 200, r.text
    auditor = c.token("auditor")

    [entry] = await _log(api, auditor, {"action": "login", "actor": c.user("A")})
    assert SEED_FIELDS - {"metadata"} <= set(entry)  # no metadata on a login: a null field is left out, as Parse
    assert (entry["entityType"], entry["entityId"]) == ("_User", a)
    assert entry["summary"] == f"login _User {a}" and entry["outcome"] == "success"

    reads = await _log(api, auditor, {"action": "read", "actor": c.user("provA"), "entityType": "PatientProfile"})
    assert [(e["entityId"], e["patient"]["objectId"]) for e in reads] == [(profile, profile)]
    assert reads[0]["summary"] == f"read PatientProfile {profile}"

    views = await _log(api, auditor, {"action": "read", "actor": c.user("A"), "entityType": "IntakeAssessment"})
    assert [(e["entityId"], e["patient"]["objectId"]) for e in views] == [(c.ids["A"]["IntakeAssessment"][0], profile)]
    message_reads = await _log(api, auditor, {"action": "read", "actor": c.user("A"), "entityType": "Message"})
    assert [e["patient"]["objectId"] for e in message_reads] == [profile]

    [created] = await _log(api, auditor, {"action": "create", "entityType": "Message", "entityId": sent})
    assert created["actor"]["objectId"] == a and created["patient"]["objectId"] == profile
    assert created["summary"].startswith("fields: ") and "body" in created["summary"]

    [glass] = await _log(api, auditor, {"action": "break_glass"})
    assert set(glass) >= SEED_FIELDS
    assert glass["actor"]["objectId"] == c.uid("provC") and glass["entityId"] == profile
    assert glass["severity"] == "high" and glass["metadata"]["reason"] == "Crisis line call, no team reachable"
    assert glass["summary"] == "Break-the-glass access: Crisis line call, no team reachable"

    # nobody else reads the log
    for who in ("A", "provA", "provC", "nurse"):
        r = await api.get("/classes/AuditLog", session=c.token(who))
        assert r.status_code == 400 and r.json()["code"] == 119, (who, r.text)
    [own] = await _log(api, c.token("admin"), {"action": "login", "actor": c.user("A")})
    assert own["objectId"] == entry["objectId"]

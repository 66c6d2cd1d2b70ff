"""A positive PHQ-9 item 9 raises one open, high-priority crisis log for the care team; crisis logs
follow their workflow, keep every change as an immutable revision, and reach the patient only
when shared."""

from __future__ import annotations

import json
from typing import Any

from chartkeep.behavioral.crisis_rules import MOVES
from tests.behavioral.helpers import (
    Clinic,
    assess,
    build_clinic,
    create,
    find,
    ledger,
    ok,
    phq9,
    refused,
    snapshot,
    stored,
)
from tests.conftest import Api
from tests.policy.world import DATE, ptr

ITEM9 = [3, 3, 2, 2, 2, 1, 2, 0, 2]  # total 17, item 9 "more than half the days"


async def test_item_9_raises_exactly_one_open_crisis_log(api: Api, core: Any) -> None:
    c = await build_clinic(api)
    a = await assess(c, status="completed", data=phq9(ITEM9))
    assert (a["totalScore"], a["severity"], a["crisisFlag"]) == (17, "moderately severe", True)
    logs = await find(c, "CrisisInterventionLog")
    assert len(logs) == 1
    log = logs[0]
    team = f"role:careTeam_PatientProfile_{c.profiles['a']}"
    assert {k: log[k] for k in ("patient", "status", "priority", "source", "recordedBy", "version", "details", "ACL")} == {
        "patient": c.profile("a"), "status": "open", "priority": "high", "source": ptr("IntakeAssessment", a["objectId"]),
        "recordedBy": c.user("doc"), "version": 1,
        "details": ("Crisis flag raised by the server: PHQ-9 item 9 (thoughts of being better off dead or of self-harm) "
                    f"answered 2 (more than half the days) on IntakeAssessment {a['objectId']}; total 17 "
                    "(moderately severe)."),
        "ACL": {team: {"read": True, "write": True}, "role:admin": {"read": True}},  # not the patient's
    }
    flags = await ledger(c, {"action": "crisis_flag"})
    assert [(e["actor"]["objectId"], e["entityType"], e["entityId"], e["patient"]["objectId"], e["severity"],
             e["metadata"]) for e in flags] == [
        (c.uid("doc"), "CrisisInterventionLog", log["objectId"], c.profiles["a"], "high",
         {"assessment": a["objectId"], "item9": 2, "totalScore": 17})]
    # a revision of the flagged assessment raises no second log; another positive screen does
    await ok(c, "reviseAssessment", {"assessment": a["objectId"], "revisionReason": "typo in details"}, "nurse")
    assert len(await find(c, "CrisisInterventionLog")) == 1
    pending = await assess(c, data=phq9([0, 0, 0, 0, 0, 0, 0, 0, 1]))
    assert len(await find(c, "CrisisInterventionLog", {"source": ptr("IntakeAssessment", pending["objectId"])})) == 1
    r = await api.put(f"/classes/IntakeAssessment/{pending['objectId']}", {"data": phq9([0] * 8 + [3])},
                      session=c.token("nurse"))
    assert r.status_code == 200, r.text
    assert len(await find(c, "CrisisInterventionLog")) == 2  # the same assessment is flagged once
    await assess(c, status="completed", data=phq9([3, 3, 3, 3, 3, 3, 3, 3, 0]))  # severe, item 9 = 0
    await assess(c, status="completed", data={"instrument": "GAD-7", "answers": [3] * 7})
    assert len(await find(c, "CrisisInterventionLog")) == 2
    # the patient and an outsider see none of it
    for who in ("patient", "other", "outsider", "provider"):
        assert await find(c, "CrisisInterventionLog", who=who) == [], who


async def _log(c: Clinic, who: str = "nurse", **fields: Any) -> dict[str, Any]:
    return await create(c, "CrisisInterventionLog", {"patient": c.profile("a"), "interventionDate": DATE, **fields}, who)


async def _put(c: Clinic, oid: str, body: dict[str, Any], who: str = "doc") -> Any:
    return await c.api.put(f"/classes/CrisisInterventionLog/{oid}", body, session=c.token(who))


async def test_the_response_workflow_and_its_history(api: Api, core: Any) -> None:
    c = await build_clinic(api)
    log = await _log(c, details="Called the crisis line", recordedBy=c.user("doc"), version=5, status="open")
    oid = log["objectId"]
    assert (log["status"], log["priority"], log["recordedBy"], log["version"]) == ("open", "normal", c.user("nurse"), 1)
    steps = [
        ({"status": "in_progress", "notes": "Safety plan started", "priority": "high"}, "doc"),
        ({"responseAction": "Same-day session; safety plan", "notes": "Family informed"}, "nurse"),
        ({"status": "resolved", "outcome": "Stable, follow-up booked"}, "doc"),
        ({"status": "in_progress", "notes": "Relapse the next day"}, "nurse"),  # a resolved crisis may reopen
        ({"status": "resolved"}, "doc"),
        ({"status": "closed"}, "doc"),
    ]
    for body, who in steps:
        r = await _put(c, oid, body, who)
        assert r.status_code == 200, (body, r.text)
    final = await stored(c, "CrisisInterventionLog", oid)
    assert (final["status"], final["version"], final["notes"], final["outcome"]) == (
        "closed", 7, "Relapse the next day", "Stable, follow-up booked")
    history = await find(c, "CrisisLogRevision", {"log": ptr("CrisisInterventionLog", oid)}, who="doc", order="version")
    assert [(h["version"], h["editor"]["objectId"], h["changedFields"], h["before"], h["after"]) for h in history] == [
        (1, c.uid("nurse"), ["details", "interventionDate", "patient", "priority", "recordedBy", "status"], {},
         {"details": "Called the crisis line", "interventionDate": DATE, "patient": c.profile("a"), "priority": "normal",
          "recordedBy": c.user("nurse"), "status": "open"}),
        (2, c.uid("doc"), ["notes", "priority", "status"], {"priority": "normal", "status": "open"},
         {"notes": "Safety plan started", "priority": "high", "status": "in_progress"}),
        (3, c.uid("nurse"), ["notes", "responseAction"], {"notes": "Safety plan started"},
         {"notes": "Family informed", "responseAction": "Same-day session; safety plan"}),
        (4, c.uid("doc"), ["outcome", "status"], {"status": "in_progress"},
         {"outcome": "Stable, follow-up booked", "status": "resolved"}),
        (5, c.uid("nurse"), ["notes", "status"], {"notes": "Family informed", "status": "resolved"},
         {"notes": "Relapse the next day", "status": "in_progress"}),
        (6, c.uid("doc"), ["status"], {"status": "in_progress"}, {"status": "resolved"}),
        (7, c.uid("doc"), ["status"], {"status": "resolved"}, {"status": "closed"}),
    ]
    before = await snapshot(core)
    refused(await _put(c, oid, {"notes": "late note"}), 142,
            "A closed CrisisInterventionLog is final: record a new log for a new crisis.")
    refused(await _put(c, oid, {"status": "open"}), 142,
            "A closed CrisisInterventionLog is final: record a new log for a new crisis.")
    assert await snapshot(core) == before
    r = await _put(c, oid, {"status": "closed", "version": 1})  # no change (version is the server's): accepted
    assert r.status_code == 200, r.text
    after = await snapshot(core)
    assert (after["CrisisLogRevision"], (await stored(c, "CrisisInterventionLog", oid))["version"]) == (
        before["CrisisLogRevision"], 7)


async def test_every_status_move_written_by_the_care_team(api: Api) -> None:
    """The whole table of docs/assessments.md: each legal move is accepted from a plain write by a
    care-team member, the same state again too; every other one is 142 naming the allowed moves."""
    c = await build_clinic(api)
    statuses = ("open", "in_progress", "resolved", "closed")
    done = {"responseAction": "Same-day session", "outcome": "Stable"}
    for start in statuses:
        for end in statuses:
            log = await _log(c, status="resolved" if start == "closed" else start, **done)
            oid = log["objectId"]
            if start == "closed":
                assert (await _put(c, oid, {"status": "closed"}, "nurse")).status_code == 200
            r = await _put(c, oid, {"status": end}, "doc")
            legal = end == start or end in MOVES[start]
            if legal:
                assert r.status_code == 200, (start, end, r.text)
            elif start == "closed":
                refused(r, 142, "A closed CrisisInterventionLog is final: record a new log for a new crisis.")
            else:
                refused(r, 142, f"CrisisInterventionLog status cannot go from {start} to {end} "
                                f"(from {start}: {', '.join(MOVES[start])}).")
            assert (await stored(c, "CrisisInterventionLog", oid))["status"] == (end if legal else start)


async def test_workflow_refusals_change_nothing(api: Api, core: Any) -> None:
    c = await build_clinic(api)
    log = await _log(c)
    oid = log["objectId"]
    other_assessment = await assess(c, data={"instrument": "intake"})
    before = await snapshot(core)
    cases = [
        ({"status": "closed"}, "doc", 142, "CrisisInterventionLog status cannot go from open to closed (from open: "
         "in_progress, resolved)."),
        ({"status": "resolved", "outcome": "ok"}, "doc", 142,
         "A resolved CrisisInterventionLog needs a responseAction (what was done)."),
        ({"status": "resolved", "responseAction": "call"}, "doc", 142,
         "A resolved CrisisInterventionLog needs an outcome (what came of it)."),
        ({"status": "escalated"}, "doc", 142,
         "CrisisInterventionLog status must be one of open, in_progress, resolved, closed."),
        ({"priority": "urgent"}, "doc", 142, "CrisisInterventionLog priority must be one of low, normal, high."),
        ({"recordedBy": c.user("doc")}, "doc", 142, "recordedBy cannot be changed once set"),
        ({"source": ptr("IntakeAssessment", other_assessment["objectId"])}, "doc", 142, "source cannot be changed once set"),
        ({"notes": "x"}, "outsider", 101, "Object not found."),
        ({"notes": "x"}, "patient", 119, None),
        ({"notes": "x"}, "admin", 101, "Object not found."),  # the CLP lets admins change labels; the ACL refuses
    ]
    for body, who, code, message in cases:
        refused(await _put(c, oid, body, who), code, message)
    for body, code, message in (
        ({"status": "closed"}, 142, "A CrisisInterventionLog is created open, in_progress, resolved; it is closed once resolved."),
        ({"status": "resolved"}, 142, "A resolved CrisisInterventionLog needs a responseAction (what was done)."),
        ({"source": ptr("IntakeAssessment", "missing1")}, 101, "Object not found: IntakeAssessment missing1"),
    ):
        r = await api.post("/classes/CrisisInterventionLog", {"patient": c.profile("a"), "interventionDate": DATE,
                                                              **body}, session=c.token("doc"))
        refused(r, code, message)
    refused(await api.delete(f"/classes/CrisisInterventionLog/{oid}", master=True), 119,
            "Permission denied: a CrisisInterventionLog is never deleted; it is kept with its history.")
    assert await snapshot(core) == before


async def test_revisions_cannot_be_written_changed_or_deleted(api: Api, core: Any) -> None:
    c = await build_clinic(api)
    log = await _log(c)
    rev = (await find(c, "CrisisLogRevision"))[0]
    path = f"/classes/CrisisLogRevision/{rev['objectId']}"
    before = await snapshot(core)
    message = "Permission denied: CrisisLogRevision rows are written by the server and never changed or deleted."
    body = {"log": ptr("CrisisInterventionLog", log["objectId"]), "version": 2, "changedFields": []}
    for r in (await api.put(path, {"version": 9}, master=True), await api.delete(path, master=True),
              await api.post("/classes/CrisisLogRevision", body, master=True)):
        refused(r, 119, message)
    for r in (await api.put(path, {"version": 9}, session=c.token("doc")), await api.delete(path, session=c.token("doc")),
              await api.post("/classes/CrisisLogRevision", body, session=c.token("doc"))):
        refused(r, 119)
    assert await snapshot(core) == before


async def test_a_shared_log_reaches_its_patient_only(api: Api, core: Any) -> None:
    c = await build_clinic(api)
    a = await assess(c, status="completed", data=phq9(ITEM9))  # not published
    log = (await find(c, "CrisisInterventionLog"))[0]
    oid, path = log["objectId"], f"/classes/CrisisInterventionLog/{log['objectId']}"
    assert (await api.get(path, session=c.token("patient"))).status_code == 404
    r = await _put(c, oid, {"shareWithPatient": True, "notes": "Discussed with the patient"}, "nurse")
    assert r.status_code == 200, r.text
    got = await api.get(path, params={"include": "source"}, session=c.token("patient"))
    assert got.status_code == 200, got.text
    # the unpublished assessment is not included: an unreadable target is dropped, as Parse does
    assert "source" not in got.json() and got.json()["notes"] == "Discussed with the patient"
    assert (await api.get(path, session=c.token("nurse"), params={"include": "source"})).json()["source"][
        "objectId"] == a["objectId"]
    assert [x["objectId"] for x in await find(c, "CrisisInterventionLog", who="patient")] == [oid]
    for who in ("other", "outsider", "provider"):
        assert (await api.get(path, session=c.token(who))).status_code == 404, who
        counted = await api.get("/classes/CrisisInterventionLog", params={"count": "1"}, session=c.token(who))
        assert counted.json() == {"results": [], "count": 0}, who
    # the history stays the care team's
    refused(await api.get("/classes/CrisisLogRevision", session=c.token("patient")), 119)
    assert await find(c, "CrisisLogRevision", who="outsider") == []
    assert len(await find(c, "CrisisLogRevision", who="nurse")) == 2
    r = await _put(c, oid, {"shareWithPatient": False})
    assert r.status_code == 200, r.text
    assert (await api.get(path, session=c.token("patient"))).status_code == 404
    entries = await ledger(c, {"entityId": oid, "action": {"$in": ["publish", "unpublish"]}})
    assert [(e["action"], e["actor"]["objectId"], e["summary"]) for e in entries] == [
        ("publish", c.uid("nurse"), "fields: notes, shareWithPatient"),
        ("unpublish", c.uid("doc"), "fields: shareWithPatient")]
    where = json.dumps({"objectId": oid})
    counted = await api.get("/classes/CrisisInterventionLog", params={"where": where, "count": "1"},
                            session=c.token("patient"))
    assert counted.json() == {"results": [], "count": 0}
    # a log created shared: the patient reads it at once, and the ledger says it was published
    shared = await _log(c, "doc", details="Phone check-in", shareWithPatient=True)
    got = await api.get(f"/classes/CrisisInterventionLog/{shared['objectId']}", session=c.token("patient"))
    assert got.status_code == 200 and got.json()["details"] == "Phone check-in"
    entries = await ledger(c, {"entityId": shared["objectId"], "action": {"$in": ["create", "publish"]}})
    assert sorted((e["action"], e["actor"]["objectId"]) for e in entries) == [
        ("create", c.uid("doc")), ("publish", c.uid("doc"))]

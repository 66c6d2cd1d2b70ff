"""Publishing to the patient is a server transition; the patient reads and acknowledges it; both
are in the ledger, and so is every view of an assessment."""

from __future__ import annotations

import json
from typing import Any

from tests.behavioral.helpers import (
    Clinic,
    assess,
    build_clinic,
    call,
    ledger,
    ok,
    phq9,
    refused,
    snapshot,
    stored,
)
from tests.conftest import Api
from tests.policy.world import ptr

ANSWERS = [2, 1, 1, 2, 0, 1, 1, 0, 0]


async def _sees(c: Clinic, who: str, oid: str) -> tuple[int, list[str], int]:
    """(get status, find ids, count) of one assessment for ``who``."""
    api, token, where = c.api, c.token(who), json.dumps({"objectId": oid})
    got = await api.get(f"/classes/IntakeAssessment/{oid}", session=token)
    found = (await api.get("/classes/IntakeAssessment", params={"where": where}, session=token)).json()
    counted = (await api.get("/classes/IntakeAssessment", params={"where": where, "count": "1", "limit": "0"},
                             session=token)).json()
    return got.status_code, [o["objectId"] for o in found["results"]], counted["count"]


async def test_publish_then_the_patient_reads_and_acknowledges(api: Api, core: Any) -> None:
    c = await build_clinic(api)
    a = await assess(c, status="completed", data=phq9(ANSWERS), recommendations="Weekly CBT")
    oid = a["objectId"]
    assert await _sees(c, "patient", oid) == (404, [], 0)  # not published yet: 101, nothing found
    r = await call(c, "acknowledgeAssessment", {"assessment": oid}, "patient")
    refused(r, 101, "Object not found.")
    for who, code, message in (("outsider", 101, "Object not found."), ("patient", 101, "Object not found."),
                               ("admin", 119, "Permission denied: only the patient's care team publishes an assessment.")):
        refused(await call(c, "publishAssessment", {"assessment": oid}, who), code, message)
    published = (await ok(c, "publishAssessment", {"assessment": ptr("IntakeAssessment", oid)}, "nurse"))["assessment"]
    assert (published["publishedBy"], published["totalScore"]) == (c.user("nurse"), 8)
    assert published["ACL"][c.uid("patient")] == {"read": True}
    again = (await ok(c, "publishAssessment", {"assessment": oid}, "doc"))["assessment"]
    assert (again["publishedAt"], again["publishedBy"]) == (published["publishedAt"], c.user("nurse"))  # idempotent
    assert await _sees(c, "patient", oid) == (200, [oid], 1)
    assert await _sees(c, "other", oid) == (404, [], 0)  # another patient: nothing
    for who in ("outsider", "provider"):
        assert await _sees(c, who, oid) == (404, [], 0)  # clinicians on no team: nothing
    r = await api.put(f"/classes/IntakeAssessment/{oid}", {"recommendations": "none"}, session=c.token("patient"))
    refused(r, 119)  # the patient reads, never writes
    before = await snapshot(core)
    refused(await call(c, "acknowledgeAssessment", {"assessment": oid}, "other"), 101, "Object not found.")
    refused(await call(c, "acknowledgeAssessment", {"assessment": oid}, "doc"), 119,
            "Permission denied: only the patient acknowledges their own assessment.")
    assert await snapshot(core) == before
    acked = (await ok(c, "acknowledgeAssessment", {"assessment": oid}, "patient"))["assessment"]
    assert acked["acknowledgedBy"] == c.user("patient") and acked["acknowledgedAt"]["__type"] == "Date"
    again = (await ok(c, "acknowledgeAssessment", {"assessment": oid}, "patient"))["assessment"]
    assert again["acknowledgedAt"] == acked["acknowledgedAt"]
    entries = await ledger(c, {"entityId": oid, "action": {"$in": ["publish", "acknowledge"]}})
    assert [(e["action"], e["actor"]["objectId"], e["patient"]["objectId"], e["entityType"], e["summary"])
            for e in entries] == [
        ("publish", c.uid("nurse"), c.profiles["a"], "IntakeAssessment", "published to the patient"),
        ("acknowledge", c.uid("patient"), c.profiles["a"], "IntakeAssessment", "acknowledged by the patient"),
    ]


async def test_only_completed_latest_versions_are_published(api: Api, core: Any) -> None:
    c = await build_clinic(api)
    pending = await assess(c, data=phq9(ANSWERS))
    refused(await call(c, "publishAssessment", {"assessment": pending["objectId"]}, "doc"), 142,
            "Only a completed IntakeAssessment is published; this one is pending.")
    v1 = await assess(c, status="completed", data=phq9(ANSWERS))
    await ok(c, "publishAssessment", {"assessment": v1["objectId"]}, "doc")
    v2 = (await ok(c, "reviseAssessment", {"assessment": v1["objectId"], "revisionReason": "typo"}, "doc"))["assessment"]
    # the revision is not the patient's until it is published; the published version stays readable
    assert await _sees(c, "patient", v2["objectId"]) == (404, [], 0)
    assert (await _sees(c, "patient", v1["objectId"]))[0] == 200
    refused(await call(c, "publishAssessment", {"assessment": v1["objectId"]}, "doc"), 142,
            f"IntakeAssessment {v1['objectId']} was revised by {v2['objectId']}: publish the latest version.")
    await ok(c, "publishAssessment", {"assessment": v2["objectId"]}, "doc")
    assert await _sees(c, "patient", v2["objectId"]) == (200, [v2["objectId"]], 1)
    refused(await call(c, "publishAssessment", {}, "doc"), 142, "assessment is required")
    refused(await api.post("/functions/publishAssessment", {"assessment": v2["objectId"]}, master=True), 209,
            "publishAssessment needs a logged-in user.")


async def test_views_of_an_assessment_are_in_the_ledger(api: Api, core: Any) -> None:
    c = await build_clinic(api)
    a = await assess(c, status="completed", data=phq9(ANSWERS))
    await ok(c, "publishAssessment", {"assessment": a["objectId"]}, "doc")
    r = await api.get(f"/classes/IntakeAssessment/{a['objectId']}", session=c.token("patient"))
    assert r.status_code == 200
    r = await api.get("/classes/IntakeAssessment", session=c.token("nurse"))
    assert [o["objectId"] for o in r.json()["results"]] == [a["objectId"]]
    r = await api.get(f"/classes/IntakeAssessment/{a['objectId']}", session=c.token("other"))
    assert r.status_code == 404
    reads = await ledger(c, {"action": "read", "entityType": "IntakeAssessment"})
    assert [(e["actor"]["objectId"], e.get("patient", {}).get("objectId"), e["outcome"])
            for e in reads if "actor" in e] == [  # (the test's own master-key reads have no actor)
        (c.uid("doc"), c.profiles["a"], "success"),  # publishAssessment reads it first
        (c.uid("patient"), c.profiles["a"], "success"),
        (c.uid("nurse"), c.profiles["a"], "success"),
        (c.uid("other"), None, "failure"),
    ]
    assert (await stored(c, "IntakeAssessment", a["objectId"]))["publishedBy"] == c.user("doc")

"""pending → completed; a completed assessment is never edited in place; revisions form a chain."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.behavioral.helpers import (
    assess,
    assessment_body,
    build_clinic,
    call,
    find,
    ok,
    phq9,
    refused,
    snapshot,
    stored,
)
from tests.conftest import Api
from tests.policy.world import LATER, ptr

NEVER_EDITED = ("A completed IntakeAssessment is never edited in place: revise it (reviseAssessment, or a new "
                "IntakeAssessment with previousVersion and revisionReason).")
ANSWERS = [1, 1, 1, 1, 1, 1, 1, 1, 0]


async def test_a_completed_assessment_is_never_edited_in_place(api: Api, core: Any) -> None:
    c = await build_clinic(api)
    got = await assess(c, data=phq9(ANSWERS), recommendations="Weekly CBT")
    path = f"/classes/IntakeAssessment/{got['objectId']}"
    r = await api.put(path, {"recommendations": "Weekly CBT, sleep hygiene"}, session=c.token("nurse"))
    assert r.status_code == 200, r.text  # pending: the care team edits it
    r = await api.put(path, {"status": "completed"}, session=c.token("doc"))
    assert r.status_code == 200, r.text
    before = await snapshot(core)
    cases = [
        ({"recommendations": "changed"}, "doc", False, 142, NEVER_EDITED),
        ({"data": phq9([0] * 9)}, "nurse", False, 142, NEVER_EDITED),
        ({"details": "changed by the master key"}, None, True, 142, NEVER_EDITED),
        ({"status": "pending"}, "doc", False, 142,
         f"IntakeAssessment status cannot go from completed to pending: {NEVER_EDITED}"),
        ({"status": "reviewed"}, "doc", False, 142, "IntakeAssessment status must be one of pending, completed."),
        ({"publishedAt": {"__type": "Date", "iso": "2026-01-06T00:00:00.000Z"}}, "doc", False, 142,
         "publishedAt is set by the server: use publishAssessment."),
        ({"acknowledgedBy": c.user("patient")}, "doc", False, 142,
         "acknowledgedBy is set by the server: use acknowledgeAssessment."),
        ({"assessor": c.user("nurse")}, "doc", False, 142, "assessor cannot be changed once set"),
        ({"recommendations": "x"}, "outsider", False, 101, "Object not found."),
        ({"recommendations": "x"}, "patient", False, 119, None),
    ]
    for body, who, master, code, message in cases:
        r = await api.put(path, body, session=c.token(who) if who else None, master=master)
        refused(r, code, message)
    r = await api.delete(path, master=True)
    refused(r, 119, "Permission denied: an IntakeAssessment is never deleted; it is kept with its history.")
    assert await snapshot(core) == before
    # the server's own values sent back unchanged (an SDK re-saving the object) change nothing: accepted
    r = await api.put(path, {"status": "completed", "totalScore": 1, "version": 9}, session=c.token("doc"))
    assert r.status_code == 200, r.text
    assert (await stored(c, "IntakeAssessment", got["objectId"]))["totalScore"] == 8


async def test_creation_rules(api: Api, core: Any) -> None:
    c = await build_clinic(api)
    before = await snapshot(core)
    cases = [
        (assessment_body(c, "nurse"), "doc", 119, "Permission denied: an assessment is recorded in its assessor's own name."),
        (assessment_body(c, status="done"), "doc", 142, "IntakeAssessment status must be one of pending, completed."),
        (assessment_body(c, supersededBy=ptr("IntakeAssessment", "x")), "doc", 142,
         "supersededBy is set by the server: use a revision (reviseAssessment)."),
        (assessment_body(c, "outsider"), "outsider", 119, "Permission denied: you are not on this patient's care team."),
        ({**assessment_body(c, "doc"), "patient": c.profile("b")}, "doc", 119,
         "Permission denied: you are not on this patient's care team."),
    ]
    for body, who, code, message in cases:
        refused(await api.post("/classes/IntakeAssessment", body, session=c.token(who)), code, message)
    assert await snapshot(core) == before


async def test_revisions_form_a_chain_and_never_fork(api: Api, core: Any) -> None:
    c = await build_clinic(api)
    v1 = await assess(c, status="completed", data=phq9(ANSWERS), recommendations="CBT")
    r = await call(c, "reviseAssessment", {"assessment": v1["objectId"]}, "nurse")
    refused(r, 142, "revisionReason is required: a revision says why.")
    got = await ok(c, "reviseAssessment", {"assessment": ptr("IntakeAssessment", v1["objectId"]),
                                           "revisionReason": "Item 4 misrecorded",
                                           "data": phq9([1, 1, 1, 3, 1, 1, 1, 1, 0])}, "nurse")
    v2, old = got["assessment"], got["previous"]
    assert (v2["__type"], v2["className"], v2["version"], v2["status"], v2["totalScore"], v2["severity"]) == (
        "Object", "IntakeAssessment", 2, "completed", 10, "moderate")
    assert (v2["previousVersion"], v2["revisionReason"], v2["assessor"]) == (
        ptr("IntakeAssessment", v1["objectId"]), "Item 4 misrecorded", c.user("nurse"))
    assert (v2["recommendations"], v2["patient"], v2["assessmentDate"]) == ("CBT", v1["patient"], v1["assessmentDate"])
    assert old["supersededBy"] == ptr("IntakeAssessment", v2["objectId"])
    assert {k: v for k, v in old.items() if k not in ("supersededBy", "updatedAt", "__type", "className")} == {
        k: v for k, v in v1.items() if k != "updatedAt"}  # nothing else of the old version changed
    before = await snapshot(core)
    r = await call(c, "reviseAssessment", {"assessment": v1["objectId"], "revisionReason": "again"}, "doc")
    refused(r, 142, f"IntakeAssessment {v1['objectId']} was already revised by {v2['objectId']}: revise the latest version.")
    # the same rules for a direct create that names previousVersion
    direct = [
        (assessment_body(c, status="completed", data=phq9(ANSWERS), previousVersion=ptr("IntakeAssessment", v2["objectId"])),
         142, "A revision needs a revisionReason saying why."),
        (assessment_body(c, previousVersion=ptr("IntakeAssessment", "nope"), revisionReason="x"), 101,
         "Object not found: IntakeAssessment nope"),
    ]
    for body, code, message in direct:
        refused(await api.post("/classes/IntakeAssessment", body, session=c.token("doc")), code, message)
    pending = await assess(c, data={"instrument": "PHQ-9"})
    r = await call(c, "reviseAssessment", {"assessment": pending["objectId"], "revisionReason": "x"}, "doc")
    refused(r, 142, "A pending IntakeAssessment is edited in place; only a completed one is revised.")
    r = await call(c, "reviseAssessment", {"assessment": v2["objectId"], "revisionReason": "x"}, "outsider")
    refused(r, 101, "Object not found.")
    assert len((await snapshot(core))["IntakeAssessment"]) == len(before["IntakeAssessment"]) + 1  # only `pending`
    r = await api.post("/classes/IntakeAssessment", assessment_body(
        c, status="completed", assessmentDate=LATER, data=phq9(ANSWERS), revisionReason="Date corrected",
        previousVersion=ptr("IntakeAssessment", v2["objectId"])), session=c.token("doc"))
    assert r.status_code == 201, r.text
    v3 = await stored(c, "IntakeAssessment", r.json()["objectId"])
    assert (v3["version"], v3["previousVersion"]["objectId"]) == (3, v2["objectId"])
    latest = await find(c, "IntakeAssessment", {"supersededBy": {"$exists": False}, "status": "completed"})
    assert [a["objectId"] for a in latest] == [v3["objectId"]]


async def test_concurrent_revisions_of_one_version_make_one_new_version(api: Api, core: Any) -> None:
    c = await build_clinic(api)
    v1 = await assess(c, status="completed", data=phq9(ANSWERS))
    replies = await asyncio.gather(*[
        call(c, "reviseAssessment", {"assessment": v1["objectId"], "revisionReason": f"edit {i}"}, who)
        for i, who in enumerate(("doc", "nurse", "doc", "nurse"))])
    codes = sorted(r.status_code for r in replies)
    assert codes == [200, 400, 400, 400], [r.text for r in replies]
    for r in replies:
        if r.status_code != 200:
            assert r.json()["code"] in (142, 137), r.text
    versions = await find(c, "IntakeAssessment", {"previousVersion": ptr("IntakeAssessment", v1["objectId"])})
    assert [v["version"] for v in versions] == [2]

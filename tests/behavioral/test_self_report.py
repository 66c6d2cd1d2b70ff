"""Patient self-report questionnaires: the care team assigns a PHQ-9 / GAD-7, the patient sees it
pending at once and answers it with ``submitAssessment``; scoring, the crisis flag, the ledger and
LiveQuery are those of any assessment; recommendations stay with the care team until published."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.behavioral.helpers import (
    Clinic,
    assess,
    assessment_body,
    build_clinic,
    call,
    find,
    ledger,
    ok,
    phq9,
    refused,
    snapshot,
    stored,
    subscribed,
)
from tests.conftest import Api
from tests.live.conftest import LiveServer, cheap_password_hashes, server, ws_impl  # noqa: F401 - fixtures
from tests.policy.world import ptr

DUE = {"__type": "Date", "iso": "2026-02-01T09:00:00.000Z"}
ANSWERED_BY_PATIENT = "Permission denied: the patient answers a self-report (submitAssessment)."
NO_RECOMMENDATIONS = ("recommendations are not written on a patient self-report, which the patient reads: record "
                      "them in a revision once it is submitted (reviseAssessment) and publish that.")
NEVER_EDITED = ("A completed IntakeAssessment is never edited in place: revise it (reviseAssessment, or a new "
                "IntakeAssessment with previousVersion and revisionReason).")


async def assign(c: Clinic, instrument: str = "PHQ-9", who: str = "doc", **extra: Any) -> dict[str, Any]:
    return dict((await ok(c, "assignAssessment", {"patient": c.profile("a"), "instrument": instrument, **extra},
                          who))["assessment"])


async def submit(c: Clinic, oid: str, answers: Any, who: str = "patient") -> dict[str, Any]:
    return dict((await ok(c, "submitAssessment", {"assessment": oid, "answers": answers}, who))["assessment"])


async def sees(c: Clinic, who: str, where: dict[str, Any]) -> tuple[list[str], int]:
    """(ids found, count) of IntakeAssessments matching ``where`` for ``who``."""
    token, raw = c.token(who), json.dumps(where)
    found = await c.api.get("/classes/IntakeAssessment", params={"where": raw}, session=token)
    counted = await c.api.get("/classes/IntakeAssessment", params={"where": raw, "count": "1", "limit": "0"},
                              session=token)
    assert found.status_code == counted.status_code == 200, (found.text, counted.text)
    return [o["objectId"] for o in found.json()["results"]], counted.json()["count"]


async def test_an_assigned_self_report_is_on_the_patients_dashboard_at_once(api: Api, core: Any) -> None:
    c = await build_clinic(api)
    a = await assign(c, "phq9", dueAt=DUE, details="Please answer before Monday's session")
    oid = a["objectId"]
    assert (a["status"], a["respondent"], a["assessor"], a["data"], a["dueAt"], a["version"]) == (
        "pending", "patient", c.user("doc"), {"instrument": "PHQ-9"}, DUE, 1)
    assert "totalScore" not in a and "recommendations" not in a
    assert a["ACL"][c.uid("patient")] == {"read": True}  # reads, never writes
    pending = {"patient": c.profile("a"), "status": "pending", "respondent": "patient"}
    assert await sees(c, "patient", pending) == ([oid], 1)
    got = await api.get(f"/classes/IntakeAssessment/{oid}", session=c.token("patient"))
    assert (got.status_code, got.json()["details"]) == (200, "Please answer before Monday's session")
    for who in ("other", "outsider", "provider"):  # another patient, clinicians on no team: nothing
        assert await sees(c, who, {"objectId": oid}) == ([], 0)
        refused(await api.get(f"/classes/IntakeAssessment/{oid}", session=c.token(who)), 101, "Object not found.")
    assert await sees(c, "nurse", {"objectId": oid}) == ([oid], 1)
    created = await ledger(c, {"entityId": oid, "action": "create"})
    assert [(e["actor"]["objectId"], e["patient"]["objectId"]) for e in created] == [(c.uid("doc"), c.profiles["a"])]
    before = await snapshot(core)
    cases = [
        ({"instrument": "PHQ-9"}, "outsider", 119, "Permission denied: you are not on this patient's care team."),
        ({"instrument": "PHQ-9"}, "patient", 119, None),
        ({"instrument": "BDI-II"}, "doc", 142, "instrument must be PHQ-9 or GAD-7; got 'BDI-II'."),
        ({}, "doc", 142, "instrument is required"),
        ({"instrument": 9}, "doc", 111, "instrument must be a string"),
        ({"instrument": "GAD-7", "dueAt": "next week"}, "doc", 111, "dueAt must be a Date"),
    ]
    for params, who, code, message in cases:
        refused(await call(c, "assignAssessment", {"patient": c.profile("a"), **params}, who), code, message)
    refused(await call(c, "assignAssessment", {"instrument": "PHQ-9"}, "doc"), 142, "patient is required")
    refused(await api.post("/functions/assignAssessment", {"patient": c.profile("a"), "instrument": "PHQ-9"},
                           master=True), 209, "assignAssessment needs a logged-in user.")
    assert await snapshot(core) == before


SCORES = [  # (instrument, answers, total, severity, crisis flag): every band edge
    ("PHQ-9", [0] * 9, 0, "minimal", False),
    ("PHQ-9", [1, 1, 1, 1, 0, 0, 0, 0, 0], 4, "minimal", False),
    ("PHQ-9", [1, 1, 1, 1, 1, 0, 0, 0, 0], 5, "mild", False),
    ("PHQ-9", [3, 3, 3, 0, 0, 0, 0, 0, 0], 9, "mild", False),
    ("PHQ-9", {f"item{i}": v for i, v in enumerate([3, 3, 3, 1, 0, 0, 0, 0, 0], 1)}, 10, "moderate", False),
    ("PHQ-9", [2, 2, 2, 2, 2, 2, 2, 0, 0], 14, "moderate", False),
    ("PHQ-9", [3, 3, 3, 3, 3, 0, 0, 0, 0], 15, "moderately severe", False),
    ("PHQ-9", [3, 3, 3, 3, 3, 3, 1, 0, 0], 19, "moderately severe", False),
    ("PHQ-9", [3, 3, 3, 3, 3, 3, 2, 0, 0], 20, "severe", False),
    ("PHQ-9", [3] * 9, 27, "severe", True),
    ("GAD-7", [0, 0, 0, 0, 1, 1, 2], 4, "minimal", False),
    ("GAD-7", [3, 3, 3, 0, 0, 0, 0], 9, "mild", False),
    ("GAD-7", [2, 2, 2, 2, 2, 2, 2], 14, "moderate", False),
    ("GAD-7", {f"item{i}": 3 for i in range(1, 8)}, 21, "severe", False),
]


async def test_a_submission_is_scored_exactly_as_any_assessment(api: Api, core: Any) -> None:
    c = await build_clinic(api)
    for instrument, answers, total, severity, crisis in SCORES:
        oid = (await assign(c, instrument))["objectId"]
        done = await submit(c, oid, answers)
        assert (done["status"], done["totalScore"], done["severity"], done["crisisFlag"]) == (
            "completed", total, severity, crisis), (instrument, answers)
        assert done["data"] == {"instrument": instrument, "answers": answers}
        assert done["submittedAt"] == done["assessmentDate"] and done["submittedAt"]["__type"] == "Date"
        assert "recommendations" not in done and "publishedAt" not in done
        row = await stored(c, "IntakeAssessment", oid)
        assert (row["totalScore"], row["respondent"], row["assessor"]) == (total, "patient", c.user("doc"))
    assert len(await find(c, "CrisisInterventionLog")) == 1  # only the 27 answered item 9


@pytest.mark.parametrize(("answers", "message"), [
    ([0] * 8, "PHQ-9 needs exactly 9 answers; got 8."),
    ([0] * 10, "PHQ-9 needs exactly 9 answers; got 10."),
    ([0, 0, 3.5, 0, 0, 0, 0, 0, 0], "PHQ-9 item 3 must be an integer from 0 to 3; got 3.5."),
    ([0, 0, 0, 0, 0, 0, 0, 0, 4], "PHQ-9 item 9 must be an integer from 0 to 3; got 4."),
    ([-1, 0, 0, 0, 0, 0, 0, 0, 0], "PHQ-9 item 1 must be an integer from 0 to 3; got -1."),
    ([0, True, 0, 0, 0, 0, 0, 0, 0], "PHQ-9 item 2 must be an integer from 0 to 3; got true."),
    ([0, 0, 0, 0, "2", 0, 0, 0, 0], 'PHQ-9 item 5 must be an integer from 0 to 3; got "2".'),
    ({f"item{i}": 0 for i in range(1, 9)}, "PHQ-9 answers name item1…item9 exactly; missing item9."),
    ("0,0,0", "PHQ-9 answers must be a list of 9 item scores (0–3) or an object item1…item9."),
    (None, "answers is required"),
])
async def test_invalid_answers_are_refused_and_nothing_changes(api: Api, core: Any, answers: Any, message: str) -> None:
    c = await build_clinic(api)
    oid = (await assign(c))["objectId"]
    before = await snapshot(core)
    refused(await call(c, "submitAssessment", {"assessment": oid, "answers": answers}, "patient"), 142, message)
    assert await snapshot(core) == before
    assert (await submit(c, oid, [0, 1, 0, 1, 0, 1, 0, 1, 0]))["totalScore"] == 4  # still pending: answerable


async def test_only_the_patient_submits_their_own_pending_self_report(api: Api, core: Any) -> None:
    c = await build_clinic(api)
    oid = (await assign(c))["objectId"]
    answers = [1] * 8 + [0]
    recorded = await assess(c, status="completed", data=phq9(answers))
    await ok(c, "publishAssessment", {"assessment": recorded["objectId"]}, "doc")
    path = f"/classes/IntakeAssessment/{oid}"
    before = await snapshot(core)
    for who, target, code, message in (
        ("other", oid, 101, "Object not found."),
        ("outsider", oid, 101, "Object not found."),
        ("doc", oid, 119, "Permission denied: only the patient answers their own self-report."),
        ("admin", oid, 119, "Permission denied: only the patient answers their own self-report."),
        ("patient", recorded["objectId"], 119,
         "Permission denied: this assessment is recorded by the care team, not self-reported."),
        ("patient", "nope", 101, "Object not found."),
    ):
        refused(await call(c, "submitAssessment", {"assessment": target, "answers": answers}, who), code, message)
    failures = await ledger(c, {"action": "submit", "outcome": "failure"})  # each refusal is in the ledger
    assert [(e["actor"]["objectId"], e["entityId"], e["summary"]) for e in failures][:3] == [
        (c.uid("other"), oid, "101: Object not found."), (c.uid("outsider"), oid, "101: Object not found."),
        (c.uid("doc"), oid, "119: Permission denied: only the patient answers their own self-report.")]
    assert len(failures) == 6
    for body, who, master, code, message in (  # direct writes: only the function answers
        ({"data": phq9(answers), "status": "completed"}, "patient", False, 119, None),
        ({"data": phq9(answers)}, "doc", False, 119, ANSWERED_BY_PATIENT),
        ({"status": "completed", "data": phq9(answers)}, None, True, 119, ANSWERED_BY_PATIENT),
        ({"recommendations": "Weekly CBT"}, "nurse", False, 142, NO_RECOMMENDATIONS),
        ({"assessmentDate": DUE}, "doc", False, 142,
         "A pending patient self-report is changed only in dueAt and details until the patient submits it "
         "(not assessmentDate)."),
        ({"respondent": "clinician"}, "doc", False, 142, "respondent cannot be changed once set"),
        ({"submittedAt": DUE}, "doc", False, 142, "submittedAt is set by the server: use submitAssessment."),
        ({"data": phq9(answers)}, "outsider", False, 101, "Object not found."),
    ):
        refused(await api.put(path, body, session=c.token(who) if who else None, master=master), code, message)
    assert await snapshot(core) == before
    r = await api.put(path, {"dueAt": DUE, "details": "Take your time"}, session=c.token("nurse"))
    assert r.status_code == 200, r.text  # the care team moves the due date, words the instructions
    done = await submit(c, ptr("IntakeAssessment", oid), answers)
    assert (done["totalScore"], done["dueAt"], done["details"]) == (8, DUE, "Take your time")
    before = await snapshot(core)
    refused(await call(c, "submitAssessment", {"assessment": oid, "answers": [0] * 9}, "patient"), 142,
            "This self-report was already submitted.")
    refused(await api.put(path, {"recommendations": "x"}, session=c.token("doc")), 142, NEVER_EDITED)
    refused(await api.put(path, {"data": phq9([0] * 9)}, session=c.token("doc")), 142, NEVER_EDITED)
    assert await snapshot(core) == before
    refused(await api.post("/functions/submitAssessment", {"assessment": oid, "answers": answers}, master=True), 209,
            "submitAssessment needs a logged-in user.")


async def test_a_self_report_is_created_only_as_an_unanswered_scored_instrument(api: Api, core: Any) -> None:
    c = await build_clinic(api)
    base = assessment_body(c, respondent="patient", data={"instrument": "GAD-7"})
    before = await snapshot(core)
    for body, code, message in (
        ({**base, "data": {"instrument": "GAD-7", "answers": [0] * 7}}, 142,
         "The patient answers a self-report: data.answers is written by submitAssessment."),
        ({**base, "status": "completed"}, 142,
         "A patient self-report is created pending: the patient completes it with submitAssessment."),
        ({**base, "data": {"instrument": "intake interview"}}, 142,
         "A patient self-report names a scored instrument in data.instrument: PHQ-9 or GAD-7."),
        ({**base, "recommendations": "Weekly CBT"}, 142, NO_RECOMMENDATIONS),
        ({**base, "securityLabels": ["42CFR2"]}, 142, "A patient self-report carries no security labels: the patient reads it."),
        ({**base, "respondent": "family"}, 142, "IntakeAssessment respondent must be one of patient, clinician."),
        ({**assessment_body(c), "submittedAt": DUE}, 142, "submittedAt is set by the server: use submitAssessment."),
    ):
        refused(await api.post("/classes/IntakeAssessment", body, session=c.token("doc")), code, message)
    assert await snapshot(core) == before
    r = await api.post("/classes/IntakeAssessment", base, session=c.token("doc"))  # the direct path = assign
    assert r.status_code == 201, r.text
    assert await sees(c, "patient", {"objectId": r.json()["objectId"]}) == ([r.json()["objectId"]], 1)
    clinician = await assess(c, respondent="clinician", data=phq9([0] * 9))
    assert await sees(c, "patient", {"objectId": clinician["objectId"]}) == ([], 0)
    refused(await api.put(f"/classes/IntakeAssessment/{clinician['objectId']}", {"respondent": "patient"},
                          session=c.token("doc")), 142, "respondent cannot be changed once set")


async def test_recommendations_reach_the_patient_only_when_published(api: Api, core: Any) -> None:
    c = await build_clinic(api)
    v1 = await submit(c, (await assign(c))["objectId"], [2, 2, 2, 1, 1, 1, 0, 0, 0])
    mine = await api.get(f"/classes/IntakeAssessment/{v1['objectId']}", session=c.token("patient"))
    assert (mine.json()["totalScore"], mine.json()["severity"]) == (9, "mild")  # the score of their own answers
    v2 = (await ok(c, "reviseAssessment", {"assessment": v1["objectId"], "revisionReason": "clinician review",
                                           "recommendations": "Weekly CBT; review in 4 weeks"}, "doc"))["assessment"]
    assert (v2["version"], v2.get("respondent"), v2["totalScore"]) == (2, None, 9)
    assert await sees(c, "patient", {"patient": c.profile("a")}) == ([v1["objectId"]], 1)
    refused(await api.get(f"/classes/IntakeAssessment/{v2['objectId']}", session=c.token("patient")), 101)
    r = await api.get(f"/classes/IntakeAssessment/{v1['objectId']}", params={"include": "supersededBy"},
                      session=c.token("patient"))
    assert r.status_code == 200 and r.json().get("supersededBy", {}).get("__type") != "Object"  # not included
    assert "Weekly CBT" not in r.text
    await ok(c, "publishAssessment", {"assessment": v2["objectId"]}, "doc")
    r = await api.get(f"/classes/IntakeAssessment/{v2['objectId']}", session=c.token("patient"))
    assert r.json()["recommendations"] == "Weekly CBT; review in 4 weeks"
    assert await sees(c, "other", {"patient": c.profile("a")}) == ([], 0)


async def test_a_positive_item_9_raises_the_crisis_flag_and_the_ledger_names_the_patient(api: Api, core: Any) -> None:
    c = await build_clinic(api)
    oid = (await assign(c))["objectId"]
    done = await submit(c, oid, [2, 2, 2, 2, 2, 2, 2, 1, 2])
    assert (done["totalScore"], done["severity"], done["crisisFlag"]) == (17, "moderately severe", True)
    [log] = await find(c, "CrisisInterventionLog", {"source": ptr("IntakeAssessment", oid)})
    assert (log["status"], log["priority"], log["patient"], log["recordedBy"]) == (
        "open", "high", c.profile("a"), c.user("patient"))
    assert log["details"] == ("Crisis flag raised by the server: PHQ-9 item 9 (thoughts of being better off dead or "
                              f"of self-harm) answered 2 (more than half the days) on IntakeAssessment {oid}; "
                              "total 17 (moderately severe).")
    assert c.uid("patient") not in log["ACL"]
    assert await find(c, "CrisisInterventionLog", who="patient") == []  # the care team's, not the patient's
    assert [x["objectId"] for x in await find(c, "CrisisInterventionLog", who="nurse")] == [log["objectId"]]
    entries = await ledger(c, {"entityId": oid, "action": {"$in": ["create", "update", "submit"]}})
    assert [(e["action"], e["actor"]["objectId"], e["patient"]["objectId"]) for e in entries] == [
        ("create", c.uid("doc"), c.profiles["a"]), ("submit", c.uid("patient"), c.profiles["a"])]
    flags = await ledger(c, {"action": "crisis_flag"})
    assert [(e["actor"]["objectId"], e["entityId"], e["severity"], e["metadata"]) for e in flags] == [
        (c.uid("patient"), log["objectId"], "high", {"assessment": oid, "item9": 2, "totalScore": 17})]


async def test_the_care_team_hears_a_submission_live(server: LiveServer) -> None:  # noqa: F811
    c = await build_clinic(server.api)
    where = {"patient": c.profile("a")}
    clients = await subscribed(server, c, where)
    oid = (await assign(c, who="nurse"))["objectId"]
    for who in ("doc", "patient"):  # the patient's dashboard hears the assignment too
        got = await clients[who].event()
        assert (got["op"], got["requestId"], got["object"]["objectId"], got["object"]["status"]) == (
            "create", 2, oid, "pending")
    await submit(c, oid, [0, 0, 0, 0, 0, 0, 0, 0, 1])
    got = [await clients["doc"].event(), await clients["doc"].event()]
    by_class = {(e["op"], e["object"]["className"]): e for e in got}
    assert set(by_class) == {("update", "IntakeAssessment"), ("create", "CrisisInterventionLog")}
    updated = by_class[("update", "IntakeAssessment")]["object"]
    assert (updated["status"], updated["totalScore"], updated["crisisFlag"]) == ("completed", 1, True)
    flag = by_class[("create", "CrisisInterventionLog")]
    assert (flag["requestId"], flag["object"]["priority"], flag["object"]["source"]) == (
        1, "high", ptr("IntakeAssessment", oid))
    mine = await clients["patient"].event()  # their own assessment, never the crisis log
    assert (mine["op"], mine["requestId"], mine["object"]["status"]) == ("update", 2, "completed")
    for who in ("patient", "outsider", "other"):
        await clients[who].nothing()

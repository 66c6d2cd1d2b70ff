"""Psychotherapy notes (HIPAA 164.508(a)(2)) and 42 CFR Part 2 records: read by their author and
explicit, audited grants — not the care team, admins, auditors, break-the-glass or the patient portal."""

from __future__ import annotations

import json
from typing import Any

from tests.audit.helpers import entries_after, head
from tests.clinical.helpers import SOAP, call, ok, refused
from tests.conftest import Api, row_count
from tests.graphql_api.conftest import Gql
from tests.policy.world import DATE, World, build_world, ptr

TEAM = ("nurse", "scribe", "provider")


async def _psychotherapy_note(w: World) -> dict[str, Any]:
    return await ok(w.api, "saveNoteDraft", {"patient": w.ref("Patient"), "encounter": w.ref("Encounter"),
                                              "title": "Session 4", "noteType": "psychotherapy", **SOAP},
                    w.token("physician"))


async def _status(w: World, who: str, class_name: str, oid: str) -> int:
    r = await w.api.get(f"/classes/{class_name}/{oid}", session=w.token(who))
    return 200 if r.status_code == 200 else int(r.json()["code"])


async def _ids(w: World, who: str, class_name: str, where: dict[str, Any] | None = None) -> set[str]:
    r = await w.api.get(f"/classes/{class_name}", params={"where": json.dumps(where or {})}, session=w.token(who))
    assert r.status_code == 200, r.text
    return {o["objectId"] for o in r.json()["results"]}


async def test_a_psychotherapy_note_is_read_by_its_author_alone(api: Api) -> None:
    w = await build_world(api)
    made = await _psychotherapy_note(w)
    note, version = made["note"]["objectId"], made["version"]["objectId"]
    assert made["note"]["securityLabels"] == ["psychotherapy"]
    progress = w.ids["MedicalNote"]
    assert await _status(w, "physician", "MedicalNote", note) == 200
    assert await _ids(w, "physician", "MedicalNote") == {note, progress}
    for who in (*TEAM, "admin"):
        assert await _status(w, who, "MedicalNote", note) == 101, who
        assert await _status(w, who, "NoteVersion", version) == 101, who
        assert await _ids(w, who, "MedicalNote") == ({progress} if who != "admin" else {progress}), who
        assert await _ids(w, who, "NoteVersion", {"medicalNote": ptr("MedicalNote", note)}) == set()
        r = await api.get("/classes/MedicalNote", params={"count": 1, "limit": 0}, session=w.token(who))
        assert r.json()["count"] == 1
    for who in ("auditor", "patient"):
        assert await _status(w, who, "MedicalNote", note) == 119, who
    # the timeline: the team sees the progress note only, the author both
    chart = await ok(api, "patientChart", {"patient": w.ref("Patient")}, w.token("nurse"))
    assert [e["note"]["objectId"] for e in chart["notes"]] == [progress]
    chart = await ok(api, "patientChart", {"patient": w.ref("Patient")}, w.token("physician"))
    assert {e["note"]["objectId"] for e in chart["notes"]} == {note, progress}
    # GraphQL reads the same way
    gql = Gql(api)
    lists = await gql.data("{ medicalNotes { count edges { node { objectId } } } noteVersions { count } }",
                           session=w.token("nurse"))
    assert lists["medicalNotes"] == {"count": 1, "edges": [{"node": {"objectId": progress}}]}
    assert lists["noteVersions"]["count"] == 1  # the progress note's version only
    error = await gql.error("query($id: ID!) { medicalNote(id: $id) { title } }", {"id": note}, session=w.token("nurse"))
    assert error["extensions"] == {"code": 101}
    # break-the-glass opens the chart, never its psychotherapy notes
    await ok(api, "breakTheGlass", {"patient": w.ref("Patient"), "reason": "Unconscious patient in the ED"},
             w.token("outsider"))
    assert await _status(w, "outsider", "MedicalNote", progress) == 200
    assert await _status(w, "outsider", "MedicalNote", note) == 101
    assert await _ids(w, "outsider", "NoteVersion", {"medicalNote": ptr("MedicalNote", note)}) == set()
    # an attachment of the note follows it
    r = await api.post("/classes/Attachment", {
        "patient": w.ref("Patient"), "medicalNote": ptr("MedicalNote", note), "category": "scan",
        "file": {"__type": "File", "name": w.files["physician"]}, "uploadedBy": w.user("physician")},
        session=w.token("physician"))
    assert r.status_code == 201, r.text
    attachment = r.json()["objectId"]
    assert await _status(w, "physician", "Attachment", attachment) == 200
    assert await _status(w, "nurse", "Attachment", attachment) == 101
    r = await call(api, "getAttachmentUrl", {"attachment": attachment}, w.token("nurse"))
    assert r.json()["code"] == 101
    # its label stays while it is a psychotherapy note
    r = await api.put(f"/classes/MedicalNote/{note}", {"securityLabels": []}, session=w.token("physician"))
    refused(r, 142, "A psychotherapy note keeps its psychotherapy label.")
    # only its author writes it: a supervising physician on the team cannot append a version
    r = await api.post("/classes/NoteVersion", {"medicalNote": ptr("MedicalNote", note), "versionNumber": 9,
                                                "editor": w.user("nurse"), "subjective": "x"}, session=w.token("nurse"))
    assert r.json()["code"] in (101, 119), r.text


async def test_a_grant_opens_a_restricted_note_until_revoked_and_is_audited(api: Api, core: Any) -> None:
    w = await build_world(api)
    made = await _psychotherapy_note(w)
    note, version = made["note"]["objectId"], made["version"]["objectId"]
    grant = {"recordClass": "MedicalNote", "recordId": note, "grantee": w.user("nurse"),
             "reason": "Co-therapist for the family session"}
    rows = await row_count(core, "RecordGrant")
    for who in ("nurse", "scribe", "patient"):
        r = await api.post("/classes/RecordGrant", grant, session=w.token(who))
        refused(r, 119, "only the record's author or an admin grants access")
    assert await row_count(core, "RecordGrant") == rows
    # the signer of a restricted note must be able to read it
    r = await call(api, "requestSignatures", {"note": note, "signers": [{"signer": w.users["nurse"]["objectId"],
                                                                        "role": "specialist"}]}, w.token("physician"))
    refused(r, 142, "must be able to read it")
    seq = await head(core)
    r = await api.post("/classes/RecordGrant", grant, session=w.token("physician"))
    assert r.status_code == 201, r.text
    grant_id = r.json()["objectId"]
    assert await _status(w, "nurse", "MedicalNote", note) == 200
    assert await _status(w, "nurse", "NoteVersion", version) == 200
    assert await _status(w, "scribe", "MedicalNote", note) == 101
    entries = await entries_after(core, seq)
    assert ("permission_change", w.users["physician"]["objectId"], w.ids["Patient"], "MedicalNote", note,
            "success") in entries, entries
    where = {"eventType": "permission_change", "targetClass": "MedicalNote"}
    logged = await api.get("/classes/AuditEvent", params={"where": json.dumps(where)}, session=w.token("auditor"))
    [event] = logged.json()["results"]
    assert event["metadata"]["grantee"] == w.users["nurse"]["objectId"]
    assert event["metadata"]["reason"] == grant["reason"] and event["metadata"]["action"] == "granted"
    # the grantee sees the grant; the rest of the team does not
    assert await _ids(w, "nurse", "RecordGrant") == {grant_id}
    assert await _ids(w, "scribe", "RecordGrant") == set()
    r = await call(api, "requestSignatures", {"note": note, "signers": [{"signer": w.users["nurse"]["objectId"],
                                                                        "role": "specialist"}]}, w.token("physician"))
    assert r.status_code == 200, r.text
    # grants are immutable; revoking is deleting, by the author (or an admin), and is audited
    refused(await api.put(f"/classes/RecordGrant/{grant_id}", {"reason": "other"}, session=w.token("physician")), 119)
    refused(await api.delete(f"/classes/RecordGrant/{grant_id}", session=w.token("nurse")), 101)
    seq = await head(core)
    r = await api.delete(f"/classes/RecordGrant/{grant_id}", session=w.token("physician"))
    assert r.status_code == 200, r.text
    assert await _status(w, "nurse", "MedicalNote", note) == 101
    assert ("permission_change", w.users["physician"]["objectId"], w.ids["Patient"], "MedicalNote", note,
            "success") in await entries_after(core, seq)
    # an admin may grant (a legal request); a grant must end in the future, on a restricted record
    r = await api.post("/classes/RecordGrant", {**grant, "grantee": w.user("admin")}, session=w.token("admin"))
    assert r.status_code == 201, r.text
    assert await _status(w, "admin", "MedicalNote", note) == 200
    past = {"__type": "Date", "iso": "2020-01-01T00:00:00.000Z"}
    refused(await api.post("/classes/RecordGrant", {**grant, "expiresAt": past}, session=w.token("physician")), 142)
    refused(await api.post("/classes/RecordGrant", {**grant, "recordId": w.ids["MedicalNote"]},
                           session=w.token("physician")), 142, "Only a restricted record")
    refused(await api.post("/classes/RecordGrant", {**grant, "recordClass": "Patient"},
                           session=w.token("physician")), 142)
    # a role name that would impersonate a grant is refused
    r = await api.post("/roles", {"name": f"recordGrant_MedicalNote_{note}", "ACL": {"*": {"read": True}}},
                       session=w.token("admin"))
    refused(r, 139)


async def test_part2_labels_are_added_by_the_team_and_removed_by_author_or_admin(api: Api, core: Any) -> None:
    w = await build_world(api)
    on = w.ref("PatientProfile")
    r = await api.post("/classes/CrisisInterventionLog", {"patient": on, "interventionDate": DATE, "details": "SUD",
                                                          "shareWithPatient": True}, session=w.token("nurse"))
    log = r.json()["objectId"]
    assert (await api.get(f"/classes/CrisisInterventionLog/{log}", session=w.token("nurse"))).json()[
        "recordedBy"]["objectId"] == w.users["nurse"]["objectId"]
    assert await _status(w, "scribe", "CrisisInterventionLog", log) == 200
    seq = await head(core)
    r = await api.put(f"/classes/CrisisInterventionLog/{log}", {"securityLabels": ["42CFR2"]}, session=w.token("physician"))
    assert r.status_code == 200, r.text
    # the label change, and the server's history row of it
    assert [e[0] for e in await entries_after(core, seq)] == ["permission_change", "create"]
    assert await _status(w, "nurse", "CrisisInterventionLog", log) == 200  # the author
    assert await _status(w, "patient", "CrisisInterventionLog", log) == 200  # 42 CFR 2.23: their own record
    for who in ("physician", "scribe", "provider", "admin"):
        assert await _status(w, who, "CrisisInterventionLog", log) == 101, who
    assert await _ids(w, "scribe", "CrisisInterventionLog") == {w.ids["CrisisInterventionLog"]}
    # the labeller is out now; an admin removes labels and touches nothing else
    refused(await api.put(f"/classes/CrisisInterventionLog/{log}", {"securityLabels": []},
                          session=w.token("physician")), 101)
    refused(await api.put(f"/classes/CrisisInterventionLog/{log}", {"details": "edited", "securityLabels": []},
                          session=w.token("admin")), 119, "only the security labels")
    seq = await head(core)
    r = await api.put(f"/classes/CrisisInterventionLog/{log}", {"securityLabels": []}, session=w.token("admin"))
    assert r.status_code == 200, r.text
    assert [e[0] for e in await entries_after(core, seq)] == ["permission_change", "create"]
    for who in ("physician", "scribe", "nurse", "admin", "patient"):
        assert await _status(w, who, "CrisisInterventionLog", log) == 200, who
    # a non-author team member adds a label but may not take it off again
    await api.put(f"/classes/CrisisInterventionLog/{log}", {"securityLabels": ["42CFR2"]}, session=w.token("scribe"))
    refused(await api.put(f"/classes/CrisisInterventionLog/{log}", {"securityLabels": []},
                          session=w.token("scribe")), 101)
    # psychotherapy-labelled assessment: never the patient
    r = await api.post("/classes/IntakeAssessment", {"patient": on, "assessor": w.user("physician"),
                                                     "assessmentDate": DATE, "securityLabels": ["psychotherapy"]},
                       session=w.token("physician"))
    assessment = r.json()["objectId"]
    assert await _status(w, "physician", "IntakeAssessment", assessment) == 200
    for who in ("patient", "nurse", "admin"):
        assert await _status(w, who, "IntakeAssessment", assessment) == 101, who
    # only known labels, as an array of strings
    refused(await api.post("/classes/IntakeAssessment", {"patient": on, "assessor": w.user("physician"),
                                                         "assessmentDate": DATE, "securityLabels": ["secret"]},
                           session=w.token("physician")), 142)
    refused(await api.post("/classes/IntakeAssessment", {"patient": on, "assessor": w.user("physician"),
                                                         "assessmentDate": DATE, "securityLabels": [1]},
                           session=w.token("physician")), 111)


async def test_a_psychotherapy_assessment_is_never_published_to_the_portal(api: Api, core: Any) -> None:
    w = await build_world(api)
    r = await api.post("/classes/IntakeAssessment", {"patient": w.ref("PatientProfile"), "assessor": w.user("physician"),
                                                     "assessmentDate": DATE, "status": "completed",
                                                     "securityLabels": ["psychotherapy"]}, session=w.token("physician"))
    assert r.status_code == 201, r.text
    oid = r.json()["objectId"]
    seq = await head(core)
    refused(await call(api, "publishAssessment", {"assessment": oid}, w.token("physician")), 142,
            "never published to the patient portal")
    assert await entries_after(core, seq) == []
    stored = (await api.get(f"/classes/IntakeAssessment/{oid}", master=True)).json()
    assert "publishedAt" not in stored
    assert await _status(w, "patient", "IntakeAssessment", oid) == 101


async def test_the_patient_reads_a_part2_log_only_once_it_is_shared(api: Api) -> None:
    """A label only ever narrows who reads: a Part 2 log reaches the patient as any log does, when shared."""
    w = await build_world(api)
    r = await api.post("/classes/CrisisInterventionLog", {"patient": w.ref("PatientProfile"), "interventionDate": DATE,
                                                          "details": "SUD", "securityLabels": ["42CFR2"]},
                       session=w.token("nurse"))
    assert r.status_code == 201, r.text
    log = r.json()["objectId"]
    assert await _status(w, "patient", "CrisisInterventionLog", log) == 101
    r = await api.put(f"/classes/CrisisInterventionLog/{log}", {"shareWithPatient": True}, session=w.token("nurse"))
    assert r.status_code == 200, r.text
    assert await _status(w, "patient", "CrisisInterventionLog", log) == 200
    assert await _status(w, "physician", "CrisisInterventionLog", log) == 101  # still restricted to its author
    r = await api.put(f"/classes/CrisisInterventionLog/{log}", {"shareWithPatient": False}, session=w.token("nurse"))
    assert r.status_code == 200, r.text
    assert await _status(w, "patient", "CrisisInterventionLog", log) == 101

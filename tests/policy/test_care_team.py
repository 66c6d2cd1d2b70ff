"""Care-team scoping: membership changes access to the whole chart at once."""

from __future__ import annotations

from tests.conftest import Api
from tests.policy.world import World, build_world, ptr, staff

CHART = ("Patient", "Encounter", "MedicalNote", "NoteVersion", "Signature", "Attachment")


async def _visible(w: World, who: str) -> list[str]:
    out = []
    for class_name in CHART:
        r = await w.api.get(f"/classes/{class_name}/{w.ids[class_name]}", session=w.token(who))
        if r.status_code == 200:
            out.append(class_name)
    return out


async def _member_row(w: World, who: str) -> str:
    where = f'{{"user": {{"__type": "Pointer", "className": "_User", "objectId": "{w.users[who]["objectId"]}"}}}}'
    found = (await w.api.get("/classes/CareTeamMember", params={"where": where}, master=True)).json()["results"]
    return [m for m in found if "patient" in m][0]["objectId"]


async def test_adding_and_removing_a_member_changes_the_whole_chart_at_once(api: Api) -> None:
    w = await build_world(api)
    assert await _visible(w, "outsider") == []
    # a team member adds the outsider: every chart object becomes readable, with no object rewritten
    r = await api.post("/classes/CareTeamMember", {"patient": w.ref("Patient"), "user": w.user("outsider"),
                                                   "reason": "consult"}, session=w.token("nurse"))
    assert r.status_code == 201, r.text
    assert await _visible(w, "outsider") == list(CHART)
    member = r.json()["objectId"]
    assert (await api.get(f"/classes/CareTeamMember/{member}", session=w.token("outsider"))).json()["addedBy"] == \
        w.user("nurse")
    # removing the membership removes the access, at once
    assert (await api.delete(f"/classes/CareTeamMember/{member}", session=w.token("physician"))).status_code == 200
    assert await _visible(w, "outsider") == []


async def test_only_team_members_and_admins_add_members(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    w = await build_world(api)
    body = {"patient": w.ref("Patient"), "user": w.user("outsider")}
    r = await api.post("/classes/CareTeamMember", body, session=w.token("outsider"))
    assert r.json() == {"code": 119, "error": "Permission denied: you are not on this patient's care team."}
    assert await _visible(w, "outsider") == []
    r = await api.post("/classes/CareTeamMember", {**body, "patientProfile": w.ref("PatientProfile")}, master=True)
    assert r.json()["code"] == 142  # exactly one chart
    assert (await api.post("/classes/CareTeamMember", body, session=w.token("admin"))).status_code == 201
    assert await _visible(w, "outsider") == list(CHART)


async def test_primary_clinician_and_encounter_clinicians_join_the_team(api: Api) -> None:
    w = await build_world(api)
    other = await staff(api, "drwho", "physician")
    w.users["other"] = other
    assert await _visible(w, "other") == []
    r = await api.put(f"/classes/Patient/{w.ids['Patient']}", {"primaryClinician": w.user("other")},
                      session=w.token("nurse"))
    assert r.status_code == 200, r.text
    assert await _visible(w, "other") == list(CHART)
    # the former primary clinician leaves the team (no other source names them); they keep only
    # the signature request addressed to them, which names them as its signer
    assert await _visible(w, "physician") == ["Signature"]
    enc = w.body("Encounter", "nurse") | {"admittingClinician": w.user("physician")}
    assert (await api.post("/classes/Encounter", enc, session=w.token("nurse"))).status_code == 201
    assert await _visible(w, "physician") == list(CHART)


async def test_removing_a_source_member_leaves_no_stale_access(api: Api) -> None:
    w = await build_world(api)
    row = await _member_row(w, "scribe")
    assert await _visible(w, "scribe") == list(CHART)
    assert (await api.delete(f"/classes/CareTeamMember/{row}", session=w.token("physician"))).status_code == 200
    assert await _visible(w, "scribe") == []
    r = await api.post("/classes/MedicalNote", w.body("MedicalNote", "scribe"), session=w.token("scribe"))
    assert r.json()["code"] == 119


async def test_the_clinician_who_registers_a_patient_is_on_its_team(api: Api) -> None:
    w = await build_world(api)
    body = w.body("Patient", "nurse")
    r = await api.post("/classes/Patient", body, session=w.token("nurse"))
    assert r.status_code == 201
    pid = r.json()["objectId"]
    got = await api.get(f"/classes/Patient/{pid}", session=w.token("nurse"))
    assert got.status_code == 200
    assert (await api.get(f"/classes/Patient/{pid}", session=w.token("physician"))).status_code == 404


async def test_chart_acl_is_set_by_the_server(api: Api) -> None:
    w = await build_world(api)
    public = {"*": {"read": True, "write": True}}
    r = await api.post("/classes/Encounter", w.body("Encounter", "nurse") | {"ACL": public},
                       session=w.token("nurse"))
    assert r.status_code == 201
    eid = r.json()["objectId"]
    stored = (await api.get(f"/classes/Encounter/{eid}", master=True)).json()
    team = f"role:careTeam_Patient_{w.ids['Patient']}"
    assert stored["ACL"] == {team: {"read": True, "write": True}, "role:admin": {"read": True, "write": True}}
    assert (await api.get(f"/classes/Encounter/{eid}")).status_code in (400, 404)  # anonymous: refused
    r = await api.put(f"/classes/Encounter/{eid}", {"ACL": public}, session=w.token("nurse"))
    assert r.json() == {"code": 119, "error": "The ACL of a Encounter is set by the server."}
    assert (await api.get(f"/classes/Encounter/{eid}", master=True)).json()["ACL"] == stored["ACL"]


async def test_chart_links_never_change(api: Api) -> None:
    w = await build_world(api)
    other = (await api.post("/classes/Patient", w.body("Patient", "nurse"), session=w.token("nurse"))).json()
    r = await api.put(f"/classes/MedicalNote/{w.ids['MedicalNote']}", {"patient": ptr("Patient", other["objectId"])},
                      session=w.token("nurse"))
    assert r.json() == {"code": 142, "error": "patient cannot be changed once set"}
    note = (await api.get(f"/classes/MedicalNote/{w.ids['MedicalNote']}", master=True)).json()
    assert note["patient"]["objectId"] == w.ids["Patient"]


async def test_messages_are_seen_by_their_two_participants_only(api: Api) -> None:
    w = await build_world(api)
    path = f"/classes/Message/{w.ids['Message']}"
    for who, status in (("provider", 200), ("patient", 200), ("physician", 404), ("nurse", 404)):
        assert (await api.get(path, session=w.token(who))).status_code == status, who
    body = w.body("Message", "nurse") | {"from": w.user("physician")}
    r = await api.post("/classes/Message", body, session=w.token("nurse"))
    assert r.json() == {"code": 119, "error": "Permission denied: a message is sent in the sender's own name."}


async def test_patient_reads_own_behavioral_records_only(api: Api) -> None:
    w = await build_world(api)
    token = w.token("patient")
    for class_name in ("IntakeAssessment", "CrisisInterventionLog"):  # not the patient's until published/shared
        assert (await api.get(f"/classes/{class_name}/{w.ids[class_name]}", session=token)).status_code == 404
    assessment, doc = w.ids["IntakeAssessment"], w.token("physician")
    assert (await api.put(f"/classes/IntakeAssessment/{assessment}", {"status": "completed"}, session=doc)).status_code == 200
    assert (await api.post("/functions/publishAssessment", {"assessment": assessment}, session=doc)).status_code == 200
    r = await api.put(f"/classes/CrisisInterventionLog/{w.ids['CrisisInterventionLog']}", {"shareWithPatient": True},
                      session=doc)
    assert r.status_code == 200, r.text
    for class_name in ("PatientProfile", "IntakeAssessment", "CrisisInterventionLog", "Appointment"):
        assert (await api.get(f"/classes/{class_name}/{w.ids[class_name]}", session=token)).status_code == 200
    other = await staff(api, "pat2", "patient")
    for class_name in ("PatientProfile", "IntakeAssessment", "CrisisInterventionLog", "Appointment"):
        r = await api.get(f"/classes/{class_name}/{w.ids[class_name]}", session=other["sessionToken"])
        assert r.status_code == 404, class_name
    for class_name in CHART:
        r = await api.get(f"/classes/{class_name}/{w.ids[class_name]}", session=token)
        assert r.json()["code"] == 119, class_name  # the EHR chart is closed to the patient role

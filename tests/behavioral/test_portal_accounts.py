"""Patients as users: invitations, the portal switch (isActive), provider profiles, who assigns roles."""

from __future__ import annotations

from typing import Any

from tests.api.accounts import link_in, link_params, outbox
from tests.audit.helpers import entries_after, head
from tests.behavioral.clinic import BH, account, build, ptr
from tests.clinical.helpers import refused
from tests.conftest import APP_ID, Api, row_count

RESET_PATH = f"/parse/apps/{APP_ID}/request_password_reset"
NEW = {"medicalRecordNumber": "BH-900", "displayName": "Nora Invited", "email": "Nora@Example.org",
       "dateOfBirth": {"__type": "Date", "iso": "1990-04-02T00:00:00.000Z"}}


async def _counts(core: Any) -> dict[str, int]:
    return {t: await row_count(core, t) for t in ("_User", "PatientProfile", "_Outbox", "CareTeamMember")}


async def test_a_provider_invites_a_patient_who_sets_a_password_and_reads_their_chart(api: Api, core: Any) -> None:
    c = await build(api)
    seq = await head(core)
    r = await c.call("provA", "invitePatient", **NEW)
    assert r.status_code == 200, r.text
    result = r.json()["result"]
    profile = result["patientProfile"]
    assert profile["__type"] == "Object" and profile["className"] == "PatientProfile"
    assert profile["displayName"] == "Nora Invited" and profile["isActive"] is True
    assert result["invitationSentTo"] == "nora@example.org" and "token" not in r.text
    user_id = result["user"]["objectId"]
    assert profile["user"]["objectId"] == user_id
    events = await entries_after(core, seq)
    assert ("invite", c.uid("provA"), profile["objectId"], "_User", user_id, "success") in events
    assert ("create", c.uid("provA"), None, "_User", user_id, "success") in events  # in the clinician's name
    # the mail: a single-use link to choose a password, for the username it names
    mail = (await outbox(core))[-1]
    assert mail["to"] == "nora@example.org" and "invited you to the patient portal" in mail["text"]
    assert "provA demo" in mail["text"] and "Your username is 'nora@example.org'" in mail["text"]
    params = link_params(link_in(mail))
    assert params["username"] == "nora@example.org"
    # no password works until the patient chose one
    assert (await api.post("/login", {"username": "nora@example.org", "password": ""})).status_code != 200
    r = await api.client.post(RESET_PATH, json={**params, "new_password": "Nora-chose-this-1"},
                              headers={"X-Requested-With": "XMLHttpRequest"})
    assert r.status_code == 200, r.text
    login = await api.post("/login", {"username": "nora@example.org", "password": "Nora-chose-this-1"})
    assert login.status_code == 200, login.text
    token = login.json()["sessionToken"]
    assert login.json()["role"] == "patient"
    mine = await api.get("/classes/PatientProfile", session=token)
    assert [p["objectId"] for p in mine.json()["results"]] == [profile["objectId"]]
    # the inviting clinician joined the care team; another provider did not
    members = await api.get("/classes/CareTeamMember", params={"where": f'{{"patientProfile":{{"__type":"Pointer",'
                            f'"className":"PatientProfile","objectId":"{profile["objectId"]}"}}}}'},
                            session=c.token("provA"))
    assert [m["user"]["objectId"] for m in members.json()["results"]] == [c.uid("provA")]
    r = await api.get(f"/classes/PatientProfile/{profile['objectId']}", session=c.token("provB"))
    assert r.json()["code"] == 101
    # an existing profile: a fresh link to the same account
    r = await c.call("provA", "invitePatient", patientProfile=ptr("PatientProfile", profile["objectId"]))
    assert r.status_code == 200 and r.json()["result"]["invitationSentTo"] == "nora@example.org", r.text
    refused(await c.call("provB", "invitePatient", patientProfile=ptr("PatientProfile", profile["objectId"])), 101)
    refused(await c.call("provA", "invitePatient", patientProfile=ptr("PatientProfile", profile["objectId"]),
                         email="someone@else.org"), 142)


async def test_an_invitation_refused_changes_nothing(api: Api, core: Any) -> None:
    c = await build(api)
    before = await _counts(core)
    refused(await c.call("provA", "invitePatient", **{**NEW, "email": "patienta@example.org"}), 203)
    refused(await c.call("provA", "invitePatient", **{**NEW, "email": "not-an-email"}), 125)
    refused(await c.call("provA", "invitePatient", **{**NEW, "email": None}), 204)
    refused(await c.call("provA", "invitePatient", **{**NEW, "medicalRecordNumber": "BH-1"}), 137)  # A's MRN
    refused(await c.call("provA", "invitePatient", **{k: v for k, v in NEW.items() if k != "displayName"}), 142)
    for who in ("A", "auditor"):  # not a registrar of PatientProfile
        refused(await c.call(who, "invitePatient", **NEW), 119)
    r = await api.post("/functions/invitePatient", NEW)
    assert r.json()["code"] == 209
    assert await _counts(core) == before


async def test_portal_access_follows_is_active(api: Api, core: Any) -> None:
    c = await build(api)
    profile = c.profile("A")
    refused(await api.put(f"/classes/PatientProfile/{profile}", {"isActive": False}, session=c.token("A")), 119)
    seq = await head(core)
    r = await api.put(f"/classes/PatientProfile/{profile}", {"isActive": False}, session=c.token("provA"))
    assert r.status_code == 200, r.text
    assert [e[0] for e in await entries_after(core, seq)] == ["permission_change"]
    for class_name in BH:
        r = await c.find("A", class_name)
        assert r.status_code == 400 and r.json()["code"] == 119, (class_name, r.text)
    r = await api.post("/classes/Message", {"conversationId": "conv-A", "from": c.user("A"), "to": c.user("provA"),
                                            "patient": ptr("PatientProfile", profile), "body": "hi", "isRead": False},
                       session=c.token("A"))
    assert r.json()["code"] == 119
    assert (await api.get("/users/me", session=c.token("A"))).status_code == 200  # still logs in
    assert len((await c.find("B", "IntakeAssessment")).json()["results"]) == 1  # B is untouched
    assert len((await c.find("provA", "IntakeAssessment")).json()["results"]) == 1  # the team still works
    await api.put(f"/classes/PatientProfile/{profile}", {"isActive": True}, session=c.token("provA"))
    for class_name in BH:
        assert {o["objectId"] for o in (await c.find("A", class_name)).json()["results"]} == set(c.ids["A"][class_name])
    # a profile stays with its account
    refused(await api.put(f"/classes/PatientProfile/{profile}", {"user": c.user("B")}, session=c.token("provA")), 142)
    refused(await api.put(f"/classes/PatientProfile/{profile}", {"user": c.user("B")}, master=True), 142)


async def test_provider_profiles_form_a_directory_each_clinician_keeps_their_own(api: Api, core: Any) -> None:
    c = await build(api)
    body = {"specialty": "Psychiatry", "clinic": "Riverside", "contact": {"phone": "+1-555-0100"}}
    r = await api.post("/classes/ProviderProfile", {**body, "user": c.user("provA")}, session=c.token("provA"))
    assert r.status_code == 201, r.text
    mine = r.json()["objectId"]
    refused(await api.post("/classes/ProviderProfile", {**body, "user": c.user("provA")}, session=c.token("provA")), 137)
    refused(await api.post("/classes/ProviderProfile", {**body, "user": c.user("provC")}, session=c.token("provA")),
            119, "only their own")
    refused(await api.post("/classes/ProviderProfile", {**body, "user": c.user("A")}, session=c.token("A")), 119)
    refused(await api.post("/classes/ProviderProfile", {**body, "user": c.user("A")}, session=c.token("admin")),
            142, "clinician account")
    r = await api.post("/classes/ProviderProfile", {**body, "user": c.user("nurse")}, session=c.token("admin"))
    assert r.status_code == 201, r.text
    # every logged-in user reads the directory; nobody anonymous
    for who in ("A", "B", "provC", "auditor"):
        r = await c.find(who, "ProviderProfile")
        assert len(r.json()["results"]) == 2, (who, r.text)
    r = await api.get("/classes/ProviderProfile")
    assert r.json() == {"code": 101, "error": "Permission denied, user needs to be authenticated."}
    # only its clinician (or an admin) edits it; the user and the ACL are the server's
    assert (await api.put(f"/classes/ProviderProfile/{mine}", {"clinic": "Downtown"},
                          session=c.token("provA"))).status_code == 200
    refused(await api.put(f"/classes/ProviderProfile/{mine}", {"clinic": "x"}, session=c.token("provB")), 101)
    refused(await api.put(f"/classes/ProviderProfile/{mine}", {"clinic": "x"}, session=c.token("A")), 119)
    refused(await api.put(f"/classes/ProviderProfile/{mine}", {"user": c.user("provB")}, session=c.token("provA")), 142)
    refused(await api.put(f"/classes/ProviderProfile/{mine}", {"ACL": {"*": {"write": True}}},
                          session=c.token("provA")), 119)
    assert (await api.put(f"/classes/ProviderProfile/{mine}", {"specialty": "CBT"},
                          session=c.token("admin"))).status_code == 200


async def test_roles_are_assigned_by_admins_only(api: Api, core: Any) -> None:
    c = await build(api)
    for who, role in (("provA", "admin"), ("A", "provider"), ("A", "admin"), ("nurse", "physician")):
        r = await api.put(f"/users/{c.uid(who)}", {"role": role}, session=c.token(who))
        refused(r, 119, "only an administrator")
    r = await api.put(f"/users/{c.uid('B')}", {"role": "provider"}, session=c.token("provA"))
    assert r.json()["code"] in (101, 206, 119), r.text
    r = await api.post("/users", {"username": "self-made", "password": "Long-enough-pw-1", "role": "physician"})
    refused(r, 119, "assigned by an administrator")
    # a provider signing up is an applicant until an admin decides (test_sign_up_paths.py)
    r = await api.post("/users", {"username": "self-made", "password": "Long-enough-pw-1", "role": "provider"})
    me = (await api.get("/users/me", session=r.json()["sessionToken"])).json()
    assert (me["role"], me["requestedRole"]) == ("applicant", "provider")
    r = await api.put(f"/users/{c.uid('A')}", {"role": "provider"}, session=c.token("admin"))
    assert r.status_code == 200, r.text
    assert (await account(api, "newadmin", "admin"))["objectId"]

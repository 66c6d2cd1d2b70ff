"""Sign-up "for patients and providers" (the behavioral-health seed): a provider applies and waits
for an administrator; a patient signs up with a portal invitation and lands on their profile."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.accounts import link_in, link_params, outbox
from tests.audit.helpers import entries_after, head
from tests.behavioral.clinic import BH, build, ptr
from tests.clinical.helpers import refused
from tests.conftest import Api, row_count

PW = "Long-enough-pw-1"
NEW = {"medicalRecordNumber": "BH-900", "displayName": "Nora Invited", "email": "nora@example.org"}


async def _apply(api: Api, username: str = "priya") -> dict[str, Any]:
    r = await api.post("/users", {"username": username, "password": PW, "email": f"{username}@example.org",
                                  "role": "provider", "displayName": "Dr Priya"})
    assert r.status_code == 201, r.text
    return dict(r.json())


async def test_a_provider_applies_sees_nothing_until_approved(api: Api, core: Any) -> None:
    c = await build(api)
    seq = await head(core)
    me = await _apply(api)
    uid, token = me["objectId"], me["sessionToken"]
    got = (await api.get("/users/me", session=token)).json()
    assert (got["role"], got["requestedRole"], got["applicationStatus"]) == ("applicant", "provider", "pending")
    assert got["ACL"] == {uid: {"read": True, "write": True}, "role:admin": {"read": True, "write": True}}
    events = await entries_after(core, seq)
    assert ("create", None, None, "_User", uid, "success") in events
    assert ("role_application", uid, None, "_User", uid, "success") in events
    # the account exists, logs in, reads itself — and no record of the clinic
    login = await api.post("/login", {"username": "priya", "password": PW})
    assert login.status_code == 200 and login.json()["role"] == "applicant"
    ehr = ("Patient", "Encounter", "MedicalNote", "NoteVersion", "Signature", "Attachment", "CareTeamMember",
           "BreakGlassAccess", "RecordGrant", "AuditLog", "AuditEvent")
    for cls in (*BH, *ehr):
        r = await api.get(f"/classes/{cls}", session=token)
        assert r.status_code in (200, 400), r.text
        assert r.status_code == 400 and r.json()["code"] == 119 or r.json()["results"] == [], (cls, r.text)
    profile = c.ids["A"]["PatientProfile"][0]
    assert (await api.get(f"/classes/PatientProfile/{profile}", session=token)).json()["code"] in (101, 119)
    # not on any role; a clinician does not read the applicant's account, an admin does
    roles = await api.get("/roles", params={"where": json.dumps({"users": ptr("_User", uid)})}, master=True)
    assert roles.json()["results"] == []
    assert (await api.get(f"/users/{uid}", session=c.token("provA"))).json()["code"] == 101
    assert (await api.get(f"/users/{uid}", session=c.token("admin"))).json()["requestedRole"] == "provider"
    # the applicant cannot approve itself, nor promote itself
    for body in ({"applicationStatus": "approved"}, {"requestedRole": "physician"}, {"role": "provider"}):
        refused(await api.put(f"/users/{uid}", body, session=token), 119)
    refused(await api.post("/functions/decideRoleApplication", {"user": uid, "decision": "approve"}, session=token),
            119, "only an administrator decides a role application")
    refused(await c.call("provA", "decideRoleApplication", user=uid, decision="approve"), 119)
    # the admin approves: provider (so clinician) from the next request on
    seq = await head(core)
    r = await c.call("admin", "decideRoleApplication", user=ptr("_User", uid), decision="approve", reason="licence checked")
    assert r.status_code == 200, r.text
    assert r.json()["result"] == {"user": ptr("_User", uid), "role": "provider", "applicationStatus": "approved"}
    events = await entries_after(core, seq)
    assert ("permission_change", c.uid("admin"), None, "_User", uid, "success") in events
    assert ("role_decision", c.uid("admin"), None, "_User", uid, "success") in events
    me = (await api.get("/users/me", session=token)).json()
    assert (me["role"], me["applicationStatus"]) == ("provider", "approved")
    r = await api.get("/classes/ProviderProfile", session=token)
    assert r.status_code == 200
    r = await api.post("/classes/ProviderProfile", {"user": ptr("_User", uid), "specialty": "CBT"}, session=token)
    assert r.status_code == 201, r.text
    # decided once
    refused(await c.call("admin", "decideRoleApplication", user=uid, decision="reject"), 142,
            "no pending role application")


async def test_a_rejected_applicant_stays_without_a_role(api: Api, core: Any) -> None:
    c = await build(api)
    me = await _apply(api, "rex")
    refused(await c.call("admin", "decideRoleApplication", user=me["objectId"], decision="maybe"), 142,
            "decision must be approve or reject")
    refused(await c.call("admin", "decideRoleApplication", user="nope", decision="approve"), 101)
    r = await c.call("admin", "decideRoleApplication", user=me["objectId"], decision="reject", reason="unknown")
    assert r.json()["result"]["applicationStatus"] == "rejected"
    got = (await api.get("/users/me", session=me["sessionToken"])).json()
    assert (got["role"], got["applicationStatus"]) == ("applicant", "rejected")
    assert (await api.get("/classes/IntakeAssessment", session=me["sessionToken"])).json()["code"] == 119


@pytest.mark.parametrize("role", ["physician", "admin", "applicant"])
async def test_other_roles_stay_closed_at_sign_up(api: Api, core: Any, role: str) -> None:
    before = await row_count(core, "_User")
    r = await api.post("/users", {"username": "mallory", "password": PW, "role": role})
    assert r.json() == {"code": 119, "error": f"Permission denied: the role {role} is assigned by an administrator."}
    r = await api.post("/users", {"username": "mallory", "password": PW, "role": "patient",
                                  "applicationStatus": "approved"})
    refused(r, 119, "applicationStatus is set by the server")
    assert await row_count(core, "_User") == before


async def test_applications_can_be_turned_off(api: Api, core: Any) -> None:
    core.settings.signup_applicant_roles = []
    r = await api.post("/users", {"username": "priya", "password": PW, "role": "provider"})
    assert r.json()["code"] == 119


async def _invite(api: Api, core: Any) -> tuple[Any, dict[str, Any], dict[str, str]]:
    c = await build(api)
    r = await c.call("provA", "invitePatient", **NEW)
    assert r.status_code == 200, r.text
    return c, r.json()["result"], link_params(link_in((await outbox(core))[-1]))


async def test_a_patient_signs_up_with_the_invitation(api: Api, core: Any) -> None:
    c, invited, link = await _invite(api, core)
    uid, profile = invited["user"]["objectId"], invited["patientProfile"]["objectId"]
    mail = (await outbox(core))[-1]["text"]
    assert mail.rstrip().endswith(f"this invitation code (it works once too):\n{link['token']}")
    seq = await head(core)
    users_before = await row_count(core, "_User")
    r = await api.post("/users", {"username": "nora@example.org", "password": "Nora-chose-this-1",
                                  "email": "Nora@Example.org", "role": "patient", "displayName": "Nora Q",
                                  "invitationToken": link["token"]})
    assert r.status_code == 201, r.text
    assert r.json()["objectId"] == uid and r.json()["sessionToken"]
    assert await row_count(core, "_User") == users_before
    token = r.json()["sessionToken"]
    # linked to the invited profile: the seed's "PatientProfile where user = me"
    mine = await api.get("/classes/PatientProfile", params={"where": json.dumps({"user": ptr("_User", uid)})},
                         session=token)
    assert [p["objectId"] for p in mine.json()["results"]] == [profile]
    me = (await api.get("/users/me", session=token)).json()
    assert (me["role"], me["displayName"]) == ("patient", "Nora Q")
    assert (await api.post("/login", {"username": "nora@example.org", "password": "Nora-chose-this-1"})).status_code == 200
    events = await entries_after(core, seq)
    assert ("update", uid, None, "_User", uid, "success") in events
    assert ("invite_accepted", uid, None, "_User", uid, "success") in events
    # the invitation is spent: neither a second sign-up nor the mailed link works again
    r = await api.post("/users", {"username": "nora@example.org", "password": "Other-pass-22",
                                  "invitationToken": link["token"]})
    refused(r, 142, "The portal invitation is invalid or has expired.")


async def test_a_bad_invitation_changes_nothing(api: Api, core: Any) -> None:
    c, invited, link = await _invite(api, core)
    before = {t: await row_count(core, t) for t in ("_User", "_Session", "PatientProfile")}
    bad = [
        ({"username": "nora@example.org", "invitationToken": "forged"}, "The portal invitation is invalid"),
        ({"username": "someone@else.org", "invitationToken": link["token"]}, "The portal invitation is invalid"),
        ({"username": "nora@example.org", "invitationToken": link["token"], "email": "x@y.org"},
         "email must be the address the invitation was sent to"),
        ({"username": "nora@example.org", "invitationToken": link["token"], "role": "provider"},
         "role must be patient"),
    ]
    for body, message in bad:
        refused(await api.post("/users", {"password": "Nora-chose-this-1", **body}), 142, message)
    r = await api.post("/users", {"username": "nora@example.org", "password": "Nora-chose-this-1",
                                  "invitationToken": link["token"], "emailVerified": True})
    refused(r, 119, "Clients aren't allowed to manually update email verification.")
    r = await api.post("/users", {"username": "nora@example.org", "password": "short", "invitationToken": link["token"]})
    assert r.json()["code"] == 142
    assert {t: await row_count(core, t) for t in before} == before
    assert (await api.post("/login", {"username": "nora@example.org", "password": "Nora-chose-this-1"})).status_code != 200
    # a staff account's password-reset link is no invitation
    r = await api.post("/users", {"username": "drx", "password": PW, "email": "drx@example.org", "role": "physician"},
                       master=True)
    assert r.status_code == 201
    await api.post("/requestPasswordReset", {"email": "drx@example.org"})
    staff_link = link_params(link_in((await outbox(core))[-1]))
    r = await api.post("/users", {"username": "drx", "password": "Whatever-pass-1", "invitationToken": staff_link["token"]})
    refused(r, 142, "The portal invitation is invalid or has expired.")
    # the real one still works
    r = await api.post("/users", {"username": "nora@example.org", "password": "Nora-chose-this-1",
                                  "invitationToken": link["token"]})
    assert r.status_code == 201, r.text

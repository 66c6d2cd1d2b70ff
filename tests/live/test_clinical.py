"""LiveQuery on the seed's clinical classes: care-team scope and message participants decide
who hears about a note or a message, at the time of each event."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api
from tests.live.conftest import LiveServer
from tests.policy.world import DATE, ptr

PASSWORD = "pw-123456"


async def staff(api: Api, name: str, role: str) -> dict[str, str]:
    r = await api.post("/users", {"username": name, "password": PASSWORD, "role": role}, master=True)
    assert r.status_code == 201, r.text
    r = await api.post("/login", {"username": name, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"id": r.json()["objectId"], "token": r.json()["sessionToken"]}


async def make(api: Api, class_name: str, body: dict[str, Any], token: str | None) -> str:
    r = await api.post(f"/classes/{class_name}", body, session=token, master=token is None)
    assert r.status_code == 201, (class_name, r.text)
    return str(r.json()["objectId"])


async def test_notes_reach_the_care_team_only(server: LiveServer) -> None:
    api = server.api
    doc = await staff(api, "doc", "physician")
    nurse = await staff(api, "nurse", "nurse")
    outsider = await staff(api, "outsider", "physician")
    patient_user = await api.signup("pat")
    patient = await make(api, "Patient", {"mrn": "M1", "fullName": "Ada", "dateOfBirth": DATE, "status": "active"},
                         doc["token"])
    encounter = await make(api, "Encounter", {"patient": ptr("Patient", patient), "encounterNumber": "E1",
                                              "type": "outpatient", "startedAt": DATE, "status": "open"}, doc["token"])
    where = {"patient": ptr("Patient", patient)}
    clients = {}
    for who, user in (("doc", doc), ("nurse", nurse), ("outsider", outsider)):
        clients[who] = await server.user_client(user["token"])
        await clients[who].subscribe(1, "MedicalNote", where)
    pat = await server.user_client(patient_user["sessionToken"])
    refused = await pat.ask({"op": "subscribe", "requestId": 1, "query": {"className": "MedicalNote", "where": where}})
    assert (refused["code"], refused["error"]) == (119, "Permission denied for action find on class MedicalNote.")

    note = await make(api, "MedicalNote", {
        "patient": ptr("Patient", patient), "encounter": ptr("Encounter", encounter), "author": ptr("_User", doc["id"]),
        "title": "Progress", "noteType": "progress", "currentVersionNumber": 1, "status": "draft",
    }, doc["token"])
    created = await clients["doc"].event()
    assert (created["op"], created["object"]["objectId"]) == ("create", note)
    assert created["object"]["ACL"] == {f"role:careTeam_Patient_{patient}": {"read": True, "write": True},
                                        "role:admin": {"read": True}}
    await clients["nurse"].nothing()
    await clients["outsider"].nothing()

    member = await make(api, "CareTeamMember", {"patient": ptr("Patient", patient), "user": ptr("_User", nurse["id"]),
                                                "reason": "ward nurse"}, doc["token"])
    # a new version: the server advances the note's version number, and subscribers see it
    r = await api.post("/classes/NoteVersion", {"medicalNote": ptr("MedicalNote", note), "versionNumber": 1,
                                                "editor": ptr("_User", doc["id"]), "subjective": "better"},
                       session=doc["token"])
    assert r.status_code == 201, r.text
    for who in ("doc", "nurse"):
        got = await clients[who].event()
        assert (got["op"], got["object"]["currentVersionNumber"], got["original"]["currentVersionNumber"]) == (
            "update", 1, 0)
    await clients["outsider"].nothing()
    # a signature request: the note goes under review, a signature status change subscribers see
    r = await api.post("/functions/requestSignatures", {"note": note, "signers": [{"signer": doc["id"], "role": "author"}]},
                       session=doc["token"])
    assert r.status_code == 200, r.text
    for who in ("doc", "nurse"):
        got = await clients[who].event()
        assert (got["op"], got["object"]["status"], got["original"]["status"]) == ("update", "under_review", "draft")
    await clients["outsider"].nothing()
    r = await api.post("/functions/declineSignature", {"note": note, "comment": "not yet"}, session=doc["token"])
    assert r.status_code == 200, r.text
    assert (await clients["doc"].event())["object"]["status"] == "draft"
    assert (await clients["nurse"].event())["object"]["status"] == "draft"
    # the app moves the status itself (the template's flow): subscribers hear each move as well
    for status, before in (("under_review", "draft"), ("draft", "under_review")):
        r = await api.put(f"/classes/MedicalNote/{note}", {"currentVersionNumber": 1, "status": status},
                          session=doc["token"])
        assert r.status_code == 200, r.text
        for who in ("doc", "nurse"):
            got = await clients[who].event()
            assert (got["op"], got["object"]["status"], got["original"]["status"]) == ("update", status, before)
        await clients["outsider"].nothing()

    r = await api.delete(f"/classes/CareTeamMember/{member}", session=doc["token"])
    assert r.status_code == 200, r.text
    r = await api.put(f"/classes/MedicalNote/{note}", {"title": "Progress (rev)"}, session=doc["token"])
    assert r.status_code == 200, r.text
    assert (await clients["doc"].event())["object"]["title"] == "Progress (rev)"
    await clients["nurse"].nothing()
    await clients["outsider"].nothing()


async def test_messages_reach_their_two_participants(server: LiveServer) -> None:
    api = server.api
    provider = await staff(api, "prov", "provider")
    outsider = await staff(api, "doc2", "physician")
    p1 = await api.signup("p1")
    p2 = await api.signup("p2")
    profile = await make(api, "PatientProfile", {"user": ptr("_User", p1["objectId"]), "medicalRecordNumber": "BH-1",
                                                 "displayName": "P One", "isActive": True}, None)
    await make(api, "CareTeamMember", {"patientProfile": ptr("PatientProfile", profile),
                                       "user": ptr("_User", provider["id"])}, None)  # messages stay within the team
    clients = {}
    for who, token in (("provider", provider["token"]), ("p1", p1["sessionToken"]), ("p2", p2["sessionToken"]),
                       ("outsider", outsider["token"])):
        clients[who] = await server.user_client(token)
        await clients[who].subscribe(1, "Message", {"conversationId": "c1"})
    message = await make(api, "Message", {"conversationId": "c1", "from": ptr("_User", provider["id"]),
                                          "to": ptr("_User", p1["objectId"]),
                                          "patient": ptr("PatientProfile", profile), "body": "How are you?",
                                          "isRead": False}, provider["token"])
    for who in ("provider", "p1"):
        got = await clients[who].event()
        assert (got["op"], got["object"]["objectId"], got["object"]["body"]) == ("create", message, "How are you?")
        assert got["object"]["from"] == ptr("_User", provider["id"])
    r = await api.put(f"/classes/Message/{message}", {"isRead": True}, session=p1["sessionToken"])
    assert r.status_code == 200, r.text
    for who in ("provider", "p1"):
        got = await clients[who].event()
        assert (got["op"], got["object"]["isRead"], got["original"]["isRead"]) == ("update", True, False)
    await clients["p2"].nothing()
    await clients["outsider"].nothing()

"""Write responses carry the fields the server's before-save hooks set, as Parse Server's do.

Parse adds every field a ``beforeSave`` trigger changed or added to the create/update response
(and nothing the client sent unchanged); the SDKs apply them to the saved object. Chartkeep's
clinical rules are built-in hooks, so a message, a note version, a receipt answer with what the
server decided — never with a field the caller may not read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.behavioral.helpers import assessment_body, build_clinic, phq9
from tests.behavioral.messaging.clinic import open_clinic
from tests.clinical.helpers import SOAP
from tests.conftest import Api
from tests.policy.world import World, build_world, ptr

FAKE_DATE = {"__type": "Date", "iso": "2001-01-01T00:00:00.000Z"}
JS = {"X-Parse-Client-Version": "js5.3.0"}


async def _note(w: World, who: str = "nurse") -> str:
    r = await w.api.post("/classes/MedicalNote", w.body("MedicalNote", who), session=w.token(who))
    assert r.status_code == 201, r.text
    return str(r.json()["objectId"])


async def _stored(api: Api, class_name: str, oid: str) -> dict[str, Any]:
    r = await api.get(f"/classes/{class_name}/{oid}", master=True)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_a_message_create_answers_with_status_sent_at_and_acl(api: Api) -> None:
    c = await open_clinic(api)
    r = await c.send("provider", "p1")
    assert r.status_code == 201, r.text
    body = r.json()
    stored = await _stored(api, "Message", body["objectId"])
    assert list(body) == ["objectId", "createdAt", "sentAt", "status", "ACL"]
    assert body["status"] == "sent"
    assert body["sentAt"] == stored["sentAt"] and body["sentAt"]["__type"] == "Date"
    assert body["ACL"] == stored["ACL"] == {c.ids["provider"]: {"read": True}, c.ids["p1"]: {"read": True, "write": True}}
    # the client sent isRead false, its own pointer as from, the body…: unchanged, so not echoed
    assert stored["isRead"] is False and stored["from"] == c.user("provider")


async def test_the_master_key_importing_history_sees_the_receipt_times_it_did_not_send(api: Api) -> None:
    c = await open_clinic(api)
    sent = {"__type": "Date", "iso": "2025-03-01T10:00:00.000Z"}
    r = await api.post("/classes/Message", c.message("provider", "p1", status="read", isRead=True, sentAt=sent),
                       master=True)
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["deliveredAt"], body["readAt"]) == (sent, sent)
    assert "status" not in body and "isRead" not in body and "sentAt" not in body  # as sent


async def test_a_server_owned_value_the_client_sent_is_unset_for_the_js_sdk_only(api: Api) -> None:
    c = await open_clinic(api)
    r = await api.post("/classes/Message", c.message("provider", "p1", deliveredAt=FAKE_DATE),
                       session=c.tokens["provider"], headers=JS)
    assert r.status_code == 201, r.text
    assert r.json()["deliveredAt"] == {"__op": "Delete"}
    assert "deliveredAt" not in await _stored(api, "Message", r.json()["objectId"])
    # a client that did not say it applies a Delete (REST, other SDKs) is sent nothing for it, as Parse does
    r = await api.post("/classes/Message", c.message("provider", "p1", conversation="c2", deliveredAt=FAKE_DATE),
                       session=c.tokens["provider"])
    assert r.status_code == 201, r.text
    assert "deliveredAt" not in r.json() and r.json()["status"] == "sent"


async def test_a_receipt_update_answers_with_status_and_times(api: Api) -> None:
    c = await open_clinic(api)
    oid = await c.sent("provider", "p1")
    r = await api.put(f"/classes/Message/{oid}", {"isRead": True}, session=c.tokens["p1"])
    assert r.status_code == 200, r.text
    body = r.json()
    stored = await _stored(api, "Message", oid)
    assert list(body) == ["updatedAt", "status", "deliveredAt", "readAt"]
    assert body["status"] == "read" and stored["status"] == "read"
    assert (body["deliveredAt"], body["readAt"]) == (stored["deliveredAt"], stored["readAt"])
    # the same receipt again changes nothing the client did not already say
    r = await api.put(f"/classes/Message/{oid}", {"isRead": True, "status": "read"}, session=c.tokens["p1"])
    assert r.status_code == 200, r.text
    assert list(r.json()) == ["updatedAt"]


async def test_a_note_version_answers_with_its_number_and_editor(api: Api) -> None:
    w = await build_world(api)
    r = await api.post("/classes/MedicalNote", w.body("MedicalNote", "nurse"), session=w.token("nurse"))
    assert r.status_code == 201, r.text
    note = r.json()["objectId"]
    assert r.json()["currentVersionNumber"] == 0  # the client said 1: the server's stands
    assert "status" not in r.json() and "author" not in r.json()  # sent as stored
    assert r.json()["ACL"] == (await _stored(api, "MedicalNote", note))["ACL"]  # the care-team ACL
    body = {"medicalNote": ptr("MedicalNote", note), "versionNumber": 7, "editor": w.user("physician"), **SOAP}
    r = await api.post("/classes/NoteVersion", body, session=w.token("nurse"))
    assert r.status_code == 201, r.text
    v1 = r.json()
    assert (v1["versionNumber"], v1["editor"]) == (1, w.user("nurse"))
    assert not {"subjective", "medicalNote", "previousVersion"} & set(v1)
    r = await api.post("/classes/NoteVersion", {**body, "versionNumber": 2, "editor": w.user("nurse")},
                       session=w.token("nurse"))
    assert r.status_code == 201, r.text
    v2 = r.json()
    assert v2["previousVersion"] == ptr("NoteVersion", v1["objectId"])
    assert "editor" not in v2 and "versionNumber" not in v2  # the right number, herself as editor: unchanged


async def test_an_assessment_answers_with_the_score_the_server_computed(api: Api) -> None:
    c = await build_clinic(api)
    body = assessment_body(c, status="completed", data=phq9([1, 1, 1, 1, 1, 1, 1, 1, 0]), totalScore=0)
    r = await api.post("/classes/IntakeAssessment", body, session=c.token("doc"))
    assert r.status_code == 201, r.text
    stored = await _stored(api, "IntakeAssessment", r.json()["objectId"])
    assert (r.json()["totalScore"], stored["totalScore"]) == (8, 8)
    assert r.json()["severity"] == stored["severity"]
    assert "data" not in r.json() and "status" not in r.json()  # sent as stored


async def test_an_update_echoes_what_the_hook_kept_and_nothing_sent_unchanged(api: Api) -> None:
    w = await build_world(api)
    note = await _note(w)
    # the app sets the version number it believes in: the server's value stands, and is echoed
    r = await api.put(f"/classes/MedicalNote/{note}", {"currentVersionNumber": 5, "title": "Renamed"},
                      session=w.token("nurse"))
    assert r.status_code == 200, r.text
    assert list(r.json()) == ["updatedAt", "currentVersionNumber"] and r.json()["currentVersionNumber"] == 0
    # the status it already has, the number it already has: nothing to tell
    r = await api.put(f"/classes/MedicalNote/{note}", {"status": "draft", "currentVersionNumber": 0},
                      session=w.token("nurse"))
    assert r.status_code == 200, r.text
    assert list(r.json()) == ["updatedAt"]


async def test_batch_sub_responses_carry_the_server_set_fields(api: Api) -> None:
    c = await open_clinic(api)
    oid = await c.sent("provider", "p1")
    requests = [
        {"method": "POST", "path": "/parse/classes/Message", "body": c.message("p1", "provider", conversation="c1")},
        {"method": "PUT", "path": f"/parse/classes/Message/{oid}", "body": {"status": "delivered"}},
    ]
    r = await api.post("/batch", {"requests": requests}, session=c.tokens["p1"])
    assert r.status_code == 200, r.text
    created, updated = (item["success"] for item in r.json())
    assert (created["status"], created["sentAt"]["__type"]) == ("sent", "Date")
    # status delivered was asked for: not echoed; isRead (false) and deliveredAt were set by the server
    assert list(updated) == ["updatedAt", "isRead", "deliveredAt"] and updated["isRead"] is False
    assert updated["deliveredAt"] == (await _stored(api, "Message", oid))["deliveredAt"]


# ---- what a hook sets but the caller may not read -----------------------------------------------


def _hook(core: Any, **changes: Any) -> None:
    async def set_values(_core: Any, event: Any) -> None:
        event.values.update(changes)

    core.hooks.add("before_save", "OpenPatient", set_values)


def _patient(**extra: Any) -> dict[str, Any]:
    return {"mrn": "M1", "fullName": "Pat", "status": "active", "dateOfBirth": FAKE_DATE, **extra}


async def test_a_hook_set_field_hidden_by_protected_fields_is_not_echoed(core: Any, api: Api) -> None:
    r = await api.put("/schemas/OpenPatient", {"classLevelPermissions": {
        "find": {"*": True}, "get": {"*": True}, "create": {"*": True}, "update": {"*": True},
        "delete": {"*": True}, "addField": {"*": True}, "protectedFields": {"*": ["status"]}}}, master=True)
    assert r.status_code == 200, r.text
    _hook(core, status="hooked", fullName="Set by the server")
    user = await api.signup("reader1")
    r = await api.post("/classes/OpenPatient", _patient(), session=user["sessionToken"])
    assert r.status_code == 201, r.text
    assert list(r.json()) == ["objectId", "createdAt", "fullName"] and r.json()["fullName"] == "Set by the server"
    r = await api.post("/classes/OpenPatient", _patient(mrn="M2"), master=True)
    assert r.status_code == 201, r.text
    assert (r.json()["status"], r.json()["fullName"]) == ("hooked", "Set by the server")


async def test_nothing_is_echoed_to_a_caller_the_hook_locked_out(core: Any, api: Api) -> None:
    _hook(core, fullName="Set by the server", _rperm=["role:admin"], _wperm=["role:admin"])
    user = await api.signup("writer1")
    r = await api.post("/classes/OpenPatient", _patient(), session=user["sessionToken"])
    assert r.status_code == 201, r.text
    assert list(r.json()) == ["objectId", "createdAt"]
    stored = await _stored(api, "OpenPatient", r.json()["objectId"])
    assert stored["fullName"] == "Set by the server" and stored["ACL"] == {"role:admin": {"read": True, "write": True}}


async def test_a_hook_set_pointer_and_date_are_echoed_in_wire_form(core: Any, api: Api) -> None:
    user = await api.signup("writer2")
    _hook(core, dateOfBirth=datetime(1990, 5, 1, tzinfo=UTC), primaryClinician=user["objectId"])
    r = await api.post("/classes/OpenPatient", _patient(), session=user["sessionToken"])
    assert r.status_code == 201, r.text
    assert r.json()["dateOfBirth"] == {"__type": "Date", "iso": "1990-05-01T00:00:00.000Z"}
    assert r.json()["primaryClinician"] == ptr("_User", user["objectId"])
    assert "mrn" not in r.json() and "ACL" not in r.json()  # no ACL sent, none set: none echoed

"""The same rules when a client writes the classes itself, as a Back4app-template app does (the
seed's Integration Flow: POST MedicalNote, POST NoteVersion, POST Signature, then status PUTs)."""

from __future__ import annotations

from typing import Any

from tests.clinical.helpers import SOAP, get, refused, snapshot
from tests.conftest import Api, row_count
from tests.policy.world import World, build_world, ptr

FAKE_DATE = {"__type": "Date", "iso": "2001-01-01T00:00:00.000Z"}


def _note_body(w: World, who: str, **extra: Any) -> dict[str, Any]:
    return {"patient": w.ref("Patient"), "encounter": w.ref("Encounter"), "author": w.user(who),
            "title": "Progress note", "noteType": "progress", "currentVersionNumber": 1, "status": "draft", **extra}


async def _post(w: World, class_name: str, body: dict[str, Any], who: str) -> str:
    r = await w.api.post(f"/classes/{class_name}", body, session=w.token(who))
    assert r.status_code == 201, r.text
    return str(r.json()["objectId"])


async def test_the_back4app_flow_works_and_server_values_win(api: Api) -> None:
    w = await build_world(api)
    note = await _post(w, "MedicalNote", _note_body(w, "nurse"), "nurse")
    assert (await get(w, "MedicalNote", note))["currentVersionNumber"] == 0  # no content yet
    # the client numbers the version and names an editor: the server decides both
    v1 = await _post(w, "NoteVersion", {"medicalNote": ptr("MedicalNote", note), "versionNumber": 7,
                                        "editor": w.user("physician"), **SOAP}, "nurse")
    stored = await get(w, "NoteVersion", v1)
    assert (stored["versionNumber"], stored["editor"]) == (1, w.user("nurse"))
    assert (await get(w, "MedicalNote", note))["currentVersionNumber"] == 1
    # the app sets the number it believes in: ignored, the server's stands
    r = await api.put(f"/classes/MedicalNote/{note}", {"currentVersionNumber": 5}, session=w.token("nurse"))
    assert r.status_code == 200, r.text
    assert (await get(w, "MedicalNote", note))["currentVersionNumber"] == 1
    # request the attending's co-signature, with server-owned values the client must not decide
    sig = await _post(w, "Signature", {"medicalNote": ptr("MedicalNote", note), "noteVersion": ptr("NoteVersion", v1),
                                       "signer": w.user("physician"), "signatureRole": "attending",
                                       "status": "requested", "signedAt": FAKE_DATE, "contentHash": "0" * 64,
                                       "printedName": "Someone Else"}, "nurse")
    stored = await get(w, "Signature", sig)
    assert stored["requestedAt"] != FAKE_DATE and "signedAt" not in stored and "contentHash" not in stored
    assert "printedName" not in stored
    assert (await get(w, "MedicalNote", note))["status"] == "under_review"
    r = await api.put(f"/classes/MedicalNote/{note}", {"status": "under_review"}, session=w.token("nurse"))
    assert r.status_code == 200, r.text  # equals the state the server reached
    r = await api.put(f"/classes/Signature/{sig}", {"status": "signed", "signedAt": FAKE_DATE, "meaning": "none",
                                                    "contentHash": "f" * 64}, session=w.token("physician"))
    assert r.status_code == 200, r.text
    stored = await get(w, "Signature", sig)
    assert stored["signedAt"] != FAKE_DATE and stored["meaning"].startswith("Attending co-signature")
    assert stored["contentHash"] != "f" * 64 and len(stored["contentHash"]) == 64
    assert (await get(w, "MedicalNote", note))["status"] == "signed"
    r = await api.put(f"/classes/MedicalNote/{note}", {"status": "signed"}, session=w.token("physician"))
    assert r.status_code == 200, r.text
    # an amendment written directly: a reason (changeSummary) makes it one
    v2 = await _post(w, "NoteVersion", {"medicalNote": ptr("MedicalNote", note), "versionNumber": 2,
                                        "editor": w.user("nurse"), "changeSummary": "Corrected BP",
                                        "objective": "BP 118/76"}, "nurse")
    assert (await get(w, "NoteVersion", v2))["previousVersion"] == ptr("NoteVersion", v1)
    assert (await get(w, "MedicalNote", note))["status"] == "amended"


async def test_forbidden_transitions_fail_with_the_rule_and_change_nothing(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    w = await build_world(api)
    note = await _post(w, "MedicalNote", _note_body(w, "nurse"), "nurse")
    v1 = await _post(w, "NoteVersion", {"medicalNote": ptr("MedicalNote", note), "versionNumber": 1,
                                        "editor": w.user("nurse"), **SOAP}, "nurse")
    before = await snapshot(core)
    cases = [
        ("POST", "/classes/MedicalNote", _note_body(w, "nurse", status="signed"), "nurse", 142,
         "A MedicalNote is created as a draft: status signed is reached through the workflow"),
        ("POST", "/classes/MedicalNote", _note_body(w, "nurse", status="final"), "nurse", 142,
         "MedicalNote status must be one of draft, under_review, signed, amended."),
        ("POST", "/classes/MedicalNote", _note_body(w, "physician"), "nurse", 119,
         "Permission denied: a note is written in its author's own name."),
        ("PUT", f"/classes/MedicalNote/{note}", {"status": "signed"}, "nurse", 142,
         "MedicalNote status cannot go from draft to signed: a note becomes signed when every requested "
         "signature is signed"),
        ("PUT", f"/classes/MedicalNote/{note}", {"status": "under_review"}, "scribe", 119,
         "only the note's author or a supervising physician sends it for review"),
        ("PUT", f"/classes/MedicalNote/{note}", {"status": "amended"}, "nurse", 142, "cannot go from draft to amended"),
        ("PUT", f"/classes/MedicalNote/{note}", {"title": "Mine now"}, "scribe", 119,
         "only the note's author or a supervising physician edits a draft"),
        ("PUT", f"/classes/MedicalNote/{note}", {"author": w.user("scribe")}, "nurse", 142,
         "author cannot be changed once set"),
        ("PUT", f"/classes/MedicalNote/{note}", {"title": "x"}, "outsider", 101, "Object not found."),
        ("POST", "/classes/NoteVersion", {"medicalNote": ptr("MedicalNote", note), "versionNumber": 2,
                                          "editor": w.user("nurse"), "isAddendum": True, "content": "x"}, "nurse",
         142, "An addendum is added to a signed note"),
        ("POST", "/classes/Signature", {"medicalNote": ptr("MedicalNote", note), "noteVersion": ptr("NoteVersion", v1),
                                        "signer": w.user("physician"), "signatureRole": "attending",
                                        "status": "signed"}, "nurse", 142, "A Signature is created as requested"),
        ("POST", "/classes/Signature", {"medicalNote": ptr("MedicalNote", note), "noteVersion": ptr("NoteVersion", v1),
                                        "signer": w.user("outsider"), "signatureRole": "attending",
                                        "status": "requested"}, "nurse", 142,
         "The signer must be on the patient's care team."),
        ("POST", "/classes/Signature", {"medicalNote": ptr("MedicalNote", note), "noteVersion": ptr("NoteVersion", v1),
                                        "signer": w.user("admin"), "signatureRole": "supervisor",
                                        "status": "requested"}, "nurse", 142, "The signer must be a clinician"),
        ("POST", "/classes/Signature", {"medicalNote": ptr("MedicalNote", note), "noteVersion": ptr("NoteVersion", v1),
                                        "signer": w.user("physician"), "signatureRole": "author",
                                        "status": "requested"}, "nurse", 142,
         "An author signature is given by the note's author."),
        ("POST", "/classes/Signature", {"medicalNote": ptr("MedicalNote", note), "noteVersion": ptr("NoteVersion", v1),
                                        "signer": w.user("physician"), "signatureRole": "chief",
                                        "status": "requested"}, "nurse", 142, "signatureRole must be one of author"),
        ("POST", "/classes/Signature", {"medicalNote": ptr("MedicalNote", note),
                                        "noteVersion": ptr("NoteVersion", w.ids["NoteVersion"]),
                                        "signer": w.user("physician"), "signatureRole": "attending",
                                        "status": "requested"}, "nurse", 142,
         "noteVersion belongs to another MedicalNote."),
        ("POST", "/classes/Signature", {"medicalNote": ptr("MedicalNote", note), "noteVersion": ptr("NoteVersion", v1),
                                        "signer": w.user("physician"), "signatureRole": "attending",
                                        "status": "requested"}, "scribe", 119,
         "only the note's author or a supervising physician requests signatures"),
    ]
    for method, path, body, who, code, message in cases:
        r = await api.request(method, path, body, session=w.token(who))
        refused(r, code, message)
        assert await snapshot(core) == before, (method, path, body)
    # an old version cannot be signed: a signature attests the current version only
    await _post(w, "NoteVersion", {"medicalNote": ptr("MedicalNote", note), "versionNumber": 2,
                                   "editor": w.user("nurse"), "plan": "v2"}, "nurse")
    count = await row_count(core, "Signature")
    r = await api.post("/classes/Signature", {"medicalNote": ptr("MedicalNote", note),
                                              "noteVersion": ptr("NoteVersion", v1), "signer": w.user("physician"),
                                              "signatureRole": "attending", "status": "requested"},
                       session=w.token("nurse"))
    refused(r, 142, "A signature attests the note's current version (2), not version 1.")
    assert await row_count(core, "Signature") == count


async def test_signer_rules_on_direct_signature_updates(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    w = await build_world(api)
    note = await _post(w, "MedicalNote", _note_body(w, "nurse"), "nurse")
    v1 = await _post(w, "NoteVersion", {"medicalNote": ptr("MedicalNote", note), "versionNumber": 1,
                                        "editor": w.user("nurse"), **SOAP}, "nurse")
    body = {"medicalNote": ptr("MedicalNote", note), "noteVersion": ptr("NoteVersion", v1),
            "signer": w.user("physician"), "signatureRole": "attending", "status": "requested"}
    sig = await _post(w, "Signature", body, "nurse")
    refused(await api.post("/classes/Signature", body, session=w.token("nurse")), 142,
            "This signer has already been asked to sign version 1.")
    before = await snapshot(core)
    path = f"/classes/Signature/{sig}"
    refused(await api.put(path, {"status": "signed"}, session=w.token("nurse")), 101)  # the requester
    refused(await api.put(path, {"signer": w.user("nurse")}, session=w.token("physician")), 142,
            "signer cannot be changed once the signature is requested.")
    refused(await api.put(path, {"status": "approved"}, session=w.token("physician")), 142,
            "Signature status must be one of requested, signed, declined.")
    refused(await api.put(path, {"status": "declined"}, session=w.token("physician")), 142,
            "A decline needs a comment saying why.")
    assert await snapshot(core) == before
    r = await api.put(path, {"comment": "Will review after rounds"}, session=w.token("physician"))
    assert r.status_code == 200, r.text
    r = await api.put(path, {"status": "declined", "comment": "Assessment unsupported"}, session=w.token("physician"))
    assert r.status_code == 200, r.text
    assert (await get(w, "MedicalNote", note))["status"] == "draft"
    assert (await get(w, "Signature", sig))["comment"] == "Assessment unsupported"

"""The note lifecycle through the Cloud functions: draft → under_review → signed → amended.

Every refusal is checked for its exact Parse error AND for leaving every workflow row as it was.
"""

from __future__ import annotations

import hashlib
import json

from tests.clinical.helpers import SOAP, call, draft, get, ok, refused, snapshot
from tests.conftest import Api
from tests.policy.world import build_world, ptr


async def test_save_draft_creates_the_note_and_numbered_versions(api: Api) -> None:
    w = await build_world(api)
    first = await draft(w, "physician")
    note, v1 = first["note"], first["version"]
    assert note["__type"] == "Object" and note["className"] == "MedicalNote"
    assert (note["status"], note["currentVersionNumber"], note["author"]) == ("draft", 1, w.user("physician"))
    assert (v1["versionNumber"], v1["editor"], v1["subjective"]) == (1, w.user("physician"), SOAP["subjective"])
    assert "previousVersion" not in v1
    second = await ok(api, "saveNoteDraft", {"note": note["objectId"], "plan": "Ibuprofen 400 mg",
                                             "title": "Progress note (revised)"}, w.token("physician"))
    v2 = second["version"]
    assert (v2["versionNumber"], v2["previousVersion"]) == (2, ptr("NoteVersion", v1["objectId"]))
    assert (second["note"]["currentVersionNumber"], second["note"]["title"]) == (2, "Progress note (revised)")
    assert (await get(w, "NoteVersion", v1["objectId"]))["plan"] == SOAP["plan"]  # v1 unchanged


async def test_only_the_author_or_a_supervising_physician_edits_a_draft(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    w = await build_world(api)
    nurse_note = (await draft(w, "nurse"))["note"]["objectId"]
    doc_note = (await draft(w, "physician"))["note"]["objectId"]
    before = await snapshot(core)
    for who, note in (("scribe", nurse_note), ("nurse", doc_note), ("provider", doc_note)):
        r = await call(api, "saveNoteDraft", {"note": note, "plan": "x"}, w.token(who))
        refused(r, 119, "Permission denied: only the note's author or a supervising physician writes its versions.")
    refused(await call(api, "saveNoteDraft", {"note": doc_note, "plan": "x"}, w.token("outsider")), 101)
    refused(await call(api, "saveNoteDraft", {"note": doc_note, "plan": "x"}, w.token("patient")), 119)
    assert await snapshot(core) == before
    # the physician supervises the nurse's draft; the editor is the one who wrote the version
    got = await ok(api, "saveNoteDraft", {"note": nurse_note, "plan": "Reviewed"}, w.token("physician"))
    assert (got["version"]["editor"], got["note"]["author"]) == (w.user("physician"), w.user("nurse"))


async def test_review_freezes_content_and_the_last_signature_signs_the_note(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    w = await build_world(api)
    note = (await draft(w, "nurse"))["note"]["objectId"]
    req = await ok(api, "requestSignatures", {"note": note, "signers": [
        {"signer": w.user("nurse"), "role": "author"}, {"signer": w.user("physician"), "role": "attending"}]},
        w.token("nurse"))
    assert req["note"]["status"] == "under_review"
    assert [s["status"] for s in req["signatures"]] == ["requested", "requested"]
    before = await snapshot(core)
    refused(await call(api, "saveNoteDraft", {"note": note, "plan": "x"}, w.token("nurse")), 142,
            "saveNoteDraft edits a draft; this note is under_review")
    r = await api.post("/classes/NoteVersion", {"medicalNote": ptr("MedicalNote", note), "versionNumber": 2,
                                                "editor": w.user("nurse"), "plan": "x"}, session=w.token("nurse"))
    refused(r, 142, "MedicalNote is under review: no new version until a signer declines it or, while no "
                    "signature is requested, its author returns it to draft.")
    # only the assigned signer signs: another team member cannot, nor can the master key
    nurse_sig, attending_sig = (s["objectId"] for s in req["signatures"])
    refused(await call(api, "signNote", {"signature": attending_sig}, w.token("scribe")), 101)
    refused(await call(api, "signNote", {"signature": attending_sig}, w.token("nurse")), 101)
    r = await api.put(f"/classes/Signature/{attending_sig}", {"status": "signed"}, master=True)
    refused(r, 119, "Permission denied: only the assigned signer signs or declines a signature.")
    assert await snapshot(core) == before
    first = await ok(api, "signNote", {"note": note}, w.token("nurse"))
    assert (first["signature"]["status"], first["note"]["status"]) == ("signed", "under_review")
    last = await ok(api, "signNote", {"signature": attending_sig}, w.token("physician"))
    assert last["note"]["status"] == "signed"
    sig = last["signature"]
    assert sig["printedName"] == "physician1"
    assert sig["meaning"].startswith("Attending co-signature")
    assert sig["signedAt"]["__type"] == "Date"
    version = await get(w, "NoteVersion", sig["noteVersion"]["objectId"])
    assert sig["contentHash"] == _expected_hash(version)
    assert nurse_sig != attending_sig


def _expected_hash(v: dict) -> str:  # type: ignore[type-arg]
    """The canonical content as docs/clinical.md defines it, computed independently of the server."""
    def pid(x):  # type: ignore[no-untyped-def]
        return x["objectId"] if isinstance(x, dict) else x
    doc = {"objectId": v["objectId"], "createdAt": v["createdAt"], "medicalNote": pid(v["medicalNote"]),
           "versionNumber": v["versionNumber"], "previousVersion": pid(v.get("previousVersion")),
           "editor": pid(v["editor"])}
    for k in ("subjective", "objective", "assessment", "plan", "content", "changeSummary", "amendmentReason",
              "isAddendum"):
        doc[k] = v.get(k)
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


async def test_requires_cosign_waits_for_an_attending(api: Api) -> None:
    w = await build_world(api)
    note = (await draft(w, "nurse", requiresCosign=True))["note"]["objectId"]
    await ok(api, "requestSignatures", {"note": note, "signers": [{"signer": w.user("nurse"), "role": "author"}]},
             w.token("nurse"))
    got = await ok(api, "signNote", {"note": note}, w.token("nurse"))
    assert got["note"]["status"] == "under_review"  # every requested signature is signed, but no attending
    chart = await ok(api, "patientChart", {"patient": w.ref("Patient")}, w.token("nurse"))
    entry = next(e for e in chart["notes"] if e["note"]["objectId"] == note)
    assert entry["signatureStatus"] == {"requested": 0, "signed": 1, "declined": 0, "complete": False}
    r = await call(api, "requestSignatures", {"note": note, "signers": [{"signer": w.user("nurse"),
                                                                         "role": "attending"}]}, w.token("nurse"))
    refused(r, 142, "An attending signature is given by a physician.")
    await ok(api, "requestSignatures", {"note": note, "signers": [{"signer": w.user("physician"),
                                                                   "role": "attending"}]}, w.token("nurse"))
    assert (await ok(api, "signNote", {"note": note}, w.token("physician")))["note"]["status"] == "signed"


async def test_a_decline_returns_the_note_to_draft_with_its_comment(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    w = await build_world(api)
    note = (await draft(w, "nurse"))["note"]["objectId"]
    req = await ok(api, "requestSignatures", {"note": note, "signers": [
        {"signer": w.user("physician"), "role": "attending"}, {"signer": w.user("scribe"), "role": "specialist"}]},
        w.token("nurse"))
    before = await snapshot(core)
    refused(await call(api, "declineSignature", {"note": note}, w.token("physician")), 142,
            "A decline needs a comment saying why.")
    refused(await call(api, "declineSignature", {"note": note, "comment": "no"}, w.token("provider")), 101)
    assert await snapshot(core) == before
    got = await ok(api, "declineSignature", {"note": note, "comment": "Plan lacks a follow-up date"},
                   w.token("physician"))
    assert (got["signature"]["status"], got["signature"]["comment"]) == ("declined", "Plan lacks a follow-up date")
    assert got["note"]["status"] == "draft"
    assert "signedAt" not in got["signature"]
    # the scribe's open request waits: nothing is signed while the note is a draft
    before = await snapshot(core)
    refused(await call(api, "signNote", {"note": note}, w.token("scribe")), 142,
            "MedicalNote is draft: a signature is given only while the note is under review.")
    refused(await call(api, "declineSignature", {"signature": req["signatures"][0]["objectId"], "comment": "again"},
                       w.token("physician")), 142, "A declined signature is final")
    assert await snapshot(core) == before
    # the author fixes the draft; the earlier request is now for an old version
    await ok(api, "saveNoteDraft", {"note": note, "plan": "Review on 2026-02-01"}, w.token("nurse"))
    await ok(api, "requestSignatures", {"note": note, "signers": [{"signer": w.user("physician"),
                                                                   "role": "attending"}]}, w.token("nurse"))
    refused(await call(api, "signNote", {"signature": req["signatures"][1]["objectId"]}, w.token("scribe")), 142,
            "This signature request is for an earlier version; the note is now at version 2.")
    assert (await ok(api, "signNote", {"note": note}, w.token("physician")))["note"]["status"] == "signed"


async def _signed_note(w, author: str = "physician") -> str:  # type: ignore[no-untyped-def]
    note = (await draft(w, author))["note"]["objectId"]
    await ok(w.api, "requestSignatures", {"note": note, "signers": [{"signer": w.user(author), "role": "author"}]},
             w.token(author))
    assert (await ok(w.api, "signNote", {"note": note}, w.token(author)))["note"]["status"] == "signed"
    return note


async def test_a_signed_note_is_amended_by_a_new_version_with_a_reason(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    w = await build_world(api)
    unsigned = (await draft(w, "physician"))["note"]["objectId"]
    note = await _signed_note(w)
    before = await snapshot(core)
    refused(await call(api, "amendNote", {"note": unsigned, "amendmentReason": "typo", "plan": "x"},
                       w.token("physician")), 142, "Only a signed note is amended; this note is draft")
    refused(await call(api, "amendNote", {"note": note, "plan": "x"}, w.token("physician")), 142,
            "amendmentReason is required")
    refused(await call(api, "saveNoteDraft", {"note": note, "plan": "x"}, w.token("physician")), 142,
            "a signed note is amended with amendNote")
    refused(await call(api, "amendNote", {"note": note, "amendmentReason": "typo", "plan": "x"},
                       w.token("nurse")), 119)
    r = await api.put(f"/classes/MedicalNote/{note}", {"title": "Changed"}, session=w.token("physician"))
    refused(r, 142, "A signed MedicalNote is never edited in place")
    r = await api.post("/classes/NoteVersion", {"medicalNote": ptr("MedicalNote", note), "versionNumber": 2,
                                                "editor": w.user("physician"), "plan": "x"},
                       session=w.token("physician"))
    refused(r, 142, "an amendment needs a reason (amendmentReason or changeSummary)")
    assert await snapshot(core) == before
    got = await ok(api, "amendNote", {"note": note, "amendmentReason": "Wrong dose recorded",
                                      "changeSummary": "Dose 400 mg, not 40 mg", "plan": "Ibuprofen 400 mg"},
                   w.token("physician"))
    v1 = (await api.get("/classes/NoteVersion", params={"where": json.dumps({"medicalNote": ptr("MedicalNote", note),
                                                                            "versionNumber": 1})},
                        session=w.token("nurse"))).json()["results"][0]
    assert (got["note"]["status"], got["note"]["currentVersionNumber"]) == ("amended", 2)
    assert (got["version"]["previousVersion"], got["version"]["isAddendum"]) == (ptr("NoteVersion", v1["objectId"]), False)
    assert v1["plan"] == SOAP["plan"]  # the original stays readable, unchanged
    add = await ok(api, "amendNote", {"note": note, "amendmentReason": "Late lab result", "isAddendum": True,
                                      "content": "HbA1c 6.1%"}, w.token("physician"))
    assert (add["note"]["status"], add["version"]["versionNumber"], add["version"]["isAddendum"]) == ("amended", 3, True)
    # the verification still holds: the signed version 1 was never touched
    assert (await ok(api, "verifyNoteSignatures", {"note": note}, w.token("physician"))) == \
        {"checked": 1, "mismatches": []}


async def test_nothing_of_a_note_is_deleted_or_rewritten_through_the_api(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    w = await build_world(api)
    note = await _signed_note(w)
    chart = await ok(api, "patientChart", {"patient": w.ref("Patient")}, w.token("physician"))
    entry = next(e for e in chart["notes"] if e["note"]["objectId"] == note)
    version, sig = entry["currentVersion"]["objectId"], entry["signatures"][0]["objectId"]
    before = await snapshot(core)
    for path in (f"/classes/NoteVersion/{version}", f"/classes/Signature/{sig}", f"/classes/MedicalNote/{note}"):
        r = await api.delete(path, master=True)
        refused(r, 119, "is never deleted")
        refused(await api.delete(path, session=w.token("physician")), 119)
    r = await api.put(f"/classes/NoteVersion/{version}", {"plan": "rewritten"}, master=True)
    refused(r, 142, "A NoteVersion is immutable")
    r = await api.put(f"/classes/Signature/{sig}", {"status": "requested"}, session=w.token("physician"))
    refused(r, 142, "A signed signature is final: it cannot change.")
    r = await api.put(f"/classes/Signature/{sig}", {"noteVersion": ptr("NoteVersion", w.ids["NoteVersion"])},
                      session=w.token("physician"))
    refused(r, 142, "noteVersion cannot be changed once the signature is requested.")
    assert await snapshot(core) == before


async def test_an_amendment_can_be_signed_and_the_note_stays_amended(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    w = await build_world(api)
    note = await _signed_note(w, "nurse")
    before = await snapshot(core)
    refused(await call(api, "requestSignatures", {"note": note, "signers": [{"signer": w.user("physician"),
                                                                             "role": "attending"}]},
                       w.token("nurse")), 142, "MedicalNote is already signed: amend it (amendNote)")
    refused(await call(api, "saveNoteDraft", {"note": note, "plan": "x"}, master=True), 209)
    assert await snapshot(core) == before
    await ok(api, "amendNote", {"note": note, "amendmentReason": "Vitals added", "objective": "T 37.2"},
             w.token("nurse"))
    req = await ok(api, "requestSignatures", {"note": note, "signers": [{"signer": w.user("physician"),
                                                                         "role": "attending"}]}, w.token("nurse"))
    assert req["note"]["status"] == "amended"
    got = await ok(api, "signNote", {"note": note}, w.token("physician"))
    assert (got["signature"]["status"], got["note"]["status"]) == ("signed", "amended")
    assert await ok(api, "verifyNoteSignatures", {"note": note}, w.token("nurse")) == {"checked": 2, "mismatches": []}

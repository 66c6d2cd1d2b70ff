"""MedicalNote.status written by the client, as the Back4app template's app does (docs/clinical.md,
"Status a client writes"): every move the lifecycle allows is accepted from a caller who may make
it, in either order the app may use; every other one is refused with its exact Parse error and
leaves nothing written; the ledger names each status change."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from chartkeep.app import create_app
from tests.clinical.helpers import SOAP, call, get, ok, refused, snapshot
from tests.conftest import Api
from tests.policy.world import World, build_world, ptr

UNDER_REVIEW = ("MedicalNote is under review: it cannot change until a signer declines it or, while no signature "
                "is requested, its author returns it to draft.")
SIGNED_RULE = ("a note becomes signed when every requested signature is signed (with an attending co-signature "
               "when it requiresCosign)")
AMENDED_RULE = "a signed note becomes amended when an amendment version is saved with a reason"
FINAL_RULE = "a signed note is final: it is corrected by an amendment version with a reason (amendNote)"
STAYS_AMENDED = "an amended note stays amended: it is corrected by further amendments, which may be signed"


# ---- steps ---------------------------------------------------------------------------------------


async def _post(w: World, class_name: str, body: dict[str, Any], who: str) -> str:
    r = await w.api.post(f"/classes/{class_name}", body, session=w.token(who))
    assert r.status_code == 201, r.text
    return str(r.json()["objectId"])


async def _note(w: World, author: str = "nurse", versions: int = 1, **extra: Any) -> tuple[str, list[str]]:
    """A note created the template's way (POST MedicalNote, then POST NoteVersion per version)."""
    note = await _post(w, "MedicalNote", {"patient": w.ref("Patient"), "encounter": w.ref("Encounter"),
                                          "author": w.user(author), "title": "Progress note", "noteType": "progress",
                                          "currentVersionNumber": 0, "status": "draft", **extra}, author)
    ids = [await _version(w, note, author, plan=f"plan {n}") for n in range(1, versions + 1)]
    return note, ids


async def _version(w: World, note: str, who: str, **fields: Any) -> str:
    return await _post(w, "NoteVersion", {"medicalNote": ptr("MedicalNote", note), "versionNumber": 1,
                                          "editor": w.user(who), **SOAP, **fields}, who)


async def _request(w: World, note: str, version: str, signer: str, role: str, who: str = "nurse") -> str:
    return await _post(w, "Signature", {"medicalNote": ptr("MedicalNote", note), "noteVersion": ptr("NoteVersion", version),
                                        "signer": w.user(signer), "signatureRole": role, "status": "requested"}, who)


async def _answer(w: World, sig: str, who: str, status: str, comment: str | None = None) -> None:
    body = {"status": status, **({"comment": comment} if comment else {})}
    r = await w.api.put(f"/classes/Signature/{sig}", body, session=w.token(who))
    assert r.status_code == 200, r.text


async def _put(w: World, note: str, body: dict[str, Any], who: str | None = None) -> httpx.Response:
    return await w.api.put(f"/classes/MedicalNote/{note}", body, session=w.token(who) if who else None,
                           master=who is None)


async def _moved(w: World, note: str, body: dict[str, Any], who: str | None = None) -> dict[str, Any]:
    r = await _put(w, note, body, who)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def _status(w: World, note: str) -> str:
    return str((await get(w, "MedicalNote", note))["status"])


async def _seq(core: Any) -> int:
    async with core.db.read() as conn:
        return int(await conn.fetchval('SELECT COALESCE(MAX("seq"), 0) FROM "_Audit"'))


async def _note_entries(core: Any, since: int, note: str) -> list[tuple[str, str | None, str | None, bool]]:
    """(eventType, actor, details, made by the server) of each ledger entry on the note after ``since``
    (reads left out)."""
    p = "$1" if core.db.dialect.name == "postgresql" else "?"
    q = "$2" if core.db.dialect.name == "postgresql" else "?"
    async with core.db.read() as conn:
        found = await conn.fetch(
            'SELECT "eventType", "actor", "details", "metadata" FROM "_Audit" '
            f'WHERE "seq" > {p} AND "targetId" = {q} AND "eventType" <> \'read\' ORDER BY "seq"', [since, note])
    out = []
    for event, actor, details, metadata in found:
        meta = metadata if isinstance(metadata, dict) else json.loads(metadata or "{}")
        out.append((event, actor, details, bool((meta or {}).get("server"))))
    return out


async def _refusals(core: Any, since: int, note: str) -> list[tuple[str, str | None, str | None]]:
    """(eventType, actor, details) of each failure entry on the note after ``since``."""
    p = "$1" if core.db.dialect.name == "postgresql" else "?"
    q = "$2" if core.db.dialect.name == "postgresql" else "?"
    async with core.db.read() as conn:
        found = await conn.fetch(
            'SELECT "eventType", "actor", "details" FROM "_Audit" '
            f'WHERE "seq" > {p} AND "targetId" = {q} AND "outcome" = \'failure\' ORDER BY "seq"', [since, note])
    return [(r[0], r[1], r[2]) for r in found]


def _uid(w: World, who: str) -> str:
    return str(w.users[who]["objectId"])


# ---- the template's flow, in both orders ---------------------------------------------------------


async def test_status_first_then_signature_requests(api: Api, core: Any) -> None:
    """The seed's app: save the version, PUT {currentVersionNumber, status: under_review}, create the
    Signature rows, the signer signs its row, the app marks the note signed."""
    w = await build_world(api)
    note, (v1,) = await _note(w)
    mark = await _seq(core)
    reply = await _moved(w, note, {"currentVersionNumber": 1, "status": "under_review"}, "nurse")
    assert set(reply) == {"updatedAt"}  # nothing the server changed to echo: it is what the app sent
    assert await _status(w, note) == "under_review"
    assert await _note_entries(core, mark, note) == [
        ("update", _uid(w, "nurse"), "fields: currentVersionNumber, status", False)]
    mark = await _seq(core)
    sig = await _request(w, note, v1, "physician", "attending")
    assert await _status(w, note) == "under_review"
    assert await _note_entries(core, mark, note) == []  # already under review: the server moves nothing
    await _answer(w, sig, "physician", "signed")
    assert await _status(w, note) == "signed"
    assert await _note_entries(core, mark, note) == [
        ("update", _uid(w, "physician"), "every required signature is signed", True)]
    stored = await get(w, "Signature", sig)
    assert len(stored["contentHash"]) == 64 and stored["signedAt"]["__type"] == "Date"
    for who in ("physician", "nurse"):  # the app marks it signed: the state the server reached
        await _moved(w, note, {"currentVersionNumber": 1, "status": "signed"}, who)
    assert (await get(w, "MedicalNote", note))["currentVersionNumber"] == 1


async def test_signature_requests_first_then_status(api: Api, core: Any) -> None:
    w = await build_world(api)
    note, (v1,) = await _note(w)
    mark = await _seq(core)
    sig = await _request(w, note, v1, "physician", "attending")
    assert await _status(w, note) == "under_review"
    assert await _note_entries(core, mark, note) == [
        ("update", _uid(w, "nurse"), "a signature was requested", True)]
    await _moved(w, note, {"currentVersionNumber": 1, "status": "under_review"}, "nurse")
    await _answer(w, sig, "physician", "signed")
    await _moved(w, note, {"status": "signed"}, "physician")
    assert await _status(w, note) == "signed"


async def test_a_decline_then_the_app_writes_draft_and_sends_it_again(api: Api, core: Any) -> None:
    w = await build_world(api)
    note, (v1,) = await _note(w)
    await _moved(w, note, {"status": "under_review"}, "nurse")
    sig = await _request(w, note, v1, "physician", "attending")
    mark = await _seq(core)
    await _answer(w, sig, "physician", "declined", "Plan lacks a follow-up date")
    assert await _note_entries(core, mark, note) == [("update", _uid(w, "physician"), "a signer declined", True)]
    await _moved(w, note, {"status": "draft"}, "nurse")  # the state the server reached
    v2 = await _version(w, note, "nurse", plan="Review on 2026-02-01")
    reply = await _moved(w, note, {"currentVersionNumber": 2, "status": "under_review"}, "nurse")
    assert "currentVersionNumber" not in reply
    sig2 = await _request(w, note, v2, "physician", "attending")
    await _answer(w, sig2, "physician", "signed")
    assert await _status(w, note) == "signed"


# ---- under review with no signature requested ----------------------------------------------------


async def test_under_review_without_a_request_is_frozen_until_requested_or_returned(api: Api, core: Any) -> None:
    w = await build_world(api)
    note, (v1,) = await _note(w)
    await _moved(w, note, {"status": "under_review"}, "nurse")
    before = await snapshot(core)
    mark = await _seq(core)
    refused(await _put(w, note, {"title": "Retitled"}, "nurse"), 142, UNDER_REVIEW)
    assert await _refusals(core, mark, note) == [("update", _uid(w, "nurse"), f"142: {UNDER_REVIEW}")]
    refused(await _put(w, note, {"title": "Retitled", "status": "draft"}, "nurse"), 142, UNDER_REVIEW)
    r = await api.post("/classes/NoteVersion", {"medicalNote": ptr("MedicalNote", note), "versionNumber": 2,
                                                "editor": w.user("nurse"), "plan": "x"}, session=w.token("nurse"))
    refused(r, 142, "MedicalNote is under review: no new version until a signer declines it or, while no signature "
                    "is requested, its author returns it to draft.")
    refused(await call(api, "saveNoteDraft", {"note": note, "plan": "x"}, w.token("nurse")), 142,
            "saveNoteDraft edits a draft; this note is under_review")
    refused(await _put(w, note, {"status": "signed"}, "nurse"), 142,
            f"MedicalNote status cannot go from under_review to signed: {SIGNED_RULE} (version 1: 0 requested, "
            "0 signed).")
    assert await snapshot(core) == before
    # returned to draft by its author: editable again, and sent again
    await _moved(w, note, {"status": "draft"}, "nurse")
    v2 = await _version(w, note, "nurse", plan="Ibuprofen 400 mg")
    await _moved(w, note, {"status": "under_review"}, "nurse")
    # the server-run functions work on a note the app sent for review
    req = await ok(api, "requestSignatures", {"note": note, "signers": [
        {"signer": w.user("nurse"), "role": "author"}, {"signer": w.user("physician"), "role": "attending"}]},
        w.token("nurse"))
    assert req["note"]["status"] == "under_review"
    assert {s["noteVersion"]["objectId"] for s in req["signatures"]} == {v2}
    assert (await ok(api, "signNote", {"note": note}, w.token("nurse")))["note"]["status"] == "under_review"
    assert (await ok(api, "signNote", {"note": note}, w.token("physician")))["note"]["status"] == "signed"
    assert v1 != v2


# ---- who moves a note ----------------------------------------------------------------------------


async def test_the_author_or_a_supervising_physician_sends_and_returns_it(api: Api, core: Any) -> None:
    w = await build_world(api)
    nurse_note, _ = await _note(w, "nurse")
    doc_note, _ = await _note(w, "physician")
    before = await snapshot(core)
    send = "Permission denied: only the note's author or a supervising physician sends it for review."
    refused(await _put(w, nurse_note, {"status": "under_review"}, "scribe"), 119, send)
    refused(await _put(w, nurse_note, {"status": "under_review"}, "provider"), 119, send)
    refused(await _put(w, doc_note, {"status": "under_review"}, "nurse"), 119, send)
    refused(await _put(w, nurse_note, {"status": "under_review"}, "outsider"), 101, "Object not found.")
    refused(await _put(w, nurse_note, {"status": "under_review"}, "patient"), 119)
    refused(await _put(w, nurse_note, {"status": "under_review"}, "auditor"), 119)
    assert await snapshot(core) == before
    await _moved(w, nurse_note, {"status": "under_review"}, "physician")  # supervises the nurse's draft
    await _moved(w, doc_note, {"status": "under_review"}, "physician")
    before = await snapshot(core)
    back = "Permission denied: only the note's author or a supervising physician returns it to draft."
    refused(await _put(w, nurse_note, {"status": "draft"}, "scribe"), 119, back)
    refused(await _put(w, doc_note, {"status": "draft"}, "nurse"), 119, back)
    assert await snapshot(core) == before
    await _moved(w, nurse_note, {"status": "draft"}, "nurse")
    await _moved(w, doc_note, {"status": "draft"}, "physician")
    # the master key passes the "who", never the state rules
    await _moved(w, doc_note, {"status": "under_review"})
    refused(await _put(w, doc_note, {"status": "signed"}), 142, "cannot go from under_review to signed")
    await _moved(w, doc_note, {"status": "draft"})


async def test_marking_signed_needs_a_complete_review(api: Api, core: Any) -> None:
    """After a decline the other signatures stay: sent again for the same version, a review whose
    remaining required signatures are all signed may be marked signed by the app."""
    w = await build_world(api)
    note, (v1,) = await _note(w)
    mine = await _request(w, note, v1, "nurse", "author")
    scribe = await _request(w, note, v1, "scribe", "specialist")
    provider = await _request(w, note, v1, "provider", "specialist")
    before = await snapshot(core)
    refused(await _put(w, note, {"status": "signed"}, "nurse"), 142,
            f"MedicalNote status cannot go from under_review to signed: {SIGNED_RULE} (version 1: 3 requested, "
            "0 signed).")
    refused(await _put(w, note, {"status": "draft"}, "nurse"), 142,
            "MedicalNote status cannot go from under_review to draft while a signature is requested on its "
            "current version (1): it returns to draft when a signer declines it.")
    assert await snapshot(core) == before
    await _answer(w, mine, "nurse", "signed")
    await _answer(w, scribe, "scribe", "signed")
    refused(await _put(w, note, {"status": "signed"}, "scribe"), 142, "(version 1: 1 requested, 2 signed).")
    await _answer(w, provider, "provider", "declined", "Assessment unsupported")
    assert await _status(w, note) == "draft"
    await _moved(w, note, {"status": "under_review"}, "nurse")  # no request is open: back for the same version
    before = await snapshot(core)
    for who in ("provider", "admin"):  # the signer who declined; a reader who never signed
        refused(await _put(w, note, {"status": "signed"}, who), 119 if who == "provider" else 101,
                "Permission denied: only the note's author, a supervising physician or one who signed it marks it "
                "signed." if who == "provider" else "Object not found.")
    refused(await _put(w, note, {"status": "signed"}, "outsider"), 101, "Object not found.")
    assert await snapshot(core) == before
    mark = await _seq(core)
    await _moved(w, note, {"status": "signed"}, "scribe")  # a signer of the current version
    assert await _status(w, note) == "signed"
    assert await _note_entries(core, mark, note) == [("update", _uid(w, "scribe"), "fields: status", False)]
    r = await call(api, "verifyNoteSignatures", {"note": note}, w.token("nurse"))
    assert r.json()["result"] == {"checked": 2, "mismatches": []}


async def test_a_cosign_note_is_not_marked_signed_without_its_attending(api: Api, core: Any) -> None:
    w = await build_world(api)
    note, (v1,) = await _note(w, requiresCosign=True)
    await _moved(w, note, {"status": "under_review"}, "nurse")
    await _answer(w, await _request(w, note, v1, "nurse", "author"), "nurse", "signed")
    assert await _status(w, note) == "under_review"
    before = await snapshot(core)
    refused(await _put(w, note, {"status": "signed"}, "nurse"), 142, "(version 1: 0 requested, 1 signed).")
    assert await snapshot(core) == before
    await _answer(w, await _request(w, note, v1, "physician", "attending"), "physician", "signed")
    assert await _status(w, note) == "signed"


# ---- every move the rules forbid -----------------------------------------------------------------


async def test_forbidden_moves_are_refused_with_their_rule_and_change_nothing(api: Api, core: Any) -> None:
    w = await build_world(api)
    empty, _ = await _note(w, versions=0)
    drafted, _ = await _note(w)
    reviewed, (rv1,) = await _note(w)
    await _request(w, reviewed, rv1, "physician", "attending")
    signed, (sv1,) = await _note(w)
    await _answer(w, await _request(w, signed, sv1, "nurse", "author"), "nurse", "signed")
    amended, (av1,) = await _note(w)
    await _answer(w, await _request(w, amended, av1, "nurse", "author"), "nurse", "signed")
    await _version(w, amended, "nurse", amendmentReason="Dose corrected", plan="Ibuprofen 200 mg")
    assert [await _status(w, n) for n in (empty, drafted, reviewed, signed, amended)] == [
        "draft", "draft", "under_review", "signed", "amended"]
    body = {"patient": w.ref("Patient"), "encounter": w.ref("Encounter"), "author": w.user("nurse"),
            "title": "T", "noteType": "progress", "currentVersionNumber": 1}
    before = await snapshot(core)
    cases: list[tuple[str, str, dict[str, Any], int, str]] = [
        ("POST", "", {**body, "status": "under_review"}, 142,
         "A MedicalNote is created as a draft: status under_review is reached through the workflow"),
        ("POST", "", {**body, "status": "signed"}, 142,
         "A MedicalNote is created as a draft: status signed is reached through the workflow"),
        ("POST", "", {**body, "status": "amended"}, 142,
         "A MedicalNote is created as a draft: status amended is reached through the workflow"),
        ("PUT", empty, {"status": "under_review"}, 142,
         "MedicalNote has no content yet: save a version before sending it for review."),
        ("PUT", drafted, {"status": "final"}, 142, "MedicalNote status must be one of draft, under_review, signed, amended."),
        ("PUT", drafted, {"status": "signed"}, 142, f"MedicalNote status cannot go from draft to signed: {SIGNED_RULE}."),
        ("PUT", drafted, {"status": "amended"}, 142, f"MedicalNote status cannot go from draft to amended: {AMENDED_RULE}."),
        ("PUT", reviewed, {"status": "draft"}, 142, "cannot go from under_review to draft while a signature is requested"),
        ("PUT", reviewed, {"status": "signed"}, 142, "(version 1: 1 requested, 0 signed)."),
        ("PUT", reviewed, {"status": "amended"}, 142,
         f"MedicalNote status cannot go from under_review to amended: {AMENDED_RULE}."),
        ("PUT", reviewed, {"title": "x"}, 142, UNDER_REVIEW),
        ("PUT", signed, {"status": "draft"}, 142, f"MedicalNote status cannot go from signed to draft: {FINAL_RULE}."),
        ("PUT", signed, {"status": "under_review"}, 142,
         f"MedicalNote status cannot go from signed to under_review: {FINAL_RULE}."),
        ("PUT", signed, {"status": "amended"}, 142, f"MedicalNote status cannot go from signed to amended: {AMENDED_RULE}."),
        ("PUT", signed, {"title": "x"}, 142, "A signed MedicalNote is never edited in place"),
        ("PUT", amended, {"status": "draft"}, 142, f"MedicalNote status cannot go from amended to draft: {STAYS_AMENDED}."),
        ("PUT", amended, {"status": "under_review"}, 142,
         f"MedicalNote status cannot go from amended to under_review: {STAYS_AMENDED}."),
        ("PUT", amended, {"status": "signed"}, 142, f"MedicalNote status cannot go from amended to signed: {STAYS_AMENDED}."),
        ("PUT", amended, {"title": "x"}, 142, "A signed MedicalNote is never edited in place"),
    ]
    for method, note, sent, code, message in cases:
        for master in (False, True):  # the master key never breaks the state rules either
            path = "/classes/MedicalNote" + (f"/{note}" if note else "")
            r = await api.request(method, path, sent, session=None if master else w.token("nurse"), master=master)
            refused(r, code, message)
            assert await snapshot(core) == before, (method, note, sent)
    # the state each note is in, written again, is accepted (an SDK re-saving the whole object)
    for note, status in ((drafted, "draft"), (reviewed, "under_review"), (signed, "signed"), (amended, "amended")):
        await _moved(w, note, {"status": status, "currentVersionNumber": 1}, "nurse")
        await _moved(w, note, {"status": status}, "physician")


async def test_current_version_number_is_the_servers(api: Api) -> None:
    """A client's currentVersionNumber is never stored: the response carries the server's."""
    w = await build_world(api)
    note, _ = await _note(w, versions=2)
    reply = await _moved(w, note, {"currentVersionNumber": 7, "status": "under_review"}, "nurse")
    assert reply["currentVersionNumber"] == 2
    stored = await get(w, "MedicalNote", note)
    assert (stored["status"], stored["currentVersionNumber"]) == ("under_review", 2)
    reply = await _moved(w, note, {"currentVersionNumber": {"__op": "Increment", "amount": 1}}, "nurse")
    assert reply["currentVersionNumber"] == 2


# ---- concurrency ---------------------------------------------------------------------------------


async def test_racing_a_return_to_draft_and_a_signature_request(api: Api, core: Any) -> None:
    """The note row is locked by both: whichever comes first, the note never ends a draft with an
    open request on its current version, nor under review after a refused return."""
    w = await build_world(api)
    app = create_app(core.settings, core)  # no ledger check around it: it serialises requests
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        raw = Api(client)
        for n in range(6):
            note, (v1,) = await _note(w)
            await _moved(w, note, {"status": "under_review"}, "nurse")
            back_to_draft = raw.put(f"/classes/MedicalNote/{note}", {"status": "draft"}, session=w.token("nurse"))
            ask = raw.post("/classes/Signature", {"medicalNote": ptr("MedicalNote", note),
                                                  "noteVersion": ptr("NoteVersion", v1), "signer": w.user("physician"),
                                                  "signatureRole": "attending", "status": "requested"},
                           session=w.token("nurse"))
            if n % 2:  # each one started first in turn
                asked, back = await asyncio.gather(ask, back_to_draft)
            else:
                back, asked = await asyncio.gather(back_to_draft, ask)
            assert asked.status_code == 201, asked.text
            assert back.status_code in (200, 400), back.text
            # returned first: the request then opened the review again; refused: the request was first
            assert await _status(w, note) == "under_review"
            if back.status_code == 400:
                assert "while a signature is requested" in back.json()["error"]

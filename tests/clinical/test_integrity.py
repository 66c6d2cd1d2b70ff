"""Concurrent edits get distinct consecutive versions; a signed version changed behind the API's
back (SQL) fails its signature check; the one-call patient chart shows nothing to outsiders."""

from __future__ import annotations

import asyncio
import json

from tests.clinical.helpers import call, draft, ok, refused
from tests.conftest import Api
from tests.policy.world import build_world, ptr

N = 8


async def _versions(api: Api, note: str, token: str) -> list[int]:
    where = json.dumps({"medicalNote": ptr("MedicalNote", note)})
    found = (await api.get("/classes/NoteVersion", params={"where": where, "order": "versionNumber"},
                           session=token)).json()["results"]
    return [v["versionNumber"] for v in found]


async def test_concurrent_saves_take_distinct_consecutive_versions(api: Api) -> None:
    w = await build_world(api)
    note = (await draft(w, "physician"))["note"]["objectId"]
    token = w.token("physician")
    saves = [call(api, "saveNoteDraft", {"note": note, "plan": f"edit {i}"}, token) for i in range(N)]
    direct = [api.post("/classes/NoteVersion", {"medicalNote": ptr("MedicalNote", note), "versionNumber": 2,
                                                "editor": w.user("physician"), "plan": f"direct {i}"}, session=token)
              for i in range(N)]
    replies = await asyncio.gather(*saves, *direct)
    assert [r.status_code for r in replies] == [200] * N + [201] * N, [r.text for r in replies if r.status_code >= 300]
    taken = sorted(r.json()["result"]["version"]["versionNumber"] for r in replies[:N])
    assert len(set(taken)) == N
    assert await _versions(api, note, token) == list(range(1, 2 * N + 2))
    got = (await api.get(f"/classes/MedicalNote/{note}", session=token)).json()
    assert got["currentVersionNumber"] == 2 * N + 1
    # each version links the one before it
    where = json.dumps({"medicalNote": ptr("MedicalNote", note)})
    found = (await api.get("/classes/NoteVersion", params={"where": where, "order": "versionNumber"},
                           session=token)).json()["results"]
    assert [v.get("previousVersion", {}).get("objectId") for v in found] == [None] + [v["objectId"] for v in found[:-1]]


async def _signed(w, author: str = "physician") -> tuple[str, str, str]:  # type: ignore[no-untyped-def]
    first = await draft(w, author)
    note = first["note"]["objectId"]
    req = await ok(w.api, "requestSignatures", {"note": note, "signers": [{"signer": w.user(author), "role": "author"}]},
                   w.token(author))
    await ok(w.api, "signNote", {"note": note}, w.token(author))
    return note, first["version"]["objectId"], req["signatures"][0]["objectId"]


async def test_a_signed_version_changed_by_sql_fails_its_signature_check(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    w = await build_world(api)
    note, version, sig = await _signed(w)
    other_note, other_version, _ = await _signed(w)
    token = w.token("physician")
    assert await ok(api, "verifyNoteSignatures", {"note": note}, token) == {"checked": 1, "mismatches": []}
    async with core.db.transaction() as tx:
        p = tx.dialect.placeholder
        await tx.execute(f'UPDATE "NoteVersion" SET "plan" = {p(1)} WHERE "objectId" = {p(2)}',
                         ["Morphine 40 mg", version])
    got = await ok(api, "verifyNoteSignatures", {"note": note}, token)
    assert got["checked"] == 1
    [m] = got["mismatches"]
    assert (m["signature"], m["noteVersion"], m["problem"]) == (sig, version, "the signed content changed after signing")
    assert m["recorded"] != m["actual"]
    # moving a signature to other content is caught too; the whole-database check finds both
    async with core.db.transaction() as tx:
        p = tx.dialect.placeholder
        await tx.execute(f'UPDATE "Signature" SET "noteVersion" = {p(1)} WHERE "objectId" = {p(2)}', [other_version, sig])
    everything = await ok(api, "verifyNoteSignatures", {}, w.token("auditor"))
    assert [m["problem"] for m in everything["mismatches"]] == ["the signed version belongs to another note"]
    assert everything["checked"] >= 2
    refused(await call(api, "verifyNoteSignatures", {}, token), 119,
            "verifying every note's signatures is for admins and auditors")
    refused(await call(api, "verifyNoteSignatures", {"note": other_note}, w.token("outsider")), 101)


async def test_patient_chart_in_one_call_and_nothing_for_outsiders(api: Api) -> None:
    w = await build_world(api)
    note, version, sig = await _signed(w)
    await ok(api, "amendNote", {"note": note, "amendmentReason": "Allergy omitted", "content": "Allergy: penicillin"},
             w.token("physician"))
    chart = await ok(api, "patientChart", {"patient": w.ids["Patient"]}, w.token("nurse"))
    assert (chart["patient"]["className"], chart["patient"]["objectId"]) == ("Patient", w.ids["Patient"])
    assert [e["objectId"] for e in chart["encounters"]] == [w.ids["Encounter"]]
    assert [a["objectId"] for a in chart["attachments"]] == [w.ids["Attachment"]]
    notes = {e["note"]["objectId"]: e for e in chart["notes"]}
    assert set(notes) == {note, w.ids["MedicalNote"]}
    mine = notes[note]
    assert (mine["note"]["status"], mine["currentVersion"]["versionNumber"]) == ("amended", 2)
    assert mine["currentVersion"]["content"] == "Allergy: penicillin"
    assert [s["objectId"] for s in mine["signatures"]] == [sig]
    assert mine["signatureStatus"] == {"requested": 0, "signed": 0, "declined": 0, "complete": False}
    world_note = notes[w.ids["MedicalNote"]]
    assert world_note["note"]["status"] == "under_review"
    assert world_note["signatureStatus"] == {"requested": 1, "signed": 0, "declined": 0, "complete": False}
    assert "versions" not in mine
    full = await ok(api, "patientChart", {"patient": w.ref("Patient"), "includeHistory": True}, w.token("nurse"))
    history = next(e for e in full["notes"] if e["note"]["objectId"] == note)["versions"]
    assert [(v["objectId"] == version, v["versionNumber"]) for v in history] == [(True, 1), (False, 2)]
    # outside the care team: 101 / 119, never data
    r = await call(api, "patientChart", {"patient": w.ids["Patient"]}, w.token("outsider"))
    assert (r.status_code, r.json()) == (404, {"code": 101, "error": "Object not found."})
    for who in ("patient", "auditor"):
        r = await call(api, "patientChart", {"patient": w.ids["Patient"]}, w.token(who))
        assert r.json() == {"code": 119, "error": "Permission denied for action get on class Patient."}
    refused(await call(api, "patientChart", {}, w.token("nurse")), 142, "patient is required")
    refused(await call(api, "patientChart", {"patient": 7}, w.token("nurse")), 107)

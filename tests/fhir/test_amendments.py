"""DocumentReference.relatesTo: an amendment ``replaces`` and an addendum ``appends`` the version
before it (a versioned reference into the note's own _history), in read, vread, history and search."""

from __future__ import annotations

from typing import Any

from tests.clinical.helpers import draft, ok
from tests.conftest import Api
from tests.fhir.helpers import get
from tests.fhir.test_reads import nothing
from tests.policy.world import build_world


def rel(note: str, code: str, version: int) -> list[dict[str, Any]]:
    return [{"code": code, "target": {"reference": f"DocumentReference/{note}/_history/{version}"}}]


async def test_amendments_and_addenda_relate_to_the_version_before(api: Api) -> None:
    w = await build_world(api)
    token = w.token("physician")
    note = (await draft(w, "physician"))["note"]["objectId"]
    await ok(api, "saveNoteDraft", {"note": note, "plan": "Rest"}, token)
    draft2 = (await get(api, f"/DocumentReference/{note}", token)).json()
    assert draft2["meta"]["versionId"] == "2" and "relatesTo" not in draft2  # a draft edit is no amendment
    await ok(api, "requestSignatures", {"note": note, "signers": [
        {"signer": w.user("physician")["objectId"], "role": "author"}]}, token)
    await ok(api, "signNote", {"note": note}, token)
    await ok(api, "amendNote", {"note": note, "amendmentReason": "dose corrected", "plan": "Recheck in 1 week"}, token)
    amended = (await get(api, f"/DocumentReference/{note}", token)).json()
    assert amended["relatesTo"] == rel(note, "replaces", 2) and amended["description"] == "dose corrected"
    await ok(api, "amendNote", {"note": note, "amendmentReason": "late entry", "isAddendum": True,
                                "content": "Called the patient: better."}, token)
    addendum = (await get(api, f"/DocumentReference/{note}", token)).json()
    assert addendum["meta"]["versionId"] == "4" and addendum["relatesTo"] == rel(note, "appends", 3)
    # a version saved on an amended note with only a change summary is an amendment too
    r = await api.post("/classes/NoteVersion", {"medicalNote": {"__type": "Pointer", "className": "MedicalNote",
                                                                "objectId": note},
                                                "versionNumber": 5, "editor": w.user("physician"), "content": "Corrected again", "changeSummary": "typo"}, session=token)
    assert r.status_code == 201, r.text
    fifth = (await get(api, f"/DocumentReference/{note}", token)).json()
    assert fifth["meta"]["versionId"] == "5" and fifth["relatesTo"] == rel(note, "replaces", 4)
    # vread, history and search carry the same relations; the first versions none
    assert (await get(api, f"/DocumentReference/{note}/_history/3", token)).json()["relatesTo"] == rel(note, "replaces", 2)
    history = (await get(api, f"/DocumentReference/{note}/_history", token)).json()
    assert [e["resource"].get("relatesTo", [{}])[0].get("code") for e in history["entry"]] == [
        "replaces", "appends", "replaces", None, None]
    found = (await get(api, f"/DocumentReference?_id={note}", token)).json()
    assert found["entry"][0]["resource"]["relatesTo"] == rel(note, "replaces", 4)
    for who in ("outsider", "auditor", "patient"):
        nothing(await get(api, f"/DocumentReference/{note}/_history/4", w.token(who)))

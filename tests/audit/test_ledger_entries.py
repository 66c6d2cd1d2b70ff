"""The ledger holds exactly the expected entries after a scenario, written by the server."""

from __future__ import annotations

import json
from typing import Any

from tests.audit.helpers import check, entries_after, head
from tests.conftest import Api, row_count
from tests.policy.world import build_world

PASSWORD = "Long-enough-pw-1"


async def test_a_clinic_morning_is_recorded_entry_by_entry(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    w = await build_world(api)
    doc, outsider = w.users["physician"]["objectId"], w.users["outsider"]["objectId"]
    patient = w.ids["Patient"]
    start = await head(core)

    login = await api.post("/login", {"username": "physician1", "password": PASSWORD})
    assert login.status_code == 200, login.text
    token = login.json()["sessionToken"]
    assert (await api.post("/login", {"username": "physician1", "password": "wrong-pass"})).json()["code"] == 101
    assert (await api.get(f"/classes/Patient/{patient}", session=token)).status_code == 200
    notes = await api.get("/classes/MedicalNote", params={"include": "encounter,patient"}, session=token)
    assert len(notes.json()["results"]) == 1
    assert (await api.put(f"/classes/Patient/{patient}", {"status": "inactive"}, session=token)).status_code == 200
    assert (await api.get(f"/classes/Patient/{patient}", session=w.token("outsider"))).json()["code"] == 101
    refused = await api.post("/classes/Encounter", w.body("Encounter", "outsider"), session=w.token("outsider"))
    assert refused.json()["code"] == 119
    assert (await api.post("/logout", {}, session=token)).status_code == 200

    assert await entries_after(core, start) == [
        ("login", doc, None, "_User", doc, "success"),
        ("login_failed", None, None, "_User", doc, "failure"),
        ("read", doc, patient, "Patient", patient, "success"),
        ("read", doc, patient, "MedicalNote", w.ids["MedicalNote"], "success"),  # one entry: same patient
        ("update", doc, patient, "Patient", patient, "success"),
        ("read", outsider, None, "Patient", patient, "failure"),
        ("create", outsider, None, "Encounter", None, "failure"),
        ("logout", doc, None, "_User", doc, "success"),
    ]
    assert (await check(core)).ok


async def test_entries_are_read_through_audit_event_and_audit_log(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    w = await build_world(api)
    patient = w.ids["Patient"]
    await api.get(f"/classes/Patient/{patient}", session=w.token("nurse"))
    where = json.dumps({"eventType": "read", "actor": w.user("nurse")})
    events = (await api.get("/classes/AuditEvent", params={"where": where}, session=w.token("auditor"))).json()
    [event] = events["results"]
    assert event["patient"] == {"__type": "Pointer", "className": "Patient", "objectId": patient}
    assert (event["targetClass"], event["targetId"], event["outcome"], event["source"]) == (
        "Patient", patient, "success", "server")
    assert event["ipAddress"] == "127.0.0.1" and event["timestamp"]["iso"] == event["createdAt"]
    assert len(event["hash"]) == 64 and isinstance(event["seq"], int)
    # the same row in the behavioral-health vocabulary
    log = (await api.get(f"/classes/AuditLog/{event['objectId']}", session=w.token("admin"))).json()
    assert (log["action"], log["entityType"], log["entityId"], log["hash"]) == ("read", "Patient", patient, event["hash"])
    assert "patient" not in log  # an EHR patient is not a PatientProfile
    # reading the ledger is itself recorded, once per request
    start = await head(core)
    await api.get("/classes/AuditEvent", params={"include": "actor"}, session=w.token("auditor"))
    assert [e[0] for e in await entries_after(core, start)] == ["audit_read"]
    # and nobody outside auditors/admins reads it
    for who in ("physician", "nurse", "patient"):
        assert (await api.get("/classes/AuditEvent", session=w.token(who))).json()["code"] == 119


async def test_the_note_workflow_is_recorded_by_name(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    w = await build_world(api)
    doc, nurse = w.users["physician"]["objectId"], w.users["nurse"]["objectId"]
    patient = w.ids["Patient"]

    async def call(name: str, who: str, **params: object) -> dict:
        r = await api.post(f"/functions/{name}", params, session=w.token(who))
        assert r.status_code == 200, (name, r.text)
        return r.json()["result"]

    start = await head(core)
    made = await call("saveNoteDraft", "physician", patient=patient, encounter=w.ids["Encounter"],
                      title="Admission", noteType="admission", subjective="chest pain")
    note = made["note"]["objectId"]
    requested = await call("requestSignatures", "physician", note=note,
                           signers=[{"signer": doc, "role": "author"}, {"signer": nurse, "role": "specialist"}])
    await call("signNote", "physician", note=note)
    await call("declineSignature", "nurse", note=note, comment="wrong encounter")
    await call("saveNoteDraft", "physician", note=note, subjective="chest pain, corrected")
    await call("requestSignatures", "physician", note=note, signers=[{"signer": doc, "role": "author"}])
    await call("signNote", "physician", note=note)
    await call("amendNote", "physician", note=note, amendmentReason="late lab result", plan="add statin")
    entries = await entries_after(core, start)
    # each call returns the note it worked on: at most one read entry per call (8 calls)
    assert sum(e[0] == "read" for e in entries) <= 8
    kinds = [(e[0], e[1], e[2], e[3]) for e in entries if e[0] != "read"]
    note_moves = ("update", doc, patient, "MedicalNote")  # the server's own status / version changes
    assert kinds == [
        ("create", doc, patient, "MedicalNote"), ("create", doc, patient, "NoteVersion"), note_moves,
        ("signature_request", doc, patient, "Signature"), note_moves, ("signature_request", doc, patient, "Signature"),
        ("sign", doc, patient, "Signature"), ("decline", nurse, patient, "Signature"),
        ("update", nurse, patient, "MedicalNote"),  # the request that caused a move is its actor
        ("create", doc, patient, "NoteVersion"), note_moves, ("signature_request", doc, patient, "Signature"),
        note_moves, ("sign", doc, patient, "Signature"), note_moves, ("amend", doc, patient, "NoteVersion"),
        note_moves,
    ], kinds
    # each of the server's own moves says why, and names (never copies) the fields it set
    moves = await note_updates(core, start, note)
    assert moves == [
        ("version 1 saved", ["currentVersionNumber", "status"]), ("a signature was requested", ["status"]),
        ("a signer declined", ["status"]), ("version 2 saved", ["currentVersionNumber", "status"]),
        ("a signature was requested", ["status"]), ("every required signature is signed", ["status"]),
        ("version 3 saved (an amendment)", ["currentVersionNumber", "status"]),
    ], moves
    assert len(requested["signatures"]) == 2
    assert (await check(core)).ok


async def note_updates(core: Any, seq: int, note: str) -> list[tuple[str, list[str]]]:
    """(details, metadata.fields) of each server-made update of ``note`` after ``seq``."""
    p = "$1" if core.db.dialect.name == "postgresql" else "?"
    async with core.db.read() as conn:
        found = await conn.fetch(f'SELECT "details", "metadata" FROM "_Audit" WHERE "seq" > {p} AND "eventType" = '
                                 f"'update' AND \"targetId\" = '{note}' ORDER BY \"seq\"", [seq])
    out = []
    for details, metadata in found:
        meta = metadata if isinstance(metadata, dict) else json.loads(metadata)
        assert meta["server"] is True
        out.append((details, meta["fields"]))
    return out


async def test_a_rolled_back_write_leaves_only_its_refusal(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    w = await build_world(api)
    before_rows = await row_count(core, "Encounter")
    start = await head(core)
    batch = {"transaction": True, "requests": [
        {"method": "POST", "path": "/parse/classes/Encounter", "body": w.body("Encounter", "physician")},
        {"method": "POST", "path": "/parse/classes/Encounter", "body": {"patient": "not a pointer"}},
    ]}
    r = await api.post("/batch", batch, session=w.token("physician"))
    assert r.status_code == 400, r.text
    assert await row_count(core, "Encounter") == before_rows
    assert [e[0] for e in await entries_after(core, start) if e[5] == "success"] == []


async def test_clients_append_events_but_the_server_says_who_when_and_where(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    w = await build_world(api)
    nurse = w.users["nurse"]["objectId"]
    body = {"eventType": "sign_request", "actor": w.user("admin"), "targetClass": "MedicalNote",
            "targetId": w.ids["MedicalNote"], "patient": w.ref("Patient"), "ipAddress": "10.9.9.9",
            "timestamp": {"__type": "Date", "iso": "1999-01-01T00:00:00.000Z"}, "details": "please sign"}
    r = await api.post("/classes/AuditEvent", body, session=w.token("nurse"))
    assert r.status_code == 201, r.text
    got = (await api.get(f"/classes/AuditEvent/{r.json()['objectId']}", session=w.token("auditor"))).json()
    assert got["actor"]["objectId"] == nurse and got["ipAddress"] == "127.0.0.1"
    assert got["timestamp"]["iso"] == r.json()["createdAt"] != "1999-01-01T00:00:00.000Z"
    assert (got["source"], got["eventType"], got["details"]) == ("client", "sign_request", "please sign")
    # no update, no delete, master key included; no schema change
    oid = got["objectId"]
    for method, kw in (("PUT", {"json": {"details": "x"}}), ("DELETE", {})):
        for auth in ({"session": w.token("admin")}, {"master": True}):
            r = await api.request(method, f"/classes/AuditEvent/{oid}", **kw, **auth)
            assert (r.status_code, r.json()["code"]) == (400, 119), (method, auth)
    r = await api.put("/schemas/AuditEvent", {"fields": {"x": {"type": "String"}}}, master=True)
    assert r.json()["code"] == 119
    r = await api.delete("/schemas/AuditLog", master=True)
    assert r.json()["code"] == 119
    # bad input: a clear error and no entry
    start = await head(core)
    for bad, code in (({"details": "no type"}, 142), ({"eventType": 5}, 111), ({"eventType": "x", "nope": 1}, 105)):
        r = await api.post("/classes/AuditEvent", bad, session=w.token("nurse"))
        assert r.json()["code"] == code, (bad, r.text)
    assert await entries_after(core, start) == []
    assert (await check(core)).ok


async def test_reads_of_imported_rows_name_their_patient(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    """A row written with the master key and an explicit ACL (an import) has no care-team role in
    its ACL; its read is still recorded under the patient its pointer names."""
    w = await build_world(api)
    nurse, patient = w.users["nurse"]["objectId"], w.ids["Patient"]
    body = {**w.body("Encounter", "physician"), "ACL": {nurse: {"read": True}}}
    created = await api.post("/classes/Encounter", body, master=True)
    assert created.status_code == 201, created.text
    encounter = created.json()["objectId"]
    start = await head(core)
    assert (await api.get(f"/classes/Encounter/{encounter}", session=w.token("nurse"))).status_code == 200
    assert await entries_after(core, start) == [("read", nurse, patient, "Encounter", encounter, "success")]

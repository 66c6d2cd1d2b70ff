"""``patientChart``: the seed's "open patient timeline" step in one round trip.

Everything is read through the normal access-checked read path (CLP, care-team ACL, protected
fields), inside one read snapshot: a caller outside the care team gets 101 for the patient (a
role without access to the class, 119) and never any of the chart.
"""

from __future__ import annotations

from typing import Any

from chartkeep.clinical import note_workflow as nw
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.core.hooks import Hooks
from chartkeep.errors import Code, ParseError
from chartkeep.ledger.entries import record_refusal
from chartkeep.records import reads
from chartkeep.records.cloud_values import as_object, object_id, pointer
from chartkeep.storage.database import Conn

LIMIT = 1000  # encounters, notes, attachments: a larger chart is paged with the class queries
ALL = 100_000  # versions and signatures of the notes shown: never cut short


async def _find(core: Core, ctx: RequestContext, conn: Conn, class_name: str, where: dict[str, Any],
                order: str, limit: int = LIMIT) -> list[dict[str, Any]]:
    if core.registry.get(class_name) is None:
        return []
    found = await reads.find(core, ctx, class_name, {"where": where, "order": order, "limit": limit}, conn)
    return list(found["results"])


async def _versions(core: Core, ctx: RequestContext, conn: Conn, notes: list[dict[str, Any]],
                    history: bool) -> list[dict[str, Any]]:
    """Every version of the notes, or only the current ones: one query per distinct current
    version number (few), each returning at most one row per note."""
    if not notes:
        return []
    if history:
        where = {"medicalNote": {"$in": [pointer(nw.NOTE, n["objectId"]) for n in notes]}}
        return await _find(core, ctx, conn, nw.VERSION, where, "versionNumber", ALL)
    by_number: dict[int, list[dict[str, str]]] = {}
    for n in notes:
        if n.get("currentVersionNumber"):
            by_number.setdefault(n["currentVersionNumber"], []).append(pointer(nw.NOTE, n["objectId"]))
    out: list[dict[str, Any]] = []
    for number, ptrs in sorted(by_number.items()):
        out += await _find(core, ctx, conn, nw.VERSION, {"medicalNote": {"$in": ptrs}, "versionNumber": number},
                           "versionNumber", ALL)
    return out


def _status(note: dict[str, Any], signatures: list[dict[str, Any]], version_id: str | None) -> dict[str, Any]:
    current = [s for s in signatures if (s.get("noteVersion") or {}).get("objectId") == version_id]
    counts = {k: sum(1 for s in current if s.get("status") == k) for k in nw.SIGNATURE_STATUSES}
    internal = [{"status": s.get("status"), "signatureRole": s.get("signatureRole")} for s in current]
    return {**counts, "complete": nw.review_complete(note, internal)}


async def patient_chart(core: Core, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """A refusal (another team's patient: 101) is recorded as a failed ``read`` naming the patient."""
    patient_id = object_id(params, "patient", "Patient") or ""
    try:
        return await _chart(core, ctx, patient_id, params)
    except ParseError as exc:
        await record_refusal(core, ctx, "read", "Patient", patient_id or None, exc,
                             patient=("Patient", patient_id) if patient_id else None,
                             metadata={"function": "patientChart"})
        raise


async def _chart(core: Core, ctx: RequestContext, patient_id: str, params: dict[str, Any]) -> dict[str, Any]:
    history = params.get("includeHistory", False)
    if not isinstance(history, bool):
        raise ParseError(Code.INCORRECT_TYPE, "includeHistory must be a boolean")
    async with core.db.read() as conn:
        patient = await reads.get(core, ctx, "Patient", patient_id, {}, conn)
        on_patient = {"patient": pointer("Patient", patient_id)}
        encounters = await _find(core, ctx, conn, "Encounter", on_patient, "-startedAt")
        notes = await _find(core, ctx, conn, nw.NOTE, on_patient, "-updatedAt")
        in_notes = {"medicalNote": {"$in": [pointer(nw.NOTE, n["objectId"]) for n in notes]}}
        versions = await _versions(core, ctx, conn, notes, history)
        signatures = await _find(core, ctx, conn, nw.SIGNATURE, in_notes, "createdAt", ALL) if notes else []
        attachments = await _find(core, ctx, conn, "Attachment", on_patient, "-createdAt")
    entries = []
    for note in notes:
        mine = [v for v in versions if v["medicalNote"]["objectId"] == note["objectId"]]
        current = next((v for v in mine if v.get("versionNumber") == note.get("currentVersionNumber")), None)
        sigs = [s for s in signatures if s["medicalNote"]["objectId"] == note["objectId"]]
        entry: dict[str, Any] = {
            "note": as_object(nw.NOTE, note),
            "currentVersion": as_object(nw.VERSION, current) if current else None,
            "signatures": [as_object(nw.SIGNATURE, s) for s in sigs],
            "signatureStatus": _status(note, sigs, current["objectId"] if current else None),
        }
        if history:
            entry["versions"] = [as_object(nw.VERSION, v) for v in mine]
        entries.append(entry)
    return {
        "patient": as_object("Patient", patient),
        "encounters": [as_object("Encounter", e) for e in encounters],
        "notes": entries,
        "attachments": [as_object("Attachment", a) for a in attachments],
    }


def register(hooks: Hooks[Core]) -> None:
    hooks.define("patientChart", patient_chart)

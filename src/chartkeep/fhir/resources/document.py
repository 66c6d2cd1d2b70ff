"""DocumentReference: one per ``MedicalNote``. The content is the note's current ``NoteVersion``;
each version is a FHIR version of the resource (``_history/{versionNumber}``); the authenticator is
the last signer of the shown version. US Core DocumentReference (category ``clinical-note``)."""

from __future__ import annotations

import base64
from typing import Any

from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.fhir import fetch
from chartkeep.fhir.model import ResourceType, Source
from chartkeep.fhir.params import table
from chartkeep.fhir.values import (
    drop_empty,
    iso,
    meta,
    patient_ref,
    pointer,
    pointer_id,
    security_labels,
    user_ref,
)

LOINC = "http://loinc.org"
_TYPES = {
    "progress": ("11506-3", "Progress note"),
    "consult": ("11488-4", "Consult note"),
    "discharge": ("18842-5", "Discharge summary"),
    "procedure": ("28570-0", "Procedure note"),
    "history_physical": ("34117-2", "History and physical note"),
}
_NOTE = ("34109-9", "Note")
CATEGORY = {"coding": [{"system": "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category",
                        "code": "clinical-note", "display": "Clinical Note"}]}
DOC_STATUS = {"draft": "preliminary", "under_review": "preliminary", "signed": "final", "amended": "amended"}
SOAP = (("subjective", "Subjective"), ("objective", "Objective"), ("assessment", "Assessment"), ("plan", "Plan"))


def text_of(version: dict[str, Any]) -> str:
    if isinstance(version.get("content"), str) and version["content"]:
        return str(version["content"])
    parts = [f"{title}: {version[key]}" for key, title in SOAP if isinstance(version.get(key), str) and version[key]]
    return "\n".join(parts)


def _authenticator(signatures: list[dict[str, Any]]) -> dict[str, str] | None:
    signed = [s for s in signatures if s.get("status") == "signed"]
    signed.sort(key=lambda s: iso(s.get("signedAt")) or "")
    return user_ref(signed[-1].get("signer")) if signed else None


def is_amendment(note: dict[str, Any], version: dict[str, Any], current: bool) -> bool:
    """A version saved on a signed note: it carries an amendment reason or is an addendum; the current
    version of an ``amended`` note always is one (every version after the first amendment is)."""
    if not isinstance(version.get("versionNumber"), (int, float)) or version["versionNumber"] < 2:
        return False
    reason = version.get("amendmentReason")
    return bool(version.get("isAddendum")) or bool(isinstance(reason, str) and reason.strip()) \
        or (current and note.get("status") == "amended")


def relates_to(note: dict[str, Any], version: dict[str, Any] | None, current: bool) -> list[dict[str, Any]]:
    """``relatesTo`` of an amendment: ``replaces`` (an addendum: ``appends``) the version before it."""
    if version is None or not is_amendment(note, version, current):
        return []
    earlier = int(version["versionNumber"]) - 1
    return [{"code": "appends" if version.get("isAddendum") else "replaces",
             "target": {"reference": f"DocumentReference/{note['objectId']}/_history/{earlier}"}}]


def render(note: dict[str, Any], version: dict[str, Any] | None, signatures: list[dict[str, Any]],
           current: bool = True) -> dict[str, Any]:
    code, display = _TYPES.get(str(note.get("noteType") or "").lower(), _NOTE)
    patient = pointer_id(note.get("patient"))
    encounter = pointer_id(note.get("encounter"))
    number = version.get("versionNumber") if version else note.get("currentVersionNumber")
    attachment: dict[str, Any] = {"contentType": "text/plain; charset=utf-8", "title": note.get("title")}
    if version is not None:
        attachment["data"] = base64.b64encode(text_of(version).encode()).decode()
        attachment["creation"] = iso(version.get("createdAt"))
    shown = {**note, "updatedAt": version.get("updatedAt")} if version is not None and not current else note
    return drop_empty({
        "resourceType": "DocumentReference",
        "id": note["objectId"],
        "meta": meta(shown, str(int(number)) if isinstance(number, (int, float)) else "0", security_labels(note)),
        "status": "current" if current else "superseded",
        "docStatus": DOC_STATUS.get(str(note.get("status")), "preliminary") if current else None,
        "type": {"coding": [{"system": LOINC, "code": code, "display": display}], "text": note.get("noteType")},
        "category": [CATEGORY],
        "subject": patient_ref("Patient", patient) if patient else None,
        "date": iso(note.get("createdAt")),
        "author": [user_ref(note.get("author")), user_ref(version.get("editor")) if version else None],
        "authenticator": _authenticator(signatures),
        "relatesTo": relates_to(note, version, current),
        "description": (version.get("changeSummary") or version.get("amendmentReason")) if version else None,
        "content": [{"attachment": {k: v for k, v in attachment.items() if v is not None}}],
        "context": {"encounter": [{"reference": f"Encounter/{encounter}"}]} if encounter else None,
    })


async def versions_and_signatures(
    core: Core, ctx: RequestContext, version_where: dict[str, Any]
) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """Versions matching ``version_where`` and the signatures on them: two queries in all."""
    versions, _ = await fetch.find(core, ctx, "NoteVersion", version_where, limit=fetch.SIDE_LOAD_LIMIT,
                                   order="-versionNumber")
    by_version: dict[str, list[dict[str, Any]]] = {v["objectId"]: [] for v in versions}
    if versions:
        where = {"noteVersion": {"$in": [pointer("NoteVersion", v["objectId"]) for v in versions]}}
        signatures, _ = await fetch.find(core, ctx, "Signature", where, limit=fetch.SIDE_LOAD_LIMIT)
        for s in signatures:
            found = pointer_id(s.get("noteVersion"))
            if found in by_version:
                by_version[found].append(s)
    return versions, by_version


async def current_versions(core: Core, ctx: RequestContext, notes: list[dict[str, Any]]) -> dict[str, Any]:
    wanted = [{"medicalNote": pointer("MedicalNote", n["objectId"]), "versionNumber": n["currentVersionNumber"]}
              for n in notes if isinstance(n.get("currentVersionNumber"), (int, float))]
    if not wanted:
        return {"versions": {}, "signatures": {}}
    versions, signatures = await versions_and_signatures(
        core, ctx, wanted[0] if len(wanted) == 1 else {"$or": wanted})
    return {"versions": {pointer_id(v.get("medicalNote")): v for v in versions}, "signatures": signatures}


def document(note: dict[str, Any], related: dict[str, Any]) -> dict[str, Any]:
    version = related.get("versions", {}).get(note["objectId"])
    signatures = related.get("signatures", {}).get(version["objectId"], []) if version else []
    return render(note, version, signatures)


DOCUMENT_REFERENCE = ResourceType(
    "DocumentReference",
    (
        Source(
            "MedicalNote", document, root="Patient", patient_field="patient", related=current_versions,
            includes={"patient": "patient", "subject": "patient", "author": "author", "encounter": "encounter"},
            params=table(
                (("patient", "subject"), "patient", "patient", "The patient"),
                ("date", "date", "createdAt", "When the note was created"),
                ("status", "token", "status", "current (every note; earlier versions are its _history)",
                 {"codes": {"current": ("draft", "under_review", "signed", "amended")}}),
                root="Patient",
            ),
            sorts={"date": "createdAt"},
        ),
    ),
    profile="http://hl7.org/fhir/us/core/StructureDefinition/us-core-documentreference",
)

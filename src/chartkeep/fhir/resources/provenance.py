"""Provenance: one per signed ``Signature`` — who attested which version of a note, when, in what
role, and the SHA-256 of the signed content (``contentHash``)."""

from __future__ import annotations

from typing import Any

from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.fhir import fetch
from chartkeep.fhir.model import ResourceType, Source
from chartkeep.fhir.params import NOTHING, Clause, split, table
from chartkeep.fhir.values import (
    drop_empty,
    iso,
    meta,
    parse_patient,
    parse_reference,
    pointer,
    pointer_id,
    user_ref,
)

SIGNATURE_TYPE = "urn:iso-astm:E1762-95:2013"
# the template's signature roles → ASTM E1762 signature types
_ROLES = {"author": ("1.2.840.10065.1.12.1.1", "Author's Signature"),
          "resident": ("1.2.840.10065.1.12.1.2", "Coauthor's Signature"),
          "attending": ("1.2.840.10065.1.12.1.5", "Verification Signature"),
          "supervisor": ("1.2.840.10065.1.12.1.5", "Verification Signature"),
          "specialist": ("1.2.840.10065.1.12.1.13", "Review Signature")}
ATTESTER = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                        "code": "attester", "display": "Attester"}]}
HASH_SYSTEM = "urn:chartkeep:sha256"


async def signed_versions(core: Core, ctx: RequestContext, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The version numbers of a page of signatures (one query)."""
    ids = sorted({oid for r in rows if (oid := pointer_id(r.get("noteVersion")))})
    if not ids:
        return {}
    found, _ = await fetch.find(core, ctx, "NoteVersion", {"objectId": {"$in": ids}}, limit=len(ids))
    return {"versions": {v["objectId"]: v.get("versionNumber") for v in found}}


def provenance(obj: dict[str, Any], related: dict[str, Any]) -> dict[str, Any]:
    note = pointer_id(obj.get("medicalNote"))
    number = related.get("versions", {}).get(pointer_id(obj.get("noteVersion")))
    target = f"DocumentReference/{note}" + (f"/_history/{int(number)}" if isinstance(number, (int, float)) else "")
    signer = user_ref(obj.get("signer"))
    code, display = _ROLES.get(str(obj.get("signatureRole")), _ROLES["author"])
    when = iso(obj.get("signedAt")) or iso(obj.get("updatedAt"))
    return drop_empty({
        "resourceType": "Provenance",
        "id": obj["objectId"],
        "meta": meta(obj),
        "target": [{"reference": target}],
        "recorded": when,
        "reason": [{"text": obj.get("meaning")}] if obj.get("meaning") else [],
        "agent": [{"type": ATTESTER, "who": signer}] if signer else [],
        "entity": [{"role": "source", "what": {"reference": target,
                                               "identifier": {"system": HASH_SYSTEM, "value": obj.get("contentHash")}
                                               if obj.get("contentHash") else None}}],
        "signature": [{"type": [{"system": SIGNATURE_TYPE, "code": code, "display": display}], "when": when,
                       "who": signer}] if signer and when else [],
    })


def _target(value: str, modifier: str | None) -> Clause:
    notes = [pointer("MedicalNote", parse_reference(v.split("/_history/")[0], "DocumentReference")) for v in split(value)]
    return {"medicalNote": notes[0] if len(notes) == 1 else {"$in": notes}}


def _patient(value: str, modifier: str | None) -> Clause:
    patients = [pointer(root, oid) for root, oid in (parse_patient(parse_reference(v, "Patient")) for v in split(value))
                if root == "Patient"]
    if not patients:
        return NOTHING
    # the notes of the patient, as a subquery under the caller's guard on MedicalNote
    where = {"patient": patients[0] if len(patients) == 1 else {"$in": patients}}
    return {"medicalNote": {"$inQuery": {"className": "MedicalNote", "where": where}}}


PROVENANCE = ResourceType(
    "Provenance",
    (
        Source(
            "Signature", provenance, where={"status": "signed"}, root="Patient", related=signed_versions,
            params=table(
                ("target", "reference", _target, "The note signed (DocumentReference/{id})"),
                ("patient", "reference", _patient, "The patient whose note was signed"),
                ("when", "date", "signedAt", "When it was signed"),
            ),
            sorts={"when": "signedAt"},
            includes={"agent": "signer"},
        ),
    ),
)

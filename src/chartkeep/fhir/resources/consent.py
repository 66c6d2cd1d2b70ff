"""Consent: a ``RecordGrant`` — the author's (or an admin's) disclosure of one segmented record
(psychotherapy, 42 CFR Part 2) to one user, for a reason, until it expires or is revoked (deleted).

Read through the ``RecordGrant`` class, so its readers are the grant's own (the grantee, who
granted it, the record's author, admins, auditors); nobody else finds it. The record itself — its
patient and its security labels — is side-loaded as the caller (one query per record class for a
page): a reader who may not read the record sees the grant without its patient or labels.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.errors import Code, ParseError
from chartkeep.fhir import fetch
from chartkeep.fhir.model import ResourceType, Source
from chartkeep.fhir.outcome import invalid, not_supported
from chartkeep.fhir.params import NOTHING, Clause, split, table
from chartkeep.fhir.values import (
    ACT_CODE,
    drop_empty,
    iso,
    meta,
    parse_patient,
    parse_reference,
    patient_ref,
    pointer,
    pointer_id,
    security_labels,
    user_ref,
)

GRANTS = "RecordGrant"
# the FHIR type each grantable class is served as
RECORD_TYPES = {"MedicalNote": "DocumentReference", "IntakeAssessment": "Observation",
                "CrisisInterventionLog": "Flag", "Attachment": "Binary"}
SCOPE = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy",
                     "display": "Privacy Consent"}]}
CATEGORY = {"coding": [{"system": ACT_CODE, "code": "INFA", "display": "information access"}]}
RECIPIENT = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP",
                         "display": "information recipient"}]}
ACCESS = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentaction", "code": "access",
                      "display": "Access"}]}


def _now_iso() -> str:
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _status(value: str, modifier: str | None) -> Clause:
    if modifier is not None:
        raise not_supported(f"The modifier :{modifier} is not supported on status")
    now = {"__type": "Date", "iso": _now_iso()}
    alternatives: list[Clause] = []
    for code in split(value):
        if code == "active":
            alternatives.append({"$or": [{"expiresAt": {"$exists": False}}, {"expiresAt": {"$gt": now}}]})
        elif code == "inactive":
            alternatives.append({"expiresAt": {"$lte": now}})
        else:
            raise invalid(f"Unknown status code {code!r}: one of active, inactive")
    return alternatives[0] if len(alternatives) == 1 else {"$or": alternatives}


def _data(value: str, modifier: str | None) -> Clause:
    if modifier is not None:
        raise not_supported(f"The modifier :{modifier} is not supported on data")
    by_type = {fhir: cls for cls, fhir in RECORD_TYPES.items()}
    alternatives: list[Clause] = []
    for ref in split(value):
        type_name, _, object_id = ref.partition("/")
        if type_name in by_type and object_id and "/" not in object_id:
            alternatives.append({"recordClass": by_type[type_name], "recordId": object_id})
    if not alternatives:
        return NOTHING
    return alternatives[0] if len(alternatives) == 1 else {"$or": alternatives}


# the grantable classes of each chart root
_BY_ROOT = {"Patient": ("MedicalNote", "Attachment"), "PatientProfile": ("IntakeAssessment", "CrisisInterventionLog")}


def _patient(value: str, modifier: str | None) -> Clause:
    """The grants of the patient's records: the record ids as a ``$select`` subquery on each record
    class, under the caller's guard (a record it may not read selects no grant)."""
    if modifier not in (None, "Patient"):
        raise not_supported(f"The modifier :{modifier} is not supported on patient")
    alternatives: list[Clause] = []
    for ref in split(value):
        root, object_id = parse_patient(parse_reference(ref, "Patient"))
        for class_name in _BY_ROOT.get(root, ()):
            alternatives.append({"recordClass": class_name, "recordId": {"$select": {"query": {
                "className": class_name, "where": {"patient": pointer(root, object_id)}}, "key": "objectId"}}})
    if not alternatives:
        return NOTHING
    return alternatives[0] if len(alternatives) == 1 else {"$or": alternatives}


async def records(core: Core, ctx: RequestContext, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """(recordClass, recordId) → the record as the caller reads it (one query per class)."""
    wanted: dict[str, set[str]] = {}
    for r in rows:
        if r.get("recordClass") in RECORD_TYPES and isinstance(r.get("recordId"), str):
            wanted.setdefault(r["recordClass"], set()).add(r["recordId"])
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for class_name, object_ids in wanted.items():
        try:
            found, _ = await fetch.find(core, ctx, class_name, {"objectId": {"$in": sorted(object_ids)}},
                                        limit=len(object_ids))
        except ParseError as exc:
            if exc.code != Code.OPERATION_FORBIDDEN:
                raise
            continue  # the class is closed to the caller's role (an auditor and the notes): grants only
        out.update({(class_name, r["objectId"]): r for r in found})
    return {"records": out}


def consent(obj: dict[str, Any], related: dict[str, Any]) -> dict[str, Any]:
    record_class, record_id = str(obj.get("recordClass") or ""), str(obj.get("recordId") or "")
    record = related.get("records", {}).get((record_class, record_id))
    patient = record.get("patient") if record else None
    root = patient.get("className") if isinstance(patient, dict) else None
    expires = iso(obj.get("expiresAt"))
    active = expires is None or expires > _now_iso()
    target = RECORD_TYPES.get(record_class)
    return drop_empty({
        "resourceType": "Consent",
        "id": obj["objectId"],
        "meta": meta(obj),
        "status": "active" if active else "inactive",
        "scope": SCOPE,
        "category": [CATEGORY],
        "patient": patient_ref(str(root), str(pointer_id(patient))) if root and pointer_id(patient) else None,
        "dateTime": iso(obj.get("createdAt")),
        "performer": [user_ref(obj.get("grantedBy"))],
        "policyRule": {"text": obj.get("reason") or "Record grant"},
        "provision": {
            "type": "permit",
            "period": {"start": iso(obj.get("createdAt")), "end": expires},
            "actor": [{"role": RECIPIENT, "reference": user_ref(obj.get("grantee"))}],
            "action": [ACCESS],
            "securityLabel": security_labels(record) if record else [],
            "data": [{"meaning": "instance", "reference": {"reference": f"{target}/{record_id}"}}] if target else [],
        },
    })


CONSENT = ResourceType(
    "Consent",
    (
        Source(
            GRANTS, consent, related=records,
            params=table(
                ("patient", "reference", _patient, "The patient whose record is disclosed (records the caller may read)"),
                ("actor", "user", ("grantee",), "Who the record is disclosed to (Practitioner/{id})"),
                ("data", "reference", _data, "The record disclosed (DocumentReference/{id}, Observation/{id}, "
                                             "Flag/{id}, Binary/{id})"),
                ("status", "token", _status, "active (not expired) or inactive (expired)"),
            ),
            sorts={"date": "createdAt"},
        ),
    ),
)

"""AuditEvent: one per audit-ledger entry, read through the ledger's ``AuditEvent`` class — so only
auditors and admins read it (its class-level permissions; anyone else 403), and every FHIR read of
it leaves the ledger's own ``audit_read`` entry, as through the Parse API.

The ledger's views name a chart's patient by class (``AuditEvent.patient`` an EHR ``Patient``,
``AuditLog.patient`` a behavioral-health ``PatientProfile``); a page's behavioral-health patients
are side-loaded from the ``AuditLog`` view in one query, and ``patient=Patient/bh-…`` selects the
entries through it (a ``$select`` subquery under the same guard).
"""

from __future__ import annotations

from typing import Any

from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.fhir import fetch
from chartkeep.fhir.model import ResourceType, Source
from chartkeep.fhir.outcome import not_supported
from chartkeep.fhir.params import NOTHING, Clause, split, table
from chartkeep.fhir.values import (
    drop_empty,
    iso,
    meta,
    parse_patient,
    parse_reference,
    patient_ref,
    pointer,
    pointer_id,
)

TYPE_SYSTEM = "urn:chartkeep:audit-event-type"
USER_SYSTEM = "urn:chartkeep:user"
ACTIONS = {"create": "C", "read": "R", "audit_read": "R", "file_download": "R", "update": "U", "amend": "U",
           "sign": "U", "decline": "U", "permission_change": "U", "delete": "D"}
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
SOURCE_TYPE = {"system": "http://terminology.hl7.org/CodeSystem/security-source-type", "code": "4",
               "display": "Application Server"}


def _patient(value: str, modifier: str | None) -> Clause:
    if modifier not in (None, "Patient"):
        raise not_supported(f"The modifier :{modifier} is not supported on patient")
    alternatives: list[Clause] = []
    for ref in split(value):
        root, object_id = parse_patient(parse_reference(ref, "Patient"))
        if root == "Patient":
            alternatives.append({"patient": pointer("Patient", object_id)})
        else:  # the AuditLog view names behavioral-health patients: the same rows, selected by objectId
            alternatives.append({"objectId": {"$select": {"query": {"className": "AuditLog", "where": {
                "patient": pointer("PatientProfile", object_id)}}, "key": "objectId"}}})
    if not alternatives:
        return NOTHING
    return alternatives[0] if len(alternatives) == 1 else {"$or": alternatives}


async def profiles(core: Core, ctx: RequestContext, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """entry objectId → the behavioral-health patient it names (one query for the page)."""
    wanted = [r["objectId"] for r in rows if not r.get("patient")]
    if not wanted:
        return {}
    found, _ = await fetch.find(core, ctx, "AuditLog", {"objectId": {"$in": wanted}, "patient": {"$exists": True}},
                                limit=len(wanted))
    return {r["objectId"]: pointer_id(r.get("patient")) for r in found}


def audit_event(obj: dict[str, Any], related: dict[str, Any]) -> dict[str, Any]:
    event = str(obj.get("eventType") or "unknown")
    actor = pointer_id(obj.get("actor"))
    ehr = pointer_id(obj.get("patient"))
    profile = related.get(obj["objectId"])
    patient = patient_ref("Patient", ehr) if ehr else patient_ref("PatientProfile", profile) if profile else None
    found = obj.get("metadata")
    metadata: dict[str, Any] = found if isinstance(found, dict) else {}
    who: dict[str, Any] = (
        {"identifier": {"system": USER_SYSTEM, "value": actor}} if actor
        else {"display": "master key" if metadata.get("masterKey") else "unauthenticated"})
    entities: list[dict[str, Any]] = []
    if patient:
        entities.append({"what": patient, "type": {"system": ENTITY_TYPE, "code": "1", "display": "Person"},
                         "role": {"system": OBJECT_ROLE, "code": "1", "display": "Patient"}})
    target_class, target_id = obj.get("targetClass"), obj.get("targetId")
    if target_class or target_id:
        entities.append({"what": {"display": " ".join(str(x) for x in (target_class, target_id) if x)},
                         "type": {"system": ENTITY_TYPE, "code": "2", "display": "System Object"},
                         "name": target_class})
    return drop_empty({
        "resourceType": "AuditEvent",
        "id": obj["objectId"],
        "meta": meta(obj),
        "type": {"system": TYPE_SYSTEM, "code": event},
        "action": ACTIONS.get(event, "E"),
        "recorded": iso(obj.get("timestamp")) or iso(obj.get("createdAt")),
        "outcome": "0" if obj.get("outcome") == "success" else "4",
        "outcomeDesc": obj.get("details"),
        "agent": [{"who": who, "requestor": True,
                   "network": {"address": obj["ipAddress"], "type": "2"} if obj.get("ipAddress") else None}],
        "source": {"observer": {"display": "Chartkeep"}, "type": [SOURCE_TYPE]},
        "entity": entities,
    })


AUDIT_EVENT = ResourceType(
    "AuditEvent",
    (
        Source(
            "AuditEvent", audit_event, related=profiles,
            params=table(
                ("patient", "reference", _patient, "The chart the entry names (Patient/{id} or Patient/bh-{id})"),
                ("date", "date", "timestamp", "When the entry was recorded"),
                ("type", "token", "eventType", "The ledger's event type (read, create, update, login, …)",
                 {"system": TYPE_SYSTEM}),
                ("agent", "user", ("actor",), "Who acted (Practitioner/{id} or the user's id)"),
                ("outcome", "token", "outcome", "0 (success) or 4 (failure)",
                 {"codes": {"0": ("success",), "4": ("failure",)}}),
            ),
            sorts={"date": "timestamp"},
        ),
    ),
)

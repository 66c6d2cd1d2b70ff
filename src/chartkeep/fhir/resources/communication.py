"""Communication: a ``Message`` about a behavioral-health patient. Its receipt (sent, delivered,
read) is the status reason; a message from or to the patient's own account names the Patient."""

from __future__ import annotations

from typing import Any

from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.fhir import fetch
from chartkeep.fhir.model import ResourceType, Source
from chartkeep.fhir.params import table
from chartkeep.fhir.values import PROFILE_PREFIX, drop_empty, iso, meta, pointer_id

RECEIPT_SYSTEM = "urn:chartkeep:message-receipt"


def _party(user: Any, profile: Any) -> dict[str, str] | None:
    found = pointer_id(user)
    if found is None:
        return None
    owner = pointer_id(profile.get("user")) if isinstance(profile, dict) else None
    if owner is not None and owner == found:
        return {"reference": f"Patient/{PROFILE_PREFIX}{profile['objectId']}"}
    return {"reference": f"Practitioner/{found}"}


async def profiles(core: Core, ctx: RequestContext, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The profiles of a page of messages (one query), to tell the patient's own account apart."""
    ids = sorted({oid for r in rows if (oid := pointer_id(r.get("patient")))})
    if not ids:
        return {}
    shown, _ = await fetch.find(core, ctx, "PatientProfile", {"objectId": {"$in": ids}}, limit=len(ids))
    return {"profiles": {p["objectId"]: p for p in shown}}


def communication(obj: dict[str, Any], related: dict[str, Any]) -> dict[str, Any]:
    patient = pointer_id(obj.get("patient"))
    profile = related.get("profiles", {}).get(patient) if patient else None
    receipt = str(obj.get("status") or ("read" if obj.get("isRead") else "sent"))
    return drop_empty({
        "resourceType": "Communication",
        "id": obj["objectId"],
        "meta": meta(obj),
        "identifier": [{"system": "urn:chartkeep:conversation", "value": obj.get("conversationId")}]
        if obj.get("conversationId") else [],
        "status": "completed",
        "statusReason": {"coding": [{"system": RECEIPT_SYSTEM, "code": receipt}], "text": receipt},
        "subject": {"reference": f"Patient/{PROFILE_PREFIX}{patient}"} if patient else None,
        "sent": iso(obj.get("sentAt")) or iso(obj.get("createdAt")),
        "received": iso(obj.get("deliveredAt")) or iso(obj.get("readAt")),
        "sender": _party(obj.get("from"), profile),
        "recipient": [_party(obj.get("to"), profile)],
        "payload": [{"contentString": obj.get("body")}] if obj.get("body") else [],
    })


COMMUNICATION = ResourceType(
    "Communication",
    (
        Source(
            "Message", communication, root="PatientProfile", patient_field="patient", related=profiles,
            includes={"patient": "patient", "subject": "patient"},
            params=table(
                (("patient", "subject"), "patient", "patient", "The patient (Patient/bh-…)"),
                ("sent", "date", "sentAt", "When it was sent"),
                ("sender", "user", ("from",), "Who sent it (Practitioner/…)"),
                ("recipient", "user", ("to",), "Who it was sent to (Practitioner/…)"),
                ("status", "token", "status", "completed (every message)",
                 {"codes": {"completed": ("sent", "delivered", "read")}}),
                root="PatientProfile",
            ),
            sorts={"sent": "sentAt"},
        ),
    ),
    writable=True,
)

"""Flag: a ``CrisisInterventionLog`` — active while the crisis is open or in progress."""

from __future__ import annotations

from typing import Any

from chartkeep.fhir.model import ResourceType, Source
from chartkeep.fhir.params import table
from chartkeep.fhir.values import drop_empty, iso, meta, patient_ref, pointer_id, security_labels, user_ref

STATUS_VALUES: dict[str, tuple[str, ...]] = {"active": ("open", "in_progress"), "inactive": ("resolved", "closed")}
CATEGORY = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/flag-category", "code": "clinical",
                        "display": "Clinical"}]}


def flag(obj: dict[str, Any], related: dict[str, Any]) -> dict[str, Any]:
    status = str(obj.get("status") or "open")
    patient = pointer_id(obj.get("patient"))
    priority = obj.get("priority")
    text = "Crisis intervention" + (f" ({priority} priority)" if priority else "")
    return drop_empty({
        "resourceType": "Flag",
        "id": obj["objectId"],
        "meta": meta(obj, security=security_labels(obj)),
        "status": "active" if status in STATUS_VALUES["active"] else "inactive",
        "category": [CATEGORY],
        "code": {"text": text},
        "subject": patient_ref("PatientProfile", patient) if patient else None,
        "period": {"start": iso(obj.get("interventionDate")) or iso(obj.get("createdAt"))},
        "author": user_ref(obj.get("recordedBy")),
    })


FLAG = ResourceType(
    "Flag",
    (
        Source(
            "CrisisInterventionLog", flag, root="PatientProfile", patient_field="patient",
            includes={"patient": "patient", "subject": "patient", "author": "recordedBy"},
            params=table(
                (("patient", "subject"), "patient", "patient", "The patient (Patient/bh-…)"),
                ("date", "date", "interventionDate", "When the crisis was recorded"),
                ("status", "token", "status", "active (open, in_progress) or inactive", {"codes": STATUS_VALUES}),
                root="PatientProfile",
            ),
            sorts={"date": "interventionDate"},
        ),
    ),
)

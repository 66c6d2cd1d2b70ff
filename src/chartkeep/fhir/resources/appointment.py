"""Appointment: a behavioral-health ``Appointment`` (patient and provider as participants)."""

from __future__ import annotations

from typing import Any

from chartkeep.fhir.model import ResourceType, Source
from chartkeep.fhir.params import table
from chartkeep.fhir.values import drop_empty, iso, meta, patient_ref, pointer_id, user_ref

# FHIR status ← the template's statuses
STATUS_VALUES: dict[str, tuple[str, ...]] = {
    "booked": ("scheduled", "confirmed"), "fulfilled": ("completed",), "cancelled": ("cancelled",),
    "noshow": ("no-show",),
}
STATUS = {"scheduled": "booked", "confirmed": "booked", "completed": "fulfilled", "cancelled": "cancelled",
          "no-show": "noshow"}


def appointment(obj: dict[str, Any], related: dict[str, Any]) -> dict[str, Any]:
    status = str(obj.get("status") or "scheduled")
    patient = pointer_id(obj.get("patient"))
    provider = user_ref(obj.get("provider"))
    patient_status = "accepted" if status in ("confirmed", "completed") else (
        "declined" if status == "cancelled" else "needs-action")
    participants: list[dict[str, Any]] = []
    if patient:
        participants.append({"actor": patient_ref("PatientProfile", patient), "required": "required",
                             "status": patient_status})
    if provider:
        participants.append({"actor": provider, "required": "required", "status": "accepted"})
    return drop_empty({
        "resourceType": "Appointment",
        "id": obj["objectId"],
        "meta": meta(obj),
        "status": STATUS.get(status, "proposed"),
        "description": obj.get("reason"),
        "start": iso(obj.get("startAt")),
        "end": iso(obj.get("endAt")),
        "comment": f"Location: {obj['location']}" if obj.get("location") else None,
        "participant": participants,
    })


APPOINTMENT = ResourceType(
    "Appointment",
    (
        Source(
            "Appointment", appointment, root="PatientProfile", patient_field="patient",
            includes={"patient": "patient", "practitioner": "provider"},
            params=table(
                ("patient", "patient", "patient", "The patient (Patient/bh-…)"),
                ("practitioner", "user", ("provider",), "The provider"),
                ("date", "date", "startAt", "When the appointment starts"),
                ("status", "token", "status", "FHIR appointment status", {"codes": STATUS_VALUES}),
                root="PatientProfile",
            ),
            sorts={"date": "startAt"},
        ),
    ),
    writable=True,
)

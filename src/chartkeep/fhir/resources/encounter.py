"""Encounter: an EHR ``Encounter``; status and class mapped from the template's free text."""

from __future__ import annotations

from typing import Any

from chartkeep.fhir.model import ResourceType, Source
from chartkeep.fhir.params import table
from chartkeep.fhir.values import drop_empty, iso, meta, patient_ref, pointer_id, user_ref

ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
# FHIR status ← the values clients of the template store
STATUS_VALUES: dict[str, tuple[str, ...]] = {
    "planned": ("planned", "scheduled"),
    "arrived": ("arrived",),
    "in-progress": ("open", "in-progress", "in_progress", "active"),
    "finished": ("closed", "finished", "completed", "discharged"),
    "cancelled": ("cancelled",),
    "entered-in-error": ("entered-in-error",),
}
_STATUS = {stored: code for code, values in STATUS_VALUES.items() for stored in values}
_CLASS = {"inpatient": ("IMP", "inpatient encounter"), "emergency": ("EMER", "emergency"),
          "outpatient": ("AMB", "ambulatory"), "ambulatory": ("AMB", "ambulatory"),
          "virtual": ("VR", "virtual"), "telehealth": ("VR", "virtual"), "home": ("HH", "home health")}


def encounter(obj: dict[str, Any], related: dict[str, Any]) -> dict[str, Any]:
    kind = str(obj.get("type") or "").lower()
    code, display = _CLASS.get(kind, ("AMB", "ambulatory"))
    patient = pointer_id(obj.get("patient"))
    clinician = user_ref(obj.get("admittingClinician"))
    return drop_empty({
        "resourceType": "Encounter",
        "id": obj["objectId"],
        "meta": meta(obj),
        "identifier": [{"system": "urn:chartkeep:encounter", "value": obj.get("encounterNumber")}]
        if obj.get("encounterNumber") else [],
        "status": _STATUS.get(str(obj.get("status") or "").lower(), "unknown"),
        "class": {"system": ACT, "code": code, "display": display},
        "type": [{"text": obj.get("type")}] if obj.get("type") else [],
        "subject": patient_ref("Patient", patient) if patient else None,
        "participant": [{"individual": clinician}] if clinician else [],
        "period": {"start": iso(obj.get("startedAt")), "end": iso(obj.get("endedAt"))},
        "serviceType": {"text": obj.get("department")} if obj.get("department") else None,
        "location": [{"location": {"display": obj.get("location")}}] if obj.get("location") else [],
    })


ENCOUNTER = ResourceType(
    "Encounter",
    (
        Source(
            "Encounter", encounter, root="Patient", patient_field="patient",
            includes={"patient": "patient", "subject": "patient", "participant": "admittingClinician"},
            params=table(
                (("patient", "subject"), "patient", "patient", "The patient"),
                ("date", "date", "startedAt", "When the encounter started"),
                ("status", "token", "status", "FHIR encounter status", {"codes": STATUS_VALUES}),
                ("identifier", "token", "encounterNumber", "The encounter number",
                 {"system": "urn:chartkeep:encounter"}),
                root="Patient",
            ),
            sorts={"date": "startedAt"},
        ),
    ),
    profile="http://hl7.org/fhir/us/core/StructureDefinition/us-core-encounter",
    writable=True,
)

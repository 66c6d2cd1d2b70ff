"""The FHIR resource types Chartkeep serves, by name (the CapabilityStatement is made from this)."""

from __future__ import annotations

from typing import Any

from chartkeep.fhir.model import ResourceType, Source
from chartkeep.fhir.resources.appointment import APPOINTMENT
from chartkeep.fhir.resources.assessment import OBSERVATION, QUESTIONNAIRE_RESPONSE
from chartkeep.fhir.resources.audit_event import AUDIT_EVENT
from chartkeep.fhir.resources.binary import BINARY
from chartkeep.fhir.resources.communication import COMMUNICATION
from chartkeep.fhir.resources.consent import CONSENT
from chartkeep.fhir.resources.document import DOCUMENT_REFERENCE
from chartkeep.fhir.resources.encounter import ENCOUNTER
from chartkeep.fhir.resources.flag import FLAG
from chartkeep.fhir.resources.group import GROUP
from chartkeep.fhir.resources.patient import PATIENT
from chartkeep.fhir.resources.practitioner import PRACTITIONER, STAFF_ROLES
from chartkeep.fhir.resources.practitioner_role import PRACTITIONER_ROLE
from chartkeep.fhir.resources.provenance import PROVENANCE

RESOURCES: dict[str, ResourceType] = {r.name: r for r in (
    PATIENT, PRACTITIONER, ENCOUNTER, DOCUMENT_REFERENCE, OBSERVATION, QUESTIONNAIRE_RESPONSE, APPOINTMENT,
    COMMUNICATION, FLAG, PROVENANCE, GROUP, PRACTITIONER_ROLE, AUDIT_EVENT, BINARY, CONSENT,
)}
# What Patient/{id}/$everything returns besides the patient, per chart root
EVERYTHING: dict[str, tuple[str, ...]] = {
    "Patient": ("Encounter", "DocumentReference", "Provenance"),
    "PatientProfile": ("QuestionnaireResponse", "Observation", "Flag", "Appointment", "Communication"),
}

_TARGETS: dict[str, Source] = {s.class_name: s for r in (PATIENT, PRACTITIONER, ENCOUNTER) for s in r.sources}


def include_target(obj: dict[str, Any]) -> Source | None:
    """The source that renders an object ``_include`` expanded (a user only when staff)."""
    class_name = obj.get("className")
    if class_name == "_User" and obj.get("role") not in STAFF_ROLES:
        return None
    return _TARGETS.get(str(class_name))

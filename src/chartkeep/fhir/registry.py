"""The FHIR resource types Chartkeep serves, by name (the CapabilityStatement is made from this)."""

from __future__ import annotations

from chartkeep.fhir.model import ResourceType
from chartkeep.fhir.resources.appointment import APPOINTMENT
from chartkeep.fhir.resources.assessment import OBSERVATION, QUESTIONNAIRE_RESPONSE
from chartkeep.fhir.resources.communication import COMMUNICATION
from chartkeep.fhir.resources.document import DOCUMENT_REFERENCE
from chartkeep.fhir.resources.encounter import ENCOUNTER
from chartkeep.fhir.resources.flag import FLAG
from chartkeep.fhir.resources.patient import PATIENT
from chartkeep.fhir.resources.practitioner import PRACTITIONER

RESOURCES: dict[str, ResourceType] = {r.name: r for r in (
    PATIENT, PRACTITIONER, ENCOUNTER, DOCUMENT_REFERENCE, OBSERVATION, QUESTIONNAIRE_RESPONSE, APPOINTMENT,
    COMMUNICATION, FLAG,
)}
# What Patient/{id}/$everything returns besides the patient, per chart root
EVERYTHING: dict[str, tuple[str, ...]] = {
    "Patient": ("Encounter", "DocumentReference"),
    "PatientProfile": ("QuestionnaireResponse", "Observation", "Flag", "Appointment", "Communication"),
}

"""Patient: an EHR ``Patient`` (id = objectId) or a behavioral-health ``PatientProfile`` (id =
``bh-`` + objectId). The MRN is the identifier; US Core Patient."""

from __future__ import annotations

from typing import Any

from chartkeep.fhir.model import ResourceType, Source
from chartkeep.fhir.outcome import invalid
from chartkeep.fhir.params import Clause, table
from chartkeep.fhir.values import PROFILE_PREFIX, date_only, drop_empty, meta, user_ref

MRN_SYSTEM = "urn:chartkeep:mrn:ehr"
PROFILE_MRN_SYSTEM = "urn:chartkeep:mrn:behavioral-health"
MR_TYPE = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR",
                       "display": "Medical record number"}]}
BIRTHSEX = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"
_SEX = {"male": ("male", "M"), "m": ("male", "M"), "female": ("female", "F"), "f": ("female", "F")}


def _name(text: Any) -> list[dict[str, Any]]:
    if not isinstance(text, str) or not text.strip():
        return []
    words = text.split()
    name: dict[str, Any] = {"use": "official", "text": text, "family": words[-1]}
    if len(words) > 1:
        name["given"] = words[:-1]
    return [name]


def _identifier(system: str, value: Any) -> list[dict[str, Any]]:
    return [{"use": "usual", "type": MR_TYPE, "system": system, "value": value}] if value else []


def ehr_patient(obj: dict[str, Any], related: dict[str, Any]) -> dict[str, Any]:
    sex = obj.get("sexAtBirth")
    gender, birthsex = _SEX.get(sex.lower(), ("unknown", "UNK")) if isinstance(sex, str) else ("unknown", "UNK")
    status = obj.get("status")
    return drop_empty({
        "resourceType": "Patient",
        "id": obj["objectId"],
        "meta": meta(obj),
        "extension": [{"url": BIRTHSEX, "valueCode": birthsex}] if sex else [],
        "identifier": _identifier(MRN_SYSTEM, obj.get("mrn")),
        "active": None if status is None else status == "active",
        "name": _name(obj.get("fullName")),
        "gender": gender,
        "birthDate": date_only(obj.get("dateOfBirth")),
        "generalPractitioner": [user_ref(obj.get("primaryClinician"))],
    })


def profile_patient(obj: dict[str, Any], related: dict[str, Any]) -> dict[str, Any]:
    active = obj.get("isActive")
    clinic = obj.get("primaryClinic")
    return drop_empty({
        "resourceType": "Patient",
        "id": PROFILE_PREFIX + obj["objectId"],
        "meta": meta(obj),
        "identifier": _identifier(PROFILE_MRN_SYSTEM, obj.get("medicalRecordNumber")),
        "active": active if isinstance(active, bool) else None,
        "name": _name(obj.get("displayName")),
        "gender": "unknown",
        "birthDate": date_only(obj.get("dateOfBirth")),
        "managingOrganization": {"display": clinic} if clinic else None,
    })


def _active(value: str, modifier: str | None) -> Clause:
    """``active=true``: status ``active``; ``false``: any other status (as ``active`` is shown)."""
    if modifier is not None or value not in ("true", "false"):
        raise invalid("active takes true or false")
    return {"status": "active"} if value == "true" else {"status": {"$ne": "active"}}


PATIENT = ResourceType(
    "Patient",
    (
        Source(
            "Patient", ehr_patient, root="Patient", patient_field="objectId",
            includes={"general-practitioner": "primaryClinician"},
            params=table(
                ("identifier", "token", "mrn", "The MRN (system urn:chartkeep:mrn:ehr)", {"system": MRN_SYSTEM}),
                ("name", "string", ("fullName",), "A word of the name starts with the value"),
                ("birthdate", "date", "dateOfBirth", "Date of birth"),
                ("active", "token", _active, "true: status 'active'; false: any other status"),
            ),
            sorts={"name": "fullName", "birthdate": "dateOfBirth"},
        ),
        Source(
            "PatientProfile", profile_patient, prefix=PROFILE_PREFIX, root="PatientProfile", patient_field="objectId",
            params=table(
                ("identifier", "token", "medicalRecordNumber", "The MRN (system urn:chartkeep:mrn:behavioral-health)",
                 {"system": PROFILE_MRN_SYSTEM}),
                ("name", "string", ("displayName",), "A word of the name starts with the value"),
                ("birthdate", "date", "dateOfBirth", "Date of birth"),
                ("active", "token", "isActive", "isActive", {"codes": {"true": (True,), "false": (False,)}}),
            ),
            sorts={"name": "displayName", "birthdate": "dateOfBirth"},
        ),
    ),
    profile="http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient",
    writable=True,
)

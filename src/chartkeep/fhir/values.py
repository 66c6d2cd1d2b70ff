"""Parse JSON values ↔ FHIR primitives: instants, dates, references to chart roots and users."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chartkeep.fhir.outcome import invalid

# A FHIR Patient is an EHR ``Patient`` (its objectId as id) or a behavioral-health
# ``PatientProfile`` (``bh-`` + its objectId): two charts, two care teams, never merged.
PROFILE_PREFIX = "bh-"


def iso(value: Any) -> str | None:
    """A Parse Date (or its ISO text) as a FHIR instant/dateTime (``…Z``), or None."""
    if isinstance(value, dict) and value.get("__type") == "Date":
        value = value.get("iso")
    return value if isinstance(value, str) and value else None


def date_only(value: Any) -> str | None:
    text = iso(value)
    return text[:10] if text else None


def pointer_id(value: Any) -> str | None:
    if isinstance(value, dict) and value.get("__type") in ("Pointer", "Object") and value.get("objectId"):
        return str(value["objectId"])
    return None


def patient_ref(root: str, object_id: str) -> dict[str, str]:
    prefix = PROFILE_PREFIX if root == "PatientProfile" else ""
    return {"reference": f"Patient/{prefix}{object_id}"}


def patient_id(root: str, object_id: str) -> str:
    return (PROFILE_PREFIX if root == "PatientProfile" else "") + object_id


def user_ref(value: Any) -> dict[str, str] | None:
    found = pointer_id(value)
    return {"reference": f"Practitioner/{found}"} if found else None


def parse_patient(fhir_id: str) -> tuple[str, str]:
    """``abc`` → (``Patient``, abc); ``bh-abc`` → (``PatientProfile``, abc)."""
    if fhir_id.startswith(PROFILE_PREFIX):
        return "PatientProfile", fhir_id[len(PROFILE_PREFIX):]
    return "Patient", fhir_id


def parse_reference(value: str, expected: str) -> str:
    """``Patient/abc``, ``abc`` or an absolute URL ending in ``Patient/abc`` → ``abc``."""
    parts = value.rstrip("/").split("/")
    if len(parts) >= 2:
        if parts[-2] != expected:
            raise invalid(f"A reference to {expected} was expected, got {value!r}")
        return parts[-1]
    if not parts[-1]:
        raise invalid(f"Empty reference: {value!r}")
    return parts[-1]


def pointer(class_name: str, object_id: str) -> dict[str, str]:
    return {"__type": "Pointer", "className": class_name, "objectId": object_id}


def parse_date(value: Any) -> dict[str, str]:
    return {"__type": "Date", "iso": value}


def meta(obj: dict[str, Any], version: str | None = None, security: list[dict[str, str]] | None = None
         ) -> dict[str, Any]:
    """``meta``: lastUpdated from ``updatedAt``; versionId as given, else the update time in ms (it
    changes with every write; only the current version of such a resource is kept)."""
    out: dict[str, Any] = {}
    updated = iso(obj.get("updatedAt")) or iso(obj.get("createdAt"))
    if updated:
        out["lastUpdated"] = updated
    out["versionId"] = version if version is not None else version_of(obj)
    if security:
        out["security"] = security
    return out


def version_of(obj: dict[str, Any]) -> str:
    updated = iso(obj.get("updatedAt")) or iso(obj.get("createdAt"))
    if not updated:
        return "1"
    return str(int(datetime.fromisoformat(updated.replace("Z", "+00:00")).timestamp() * 1000))


ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
_LABELS = {
    "psychotherapy": {"system": ACT_CODE, "code": "PSYTHPN", "display": "psychotherapy note information sensitivity"},
    "42CFR2": {"system": ACT_CODE, "code": "42CFRPart2", "display": "42 CFR Part2"},
}


def security_labels(obj: dict[str, Any]) -> list[dict[str, str]]:
    labels = obj.get("securityLabels")
    if not isinstance(labels, list):
        return []
    return [_LABELS[label] for label in labels if label in _LABELS]


def drop_empty(resource: dict[str, Any]) -> dict[str, Any]:
    """FHIR forbids empty values: drop None, empty strings, lists and objects (recursively)."""
    out: dict[str, Any] = {}
    for key, value in resource.items():
        if isinstance(value, dict):
            value = drop_empty(value)
        elif isinstance(value, list):
            value = [drop_empty(v) if isinstance(v, dict) else v for v in value]
            value = [v for v in value if v not in (None, "", {}, [])]
        if value in (None, "", {}, []):
            continue
        out[key] = value
    return out

"""Practitioner: a staff account (``_User`` with a clinical role). Its id is the user's objectId."""

from __future__ import annotations

from typing import Any

from chartkeep.fhir.model import ResourceType, Source
from chartkeep.fhir.params import table
from chartkeep.fhir.values import drop_empty, meta

STAFF_ROLES = ("physician", "nurse", "scribe", "provider")
LICENSE_SYSTEM = "urn:chartkeep:license"


def practitioner(obj: dict[str, Any], related: dict[str, Any]) -> dict[str, Any]:
    text = obj.get("displayName") or obj.get("username")
    words = str(text or "").split()
    name: dict[str, Any] = {"text": text, "family": words[-1] if words else None, "given": words[:-1]}
    license_ = obj.get("licenseNumber")
    return drop_empty({
        "resourceType": "Practitioner",
        "id": obj["objectId"],
        "meta": meta(obj),
        "identifier": [{"system": LICENSE_SYSTEM, "value": license_}] if license_ else [],
        "active": True,
        "name": [name] if text else [],
        "qualification": [{"code": {"text": obj.get("role")}}] if obj.get("role") else [],
    })


PRACTITIONER = ResourceType(
    "Practitioner",
    (
        Source(
            "_User", practitioner, where={"role": {"$in": list(STAFF_ROLES)}},
            params=table(
                ("name", "string", ("displayName", "username"), "A word of the name starts with the value"),
                ("identifier", "token", "licenseNumber", "The licence number", {"system": LICENSE_SYSTEM}),
            ),
            sorts={"name": "displayName"},
        ),
    ),
)

"""PractitionerRole: a clinician's ``ProviderProfile`` (the provider directory) with the role of its
staff account. Its id is the profile's objectId; ``practitioner`` the account (``Practitioner/{id}``)."""

from __future__ import annotations

from typing import Any

from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.fhir import fetch
from chartkeep.fhir.model import ResourceType, Source
from chartkeep.fhir.params import table
from chartkeep.fhir.values import drop_empty, meta, pointer_id

ROLE_SYSTEM = "urn:chartkeep:role"
# contact keys → ContactPoint system
_TELECOM = {"phone": "phone", "email": "email", "fax": "fax", "url": "url", "pager": "pager"}


def _telecom(contact: Any) -> list[dict[str, str]]:
    if not isinstance(contact, dict):
        return []
    return [{"system": system, "value": str(contact[key])} for key, system in _TELECOM.items()
            if isinstance(contact.get(key), (str, int)) and str(contact[key]).strip()]


async def roles(core: Core, ctx: RequestContext, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """user objectId → role, for the accounts of a page the caller may read (one query, under the
    guard; an account it may not read keeps its reference, without a code)."""
    wanted = sorted({oid for r in rows if (oid := pointer_id(r.get("user")))})
    if not wanted:
        return {}
    users, _ = await fetch.find(core, ctx, "_User", {"objectId": {"$in": wanted}}, limit=len(wanted))
    return {u["objectId"]: u.get("role") for u in users}


def practitioner_role(obj: dict[str, Any], related: dict[str, Any]) -> dict[str, Any]:
    user_id = pointer_id(obj.get("user"))
    role = related.get(user_id) if user_id else None
    specialty, clinic = obj.get("specialty"), obj.get("clinic")
    return drop_empty({
        "resourceType": "PractitionerRole",
        "id": obj["objectId"],
        "meta": meta(obj),
        "active": True,
        "practitioner": {"reference": f"Practitioner/{user_id}"} if user_id else None,
        "code": [{"coding": [{"system": ROLE_SYSTEM, "code": role}], "text": role}] if isinstance(role, str) else [],
        "specialty": [{"text": specialty}] if isinstance(specialty, str) and specialty else [],
        "organization": {"display": clinic} if isinstance(clinic, str) and clinic else None,
        "telecom": _telecom(obj.get("contact")),
    })


PRACTITIONER_ROLE = ResourceType(
    "PractitionerRole",
    (
        Source(
            "ProviderProfile", practitioner_role, related=roles, includes={"practitioner": "user"},
            params=table(
                ("practitioner", "user", ("user",), "The clinician (Practitioner/{id})"),
                ("specialty", "string", ("specialty",), "A word of the specialty starts with the value"),
            ),
        ),
    ),
)

"""Group: a practitioner's care-team panel — the patients whose care team the staff user is on
(explicit members, primary clinician, admitting clinician, appointments, assessments: every source
of ``care/team.py``). Its id is ``panel-`` + the user's objectId; ``managingEntity`` the practitioner.

A Group lists only the members the caller may read: the panel's charts are looked up by the
practitioner's care-team roles (one query for a page of groups), then read back as the caller
through the same guarded read as any search (one query per patient class), so a Group never names
a patient the caller could not find through ``GET /Patient``.
"""

from __future__ import annotations

from typing import Any

from chartkeep.access.principals import TEAM_PREFIX
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.errors import Code, ParseError
from chartkeep.fhir import fetch
from chartkeep.fhir.model import ResourceType, Source
from chartkeep.fhir.outcome import not_supported
from chartkeep.fhir.params import Clause, split, table
from chartkeep.fhir.resources.practitioner import STAFF_ROLES
from chartkeep.fhir.values import drop_empty, meta, parse_reference, patient_id
from chartkeep.storage.queries.roles import named_roles_of_users

PREFIX = "panel-"
ROOTS = ("Patient", "PatientProfile")


def _managing_entity(value: str, modifier: str | None) -> Clause:
    if modifier not in (None, "Practitioner"):
        raise not_supported(f"The modifier :{modifier} is not supported on managing-entity")
    ids = [parse_reference(ref, "Practitioner") for ref in split(value)]
    return {"objectId": ids[0]} if len(ids) == 1 else {"objectId": {"$in": ids}}


async def panels(core: Core, ctx: RequestContext, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """user objectId → the FHIR ids of the panel's patients the caller may read."""
    async with core.db.read() as conn:
        found = await named_roles_of_users(conn, [r["objectId"] for r in rows], TEAM_PREFIX)
    charts: dict[str, list[tuple[str, str]]] = {}
    wanted: dict[str, set[str]] = {root: set() for root in ROOTS}
    for user_id, role in found:
        root, _, object_id = role[len(TEAM_PREFIX):].partition("_")
        if root in wanted and object_id:
            charts.setdefault(user_id, []).append((root, object_id))
            wanted[root].add(object_id)
    readable: set[tuple[str, str]] = set()
    for root, object_ids in wanted.items():
        if object_ids:
            try:
                rows_, _ = await fetch.find(core, ctx, root, {"objectId": {"$in": sorted(object_ids)}},
                                            limit=fetch.SIDE_LOAD_LIMIT)
            except ParseError as exc:
                if exc.code != Code.OPERATION_FORBIDDEN:
                    raise
                continue  # the class is closed to the caller's role: none of its charts is listed
            readable |= {(root, r["objectId"]) for r in rows_}
    return {user_id: sorted(patient_id(root, oid) for root, oid in chart if (root, oid) in readable)
            for user_id, chart in charts.items()}


def group(obj: dict[str, Any], related: dict[str, Any]) -> dict[str, Any]:
    members = related.get(obj["objectId"], [])
    who = obj.get("displayName") or obj.get("username")
    return drop_empty({
        "resourceType": "Group",
        "id": PREFIX + obj["objectId"],
        "meta": meta(obj),
        "type": "person",
        "actual": True,
        "code": {"text": "Care-team panel"},
        "name": f"Care-team panel of {who}" if who else "Care-team panel",
        "managingEntity": {"reference": f"Practitioner/{obj['objectId']}"},
        "quantity": len(members),
        "member": [{"entity": {"reference": f"Patient/{m}"}} for m in members],
    })


def member_ids(resource: dict[str, Any]) -> list[str]:
    """The patient FHIR ids a Group resource lists."""
    return [m["entity"]["reference"].partition("/")[2] for m in resource.get("member", [])]


GROUP = ResourceType(
    "Group",
    (
        Source(
            "_User", group, prefix=PREFIX, where={"role": {"$in": list(STAFF_ROLES)}}, related=panels,
            params=table(("managing-entity", "reference", _managing_entity, "The practitioner (Practitioner/{id})")),
        ),
    ),
)

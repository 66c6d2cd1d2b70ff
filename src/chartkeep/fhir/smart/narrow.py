"""What a SMART token's scopes leave of the user's own access to FHIR — never more than it.

Both read scopes are read only: a write, ``$export`` or anything but a read, search, history or
``$everything`` is 403. ``patient/*.read`` (without ``user/*.read``) reaches only the launch
patient's compartment: a search gets the patient as an extra filter (a type with no patient
reference, such as Practitioner, is 403), a read of one resource is answered only when the same
filtered search finds it (else 404, as for a record the user may not read), ``$everything`` only
for the launch patient, and ``_include`` / ``_revinclude`` are 403 (they would reach outside it).
"""

from __future__ import annotations

from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.fhir import search
from chartkeep.fhir.model import ResourceType
from chartkeep.fhir.outcome import FhirError, not_found
from chartkeep.fhir.smart import scopes
from chartkeep.fhir.smart.tokens import Grant

Filter = tuple[str, str | None, str]


def grant_of(ctx: RequestContext) -> Grant | None:
    found = ctx.extra.get("smart")
    return found if isinstance(found, Grant) else None


def _forbidden(why: str) -> FhirError:
    return FhirError(403, "forbidden", f"The SMART token's scopes do not allow this: {why}")


def check_interaction(grant: Grant, method: str, path: list[str], query: list[tuple[str, str]]) -> None:
    if not scopes.reads_anything(list(grant.scopes)):
        raise _forbidden("no patient/*.read or user/*.read scope was granted")
    searching = method == "POST" and len(path) == 2 and path[1] == "_search"
    if method != "GET" and not searching:
        raise _forbidden("the granted scopes are read only")
    if any(p.startswith("$export") for p in path):
        raise _forbidden("bulk export needs a system scope, which is not served")
    if grant.patient_only and any(k.startswith(("_include", "_revinclude")) for k, _ in query):
        raise _forbidden("_include and _revinclude reach outside the launch patient's compartment")


def compartment(grant: Grant, rtype: ResourceType) -> list[Filter]:
    """The filters that keep a search inside the launch patient's compartment (none for user/*.read)."""
    if not grant.patient_only:
        return []
    if grant.patient is None:
        raise _forbidden("no launch patient was selected")
    if rtype.name == "Patient":
        return [("_id", None, grant.patient)]
    if any(p.name == "patient" for p in rtype.param_names()):
        return [("patient", None, f"Patient/{grant.patient}")]
    raise _forbidden(f"{rtype.name} is outside the launch patient's compartment")


async def ensure_visible(core: Core, ctx: RequestContext, grant: Grant, rtype: ResourceType, fhir_id: str) -> None:
    """404 unless the resource is in the launch patient's compartment (a search of that one id)."""
    filters = compartment(grant, rtype)
    if not filters:
        return
    _, total, _ = await search.run(core, ctx, rtype, search.Plan(count=0), base_filters=[*filters, ("_id", None, fhir_id)])
    if total == 0:
        raise not_found(rtype.name, fhir_id)

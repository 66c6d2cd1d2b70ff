"""Break-the-glass: emergency, time-boxed, audited read access to a chart outside one's team.

A clinician names a patient (an EHR ``Patient`` or a behavioral-health ``PatientProfile``) and a
reason. They get read access to that whole chart for ``break_glass_minutes``, through the chart's
care-team role used read-only. Every grant is a ``BreakGlassAccess`` row that admins and auditors
list for review, and a high-severity ``break_glass`` ledger entry (seen as ``AuditEvent`` and
``AuditLog``) written in the same transaction.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chartkeep.audit.entry import Entry
from chartkeep.context import RequestContext
from chartkeep.errors import Code, ParseError
from chartkeep.schema.dates import iso_ms, now_ms
from chartkeep.schema.ids import new_object_id
from chartkeep.services import audit, care_team
from chartkeep.services.care_team import ADMIN, GRANTS
from chartkeep.services.core import Core
from chartkeep.storage import rows

MIN_REASON = 10
CLINICIAN = "role:clinician"


def _target(params: dict[str, Any]) -> tuple[str, str]:
    for key, root in (("patient", "Patient"), ("patientProfile", "PatientProfile")):
        value = params.get(key)
        if isinstance(value, dict) and value.get("__type") == "Pointer":
            if value.get("className") != root or not isinstance(value.get("objectId"), str):
                raise ParseError(Code.INVALID_JSON, f"{key} must be a Pointer to {root}")
            return root, value["objectId"]
        if isinstance(value, str) and value:
            return root, value
    raise ParseError(Code.VALIDATION_ERROR, "patient or patientProfile is required")


def _reason(params: dict[str, Any]) -> str:
    reason = params.get("reason")
    if not isinstance(reason, str) or len(reason.strip()) < MIN_REASON:
        raise ParseError(Code.VALIDATION_ERROR, f"reason is required (at least {MIN_REASON} characters)")
    return reason.strip()


async def break_the_glass(core: Core, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if ctx.user_id is None:
        raise ParseError(Code.INVALID_SESSION_TOKEN, "Break-the-glass needs a logged-in clinician.")
    if CLINICIAN not in ctx.principals():
        raise ParseError(Code.OPERATION_FORBIDDEN, "Permission denied: break-the-glass is for clinicians.")
    root_class, root_id = _target(params)
    reason = _reason(params)
    grants = core.registry.get(GRANTS)
    if grants is None or core.registry.get(root_class) is None:
        raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found.")
    now = now_ms()
    expires = now + timedelta(minutes=core.settings.break_glass_minutes)
    grant_id = new_object_id()
    link = "patient" if root_class == "Patient" else "patientProfile"
    async with core.db.transaction() as tx:
        if await care_team.root_of(tx, root_class, root_id, "objectId") is None:
            raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found.")
        await rows.insert(tx, grants, {
            "objectId": grant_id, "createdAt": now, "updatedAt": now, "user": ctx.user_id, link: root_id,
            "reason": reason, "expiresAt": expires,
            "_rperm": sorted({ADMIN, "role:auditor", ctx.user_id}), "_wperm": [ADMIN],
        })
        await audit.record(core, tx, [_audit(ctx, root_class, root_id, reason, grant_id, expires)])
        await care_team.refresh(tx, core.registry, root_class, root_id)  # the chart's role exists
        user_id = ctx.user_id
        tx.on_commit(lambda: core.roles.invalidate([user_id]))
    return {"grant": grant_id, "className": root_class, "objectId": root_id,
            "expiresAt": {"__type": "Date", "iso": iso_ms(expires)}}


def _audit(ctx: RequestContext, root_class: str, root_id: str, reason: str, grant_id: str, expires: Any) -> Entry:
    """The high-severity ledger entry, in the grant's transaction."""
    return audit.entry(ctx, "break_glass", patient=root_id, patient_class=root_class, target_class=root_class,
                       target_id=root_id, severity="high", details=f"Break-the-glass access: {reason}",
                       metadata={"reason": reason, "grant": grant_id, "expiresAt": iso_ms(expires)})

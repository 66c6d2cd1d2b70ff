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

from chartkeep.access.principals import team_role
from chartkeep.audit.entry import Entry
from chartkeep.care import team
from chartkeep.care.team import ADMIN, GRANTS
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.core.hooks import Hooks
from chartkeep.core.role_cache import RoleSet
from chartkeep.errors import Code, ParseError
from chartkeep.ledger import entries
from chartkeep.records import commit
from chartkeep.schema.dates import iso_ms, now_ms
from chartkeep.schema.ids import new_object_id
from chartkeep.storage.database import Conn
from chartkeep.storage.queries.grants import break_glass_of

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
        if await team.root_of(tx, root_class, root_id, "objectId") is None:
            raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found.")
        await commit.server_insert(core, tx, ctx, GRANTS, {
            "user": ctx.user_id, link: root_id, "reason": reason, "expiresAt": expires,
            "_rperm": sorted({ADMIN, "role:auditor", ctx.user_id}), "_wperm": [ADMIN],
        }, why="break-the-glass access granted", object_id=grant_id)
        await entries.record(core, tx, [_audit(ctx, root_class, root_id, reason, grant_id, expires)])
        await team.refresh(core, tx, ctx, root_class, root_id)  # the chart's role exists
        user_id = ctx.user_id
        tx.on_commit(lambda: core.roles.invalidate([user_id]))
    return {"grant": grant_id, "className": root_class, "objectId": root_id,
            "expiresAt": {"__type": "Date", "iso": iso_ms(expires)}}


def _audit(ctx: RequestContext, root_class: str, root_id: str, reason: str, grant_id: str, expires: Any) -> Entry:
    """The high-severity ledger entry, in the grant's transaction."""
    return entries.entry(ctx, "break_glass", patient=root_id, patient_class=root_class, target_class=root_class,
                       target_id=root_id, severity="high", details=f"Break-the-glass access: {reason}",
                       metadata={"reason": reason, "grant": grant_id, "expiresAt": iso_ms(expires)})


async def read_roles(core: Core, conn: Conn, user_id: str, roles: RoleSet) -> None:
    """Role source: the chart roles the user's active break-the-glass grants let them read through."""
    if core.registry.get(GRANTS) is None:
        return
    for patient, profile, expires in await break_glass_of(conn, user_id):
        if patient:
            roles.read_names.add(team_role("Patient", patient))
        if profile:
            roles.read_names.add(team_role("PatientProfile", profile))
        if expires is not None:
            roles.ends.append(expires.timestamp())


def register(hooks: Hooks[Core]) -> None:
    hooks.define("breakTheGlass", break_the_glass)
    hooks.add_role_source(read_roles)

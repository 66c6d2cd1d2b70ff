"""``decideRoleApplication``: an administrator approves or rejects a role applied for at sign-up.

Params: ``user`` (a ``_User`` Pointer or id), ``decision`` (``approve`` or ``reject``), optional
``reason`` (a string). Admin session or master key only (119). In one transaction:

* approve: the account's ``role`` becomes the role it asked for (it joins that seed role, and so
  ``clinician``), ``applicationStatus`` ``approved``, its ACL the staff default (itself and admins;
  clinicians and auditors read); its cached roles are dropped, so access starts on its next request;
* reject: ``applicationStatus`` ``rejected``; the account keeps ``applicant`` and reads nothing.

Both are ``_User`` updates through the write pipeline (an approval is a ``permission_change``
entry, the role change) plus a ``role_decision`` ledger entry naming the decision, the role and the
reason. An account with no pending application is 142; an unknown one 101.
"""

from __future__ import annotations

from typing import Any

from chartkeep.accounts.role_applications import APPLICANT, APPROVED, PENDING, REJECTED, administers
from chartkeep.accounts.user_roles import default_user_acl
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.core.hooks import Hooks
from chartkeep.errors import Code, ParseError
from chartkeep.ledger import entries as ledger
from chartkeep.records import writes
from chartkeep.records.cloud_values import object_id, pointer
from chartkeep.storage import rows

DECISIONS = {"approve": APPROVED, "reject": REJECTED}


async def decide_role_application(core: Core, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if not administers(ctx):
        raise ParseError(Code.OPERATION_FORBIDDEN, "Permission denied: only an administrator decides a role application.")
    user_id = object_id(params, "user", "_User")
    assert user_id is not None
    decision = params.get("decision")
    if decision not in DECISIONS:
        raise ParseError(Code.VALIDATION_ERROR, "decision must be approve or reject")
    reason = params.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise ParseError(Code.INVALID_JSON, "reason must be a string")
    async with core.db.transaction() as tx:
        user = await rows.field_values(tx, "_User", user_id, ("requestedRole", "applicationStatus"))
        if user is None:
            raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found.")
        if user["applicationStatus"] != PENDING or not user["requestedRole"]:
            raise ParseError(Code.VALIDATION_ERROR, "This account has no pending role application.")
        role, status = str(user["requestedRole"]), DECISIONS[decision]
        body: dict[str, Any] = {"applicationStatus": status}
        if status == APPROVED:
            body.update({"role": role, "ACL": default_user_acl(user_id, role)})
        await writes.update(core, ctx, "_User", user_id, body, tx)
        await ledger.record(core, tx, [ledger.entry(
            ctx, "role_decision", target_class="_User", target_id=user_id,
            details=f"role application {status}: {role}" + (f" ({reason})" if reason else ""),
            metadata={"requestedRole": role, "decision": decision, "applicationStatus": status, "reason": reason})])
    return {"user": pointer("_User", user_id), "role": role if status == APPROVED else APPLICANT,
            "applicationStatus": status}


def register(hooks: Hooks[Core]) -> None:
    hooks.define("decideRoleApplication", decide_role_application)

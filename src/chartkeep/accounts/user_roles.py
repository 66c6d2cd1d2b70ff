"""``_User.role``: who may set it, and the ``_Role`` membership that follows it.

The seed requires a role on every user yet says roles are "assigned by administrators". So a
client signing itself up may only take a role from ``signup_roles`` (default ``patient``), or
apply for one of ``signup_applicant_roles`` (default ``provider``: the account holds ``applicant``
until an admin decides, role_applications.py); any other role, and every later change of role,
needs an admin session or the master key — else error 119 and nothing is saved. When the field
changes, the user leaves the seed role they held and joins the new one, in the same transaction.
"""

from __future__ import annotations

import re
from typing import Any

from chartkeep.access.principals import ADMIN, TEAM_PREFIX
from chartkeep.accounts.role_applications import APPLICANT, hold, may_apply
from chartkeep.core.handles import Core
from chartkeep.core.hooks import EVERY_FIELD, Hooks, WriteEvent
from chartkeep.errors import Code, ParseError
from chartkeep.records import commit
from chartkeep.schema.policy import load_policy
from chartkeep.schema.templates import merge_enums
from chartkeep.storage.queries.roles import role_ids, role_users

STAFF_READERS = ["role:clinician", "role:auditor"]
ROLE_NAME = re.compile(r"^[0-9A-Za-z_\- ]+$")


def known_roles(core: Core) -> list[str]:
    enum = merge_enums(core.settings.templates).get("_User", {}).get("role", [])
    return list(dict.fromkeys([*load_policy().roles, *enum, APPLICANT]))


def default_user_acl(user_id: str, role: Any) -> dict[str, dict[str, bool]]:
    """Private to the user and admins (Parse 9's private users, plus administration); staff
    accounts are also readable by clinicians and auditors, who see them as authors and signers."""
    acl = {user_id: {"read": True, "write": True}, ADMIN: {"read": True, "write": True}}
    if isinstance(role, str) and role not in ("patient", APPLICANT):
        acl.update({r: {"read": True} for r in STAFF_READERS})
    return acl


async def role_before_save(core: Core, event: WriteEvent) -> None:
    if "role" not in event.values:
        return
    role = event.values["role"]
    if role is not None and role not in known_roles(core):
        raise ParseError(Code.VALIDATION_ERROR, f"role must be one of: {', '.join(known_roles(core))}")
    ctx = event.ctx
    if ctx.is_master or ADMIN in ctx.principals():
        return
    if event.is_new:
        if role not in core.settings.signup_roles and may_apply(core, role):
            hold(event, str(role))  # an applicant until an administrator decides (role_applications.py)
            return
        if role not in core.settings.signup_roles:
            raise ParseError(Code.OPERATION_FORBIDDEN, f"Permission denied: the role {role} is assigned by an administrator.")
        return
    current = await event.load_current()
    if current is None or current.get("role") != role:
        raise ParseError(Code.OPERATION_FORBIDDEN, "Permission denied: only an administrator can change a user's role.")


async def role_after_save(core: Core, event: WriteEvent) -> None:
    """Keep ``_Role`` membership in step with the field: leave the old seed role, join the new."""
    if "role" not in event.values:
        return
    role = event.values["role"]
    ids = await role_ids(event.conn, list(load_policy().roles))
    why = f"_User {event.object_id} holds the seed role its role field names ({role})"
    for name, role_id in ids.items():
        if name != role and event.object_id in await role_users(event.conn, role_id):
            await commit.relation(core, event.conn, event.ctx, "_Role", "users", role_id, remove=[event.object_id],
                                  why=why, event="permission_change")
    if role in ids and event.object_id not in await role_users(event.conn, ids[role]):
        await commit.relation(core, event.conn, event.ctx, "_Role", "users", ids[role], add=[event.object_id],
                              why=why, event="permission_change")
    user_id = event.object_id
    event.conn.on_commit(lambda: core.roles.invalidate([user_id]))


async def role_object_before_save(core: Core, event: WriteEvent) -> None:
    """A role's name: set once, from the characters Parse's SDKs allow; ``careTeam_`` names belong
    to the server (one per chart)."""
    if event.is_new or "name" in event.values:
        name = event.values.get("name")
        if not event.is_new:
            current = await event.load_current()
            if current is not None and current.get("name") != name:
                raise ParseError(Code.INVALID_ROLE_NAME, "A role's name can only be set before it has been saved.")
            return
        if not isinstance(name, str) or not name:
            raise ParseError(Code.INVALID_ROLE_NAME, "A role's name must be set.")
        if not ROLE_NAME.match(name):
            raise ParseError(
                Code.INVALID_ROLE_NAME, "A role's name can be only contain alphanumeric characters, _, -, and spaces."
            )
        if name.startswith(TEAM_PREFIX) and not event.ctx.is_master:
            raise ParseError(Code.INVALID_ROLE_NAME, f"Role names starting with {TEAM_PREFIX} are reserved for care teams.")


async def role_class_written(core: Core, event: WriteEvent) -> None:
    """Any write to ``_Role`` may change anyone's roles: forget them all (as Parse does)."""
    event.conn.on_commit(lambda: core.roles.invalidate())


def register(hooks: Hooks[Core]) -> None:
    hooks.add("before_save", "_User", role_before_save)
    hooks.own("_User", "role", "emailVerified", "authData")  # Cloud Code may not grant a role
    hooks.own("_Role", EVERY_FIELD)
    hooks.add("after_save", "_User", role_after_save)
    hooks.add("before_save", "_Role", role_object_before_save)
    hooks.add("after_save", "_Role", role_class_written)
    hooks.add("after_delete", "_Role", role_class_written)

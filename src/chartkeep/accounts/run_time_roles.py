"""Roles an app creates at run time (``new Parse.Role(name, acl)``), and the roles it may not touch.

A signed-in staff member creates a role (the ``_Role`` class-level permission); from then on the
role's own ACL decides who changes it — its users, its ``roles``, its ACL — as in Parse.

*Reserved* roles stay the administrators': the seed roles and group roles (``admin``,
``physician``, ``nurse``, ``scribe``, ``auditor``, ``provider``, ``patient``, ``applicant``,
``clinician``… and every role the templates' ``_User.role`` names), compared without case, and
every name the server makes (``careTeam_…``, ``recordGrant_…``). Without an admin session or the
master key:

* a reserved name cannot be created (139);
* a reserved role cannot be written — users, roles, ACL — nor deleted (119), whatever its ACL says;
* a reserved role cannot be put into another role's ``roles`` (119): what a seed or care-team
  role's holders reach is decided by administrators, in both directions;
* a role's ACL cannot give the public write access (119): anyone could join it;
* a role created without an ACL gets one: read and write for its creator and admins.

The server's own membership writes (a user's ``role`` field, care teams) go through
``records/commit.py`` directly and are not client writes, so these rules do not apply to them.
"""

from __future__ import annotations

from typing import Any

from chartkeep.access.principals import ADMIN, SERVER_PREFIXES
from chartkeep.accounts.user_roles import known_roles
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.core.hooks import Hooks, WriteEvent
from chartkeep.errors import Code, ParseError
from chartkeep.records import update_ops
from chartkeep.schema.policy import load_policy
from chartkeep.storage.queries.roles import names_of

ROLE = "_Role"


def reserved_names(core: Core) -> frozenset[str]:
    """The seed, group and template role names, lower-cased."""
    return frozenset(n.lower() for n in (*known_roles(core), *load_policy().groups))


def is_reserved(core: Core, name: Any) -> bool:
    if not isinstance(name, str):
        return False
    lowered = name.lower()
    return lowered in reserved_names(core) or any(lowered.startswith(p.lower()) for p in SERVER_PREFIXES)


def administers(ctx: RequestContext) -> bool:
    return ctx.is_master or ADMIN in ctx.principals()


def _check_acl(event: WriteEvent) -> None:
    if "_wperm" not in event.values:
        return
    wperm = event.values["_wperm"]
    if wperm is None or "*" in wperm:
        raise ParseError(Code.OPERATION_FORBIDDEN,
                         "Permission denied: a role's ACL may not give public write access (anyone could join it).")


async def _check_inherited(core: Core, event: WriteEvent) -> None:
    """A reserved role may not be added to this role's ``roles``."""
    op = event.body.get("roles")
    if not isinstance(op, dict) or not update_ops.is_op(op):
        return
    change = update_ops.apply("roles", event.schema.fields["roles"], op, None)
    if not isinstance(change, update_ops.RelationChange) or not change.add:
        return
    names = await names_of(event.conn, change.add)
    for object_id in change.add:
        if is_reserved(core, names.get(object_id)):
            raise ParseError(
                Code.OPERATION_FORBIDDEN,
                f"Permission denied: the reserved role {names[object_id]} is placed in other roles by an administrator only.",
            )


async def role_before_save(core: Core, event: WriteEvent) -> None:
    ctx = event.ctx
    if administers(ctx):
        return
    if event.is_new:
        name = event.values.get("name")
        if is_reserved(core, name):
            raise ParseError(Code.INVALID_ROLE_NAME,
                             f"The role name {name} is reserved: only an administrator creates it.")
        if "_wperm" not in event.values and ctx.user_id:
            owners = [ctx.user_id, ADMIN]
            event.values["_rperm"], event.values["_wperm"] = list(owners), list(owners)
    else:
        current = await event.load_current()
        if current is not None and is_reserved(core, current.get("name")):
            await event.load_writable()  # 101 first when its ACL refuses, as the write itself would answer
            raise ParseError(Code.OPERATION_FORBIDDEN,
                             f"Permission denied: the role {current.get('name')} is reserved; only an administrator changes it.")
    _check_acl(event)
    await _check_inherited(core, event)


async def role_after_delete(core: Core, event: WriteEvent) -> None:
    name = (event.current or {}).get("name")
    if not administers(event.ctx) and is_reserved(core, name):
        raise ParseError(Code.OPERATION_FORBIDDEN,
                         f"Permission denied: the role {name} is reserved; only an administrator deletes it.")


def register(hooks: Hooks[Core]) -> None:
    hooks.add("before_save", ROLE, role_before_save)
    hooks.add("after_delete", ROLE, role_after_delete)

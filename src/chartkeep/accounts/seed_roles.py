"""The seed roles as ``_Role`` objects, created at init (idempotent).

Each role is readable by any logged-in user and written only by admins; a group role (the
policy's ``clinician``) lists the roles that inherit it in its ``roles`` relation, which is
Parse's inheritance: users of ``physician`` hold ``clinician`` too.
"""

from __future__ import annotations

from chartkeep.schema.dates import now_ms
from chartkeep.schema.ids import new_object_id
from chartkeep.schema.policy import AccessPolicy
from chartkeep.schema.system import system_classes
from chartkeep.storage import rows
from chartkeep.storage.database import Conn
from chartkeep.storage.queries.roles import role_ids

ROLE_ACL = (["*", "role:admin"], ["role:admin"])
CLINICAL = ("physician", "nurse", "scribe", "provider")  # the seed roles that write and sign notes


async def ensure_role(conn: Conn, name: str, perms: tuple[list[str], list[str]] = ROLE_ACL) -> str:
    """The role's objectId, creating the role when missing."""
    existing = await role_ids(conn, [name])
    if name in existing:
        return existing[name]
    object_id, now = new_object_id(), now_ms()
    row = {"objectId": object_id, "createdAt": now, "updatedAt": now, "name": name,
           "_rperm": perms[0], "_wperm": perms[1]}
    await rows.insert(conn, system_classes()["_Role"], row)
    return object_id


async def seed_roles(conn: Conn, policy: AccessPolicy) -> None:
    ids = {name: await ensure_role(conn, name) for name in (*policy.roles, *policy.groups)}
    for group, members in policy.groups.items():
        await rows.relation_add(conn, "_Role", "roles", ids[group], [ids[m] for m in members])


async def user_role(conn: Conn, user_id: str | None) -> str | None:
    """The seed role a user holds (``_User.role``)."""
    if not user_id:
        return None
    role = await rows.field_value(conn, "_User", user_id, "role")
    return None if role is None else str(role)

"""A user's roles: direct memberships plus every role that grants to them through ``roles``.

Parse's inheritance: when role B is in role A's ``roles`` relation, B's users get A's access.
One recursive query walks that graph upward; ``UNION`` makes cycles harmless.
"""

from __future__ import annotations

from chartkeep.services.core import Core
from chartkeep.storage.dialect import join_table, quote

USERS = quote(join_table("_Role", "users"))
ROLES = quote(join_table("_Role", "roles"))


async def role_names(core: Core, user_id: str) -> tuple[str, ...]:
    async with core.db.read() as conn:
        p = conn.dialect.placeholder(1)
        found = await conn.fetch(
            f'WITH RECURSIVE granted(id) AS ('
            f'SELECT "owningId" FROM {USERS} WHERE "relatedId" = {p} '
            f'UNION SELECT j."owningId" FROM {ROLES} j JOIN granted g ON j."relatedId" = g.id) '
            f'SELECT "name" FROM {quote("_Role")} WHERE "objectId" IN (SELECT id FROM granted)',
            [user_id],
        )
    return tuple(sorted(r[0] for r in found if r[0]))

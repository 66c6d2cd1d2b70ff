"""A user's roles: direct memberships plus every role that grants to them through ``roles``
(storage/queries/roles.py), then what the registry's role sources add or take away — the chart
roles an active break-the-glass grant lets them read through, the record roles of their active
``RecordGrant``s, ``patient`` left out while portal access is off (care/). The result is cached
per user (:class:`~chartkeep.core.role_cache.RoleCache`).
"""

from __future__ import annotations

from chartkeep.core.handles import Core
from chartkeep.core.role_cache import RoleSet, UserRoles
from chartkeep.storage.queries.roles import role_names


async def user_roles(core: Core, user_id: str) -> UserRoles:
    cached = core.roles.get(user_id)
    if cached is not None:
        return cached
    roles = await _load(core, user_id)
    core.roles.put(user_id, roles)
    return roles


async def _load(core: Core, user_id: str) -> UserRoles:
    async with core.db.read() as conn:
        roles = RoleSet(set(await role_names(conn, user_id)))
        for source in core.hooks.role_sources:
            await source(core, conn, user_id, roles)
    return roles.freeze()

"""A user's roles: direct memberships plus every role that grants to them through ``roles``,
the chart roles an active break-the-glass grant lets them read through, and the record roles of
their active ``RecordGrant``s; ``patient`` is left out while portal access is off (docs/portal.md).

Parse's inheritance: when role B is in role A's ``roles`` relation, B's users get A's access.
One recursive query walks that graph upward; ``UNION`` makes cycles harmless. The result is
cached per user (:class:`~chartkeep.services.role_cache.RoleCache`).
"""

from __future__ import annotations

from chartkeep.schema.dates import now_ms
from chartkeep.services import portal_access, record_grants
from chartkeep.services.care_team import GRANTS, team_role
from chartkeep.services.core import Core
from chartkeep.services.portal_access import PATIENT_ROLE
from chartkeep.services.role_cache import UserRoles
from chartkeep.storage.dialect import join_table, quote

USERS = quote(join_table("_Role", "users"))
ROLES = quote(join_table("_Role", "roles"))


async def user_roles(core: Core, user_id: str) -> UserRoles:
    cached = core.roles.get(user_id)
    if cached is not None:
        return cached
    roles = await _load(core, user_id)
    core.roles.put(user_id, roles)
    return roles


async def _load(core: Core, user_id: str) -> UserRoles:
    async with core.db.read() as conn:
        p = conn.dialect.placeholder(1)
        found = await conn.fetch(
            f'WITH RECURSIVE granted(id) AS ('
            f'SELECT "owningId" FROM {USERS} WHERE "relatedId" = {p} '
            f'UNION SELECT j."owningId" FROM {ROLES} j JOIN granted g ON j."relatedId" = g.id) '
            f'SELECT "name" FROM {quote("_Role")} WHERE "objectId" IN (SELECT id FROM granted)',
            [user_id],
        )
        names = tuple(sorted(r[0] for r in found if r[0]))
        if PATIENT_ROLE in names and await portal_access.suspended(conn, core, user_id):
            names = tuple(n for n in names if n != PATIENT_ROLE)  # portal access off (docs/portal.md)
        granted, ends = await record_grants.grant_roles(conn, core, user_id)
        if core.registry.get(GRANTS) is None:
            return UserRoles(names, tuple(sorted(granted)), min(ends) if ends else None)
        now = now_ms()
        d = conn.dialect
        grants = await conn.fetch(
            f'SELECT "patient", "patientProfile", "expiresAt" FROM {quote(GRANTS)} '
            f'WHERE "user" = {d.placeholder(1)} AND "expiresAt" > {d.placeholder(2)}',
            [user_id, d.to_db("Date", now)],
        )
    read_names: list[str] = list(granted)
    for patient, profile, expires in grants:
        if patient:
            read_names.append(team_role("Patient", patient))
        if profile:
            read_names.append(team_role("PatientProfile", profile))
        end = d.from_db("Date", expires)
        if end is not None:
            ends.append(end.timestamp())
    return UserRoles(names, tuple(sorted(set(read_names))), min(ends) if ends else None)

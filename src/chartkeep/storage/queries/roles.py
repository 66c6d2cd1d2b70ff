"""Role membership, as Parse defines it: a user holds the roles whose ``users`` relation names
them, and every role that grants to one of those through its ``roles`` relation (when role B is in
role A's ``roles``, B's users get A's access).

One recursive query walks that graph upward; ``UNION`` makes cycles harmless.
"""

from __future__ import annotations

from chartkeep.storage.database import Conn
from chartkeep.storage.dialect import join_table, quote

USERS = quote(join_table("_Role", "users"))
ROLES = quote(join_table("_Role", "roles"))


def _granted(mark: str) -> str:
    return (f'WITH RECURSIVE granted(id) AS (SELECT "owningId" FROM {USERS} WHERE "relatedId" = {mark} '
            f'UNION SELECT j."owningId" FROM {ROLES} j JOIN granted g ON j."relatedId" = g.id) ')


async def role_names(conn: Conn, user_id: str) -> list[str]:
    """Every role ``user_id`` holds, directly or by inheritance."""
    found = await conn.fetch(
        _granted(conn.dialect.placeholder(1))
        + f'SELECT "name" FROM {quote("_Role")} WHERE "objectId" IN (SELECT id FROM granted)',
        [user_id],
    )
    return sorted(r[0] for r in found if r[0])


async def holds_role(conn: Conn, user_id: str, role_name: str) -> bool:
    """Whether ``user_id`` holds ``role_name``, directly or by inheritance."""
    d = conn.dialect
    row = await conn.fetchrow(
        _granted(d.placeholder(1))
        + f'SELECT 1 FROM {quote("_Role")} WHERE "name" = {d.placeholder(2)} AND "objectId" IN (SELECT id FROM granted)',
        [user_id, role_name],
    )
    return row is not None


async def is_member(conn: Conn, role_name: str, user_id: str) -> bool:
    """Whether ``role_name``'s ``users`` relation names ``user_id`` itself (no inheritance)."""
    d = conn.dialect
    row = await conn.fetchrow(
        f'SELECT 1 FROM {USERS} j JOIN {quote("_Role")} r ON r."objectId" = j."owningId" '
        f'WHERE r."name" = {d.placeholder(1)} AND j."relatedId" = {d.placeholder(2)}',
        [role_name, user_id],
    )
    return row is not None


async def role_users(conn: Conn, role_id: str) -> set[str]:
    """The users a role's ``users`` relation names."""
    found = await conn.fetch(f'SELECT "relatedId" FROM {USERS} WHERE "owningId" = {conn.dialect.placeholder(1)}', [role_id])
    return {r[0] for r in found}


async def role_ids(conn: Conn, names: list[str]) -> dict[str, str]:
    """name → objectId of the roles that exist among ``names``."""
    if not names:
        return {}
    marks = ", ".join(conn.dialect.placeholder(i + 1) for i in range(len(names)))
    found = await conn.fetch(f'SELECT "name", "objectId" FROM {quote("_Role")} WHERE "name" IN ({marks})', names)
    return {r[0]: r[1] for r in found}


async def names_of(conn: Conn, ids: list[str]) -> dict[str, str]:
    """objectId → name of the roles that exist among ``ids``."""
    if not ids:
        return {}
    marks = ", ".join(conn.dialect.placeholder(i + 1) for i in range(len(ids)))
    found = await conn.fetch(f'SELECT "objectId", "name" FROM {quote("_Role")} WHERE "objectId" IN ({marks})', ids)
    return {r[0]: r[1] for r in found}


async def named_roles_of_users(conn: Conn, user_ids: list[str], prefix: str) -> list[tuple[str, str]]:
    """(user, role name) for every role whose name starts with ``prefix`` and whose ``users`` relation
    names one of ``user_ids`` directly — one query for a whole page of users."""
    if not user_ids:
        return []
    d = conn.dialect
    marks = ", ".join(d.placeholder(i + 1) for i in range(len(user_ids)))
    found = await conn.fetch(
        f'SELECT j."relatedId", r."name" FROM {USERS} j JOIN {quote("_Role")} r ON r."objectId" = j."owningId" '
        f'WHERE j."relatedId" IN ({marks}) AND substr(r."name", 1, {len(prefix):d}) = '
        f'{d.placeholder(len(user_ids) + 1)}',
        [*user_ids, prefix],
    )
    return sorted((r[0], r[1]) for r in found if r[1])

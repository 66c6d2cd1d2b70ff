"""Who stands in a behavioral-health patient's care relationship, read from the database.

The write rules of messages and appointments ask about *other* people than the caller (the
recipient of a message, the provider of an appointment), so they cannot use the request's cached
roles: these queries read the current membership inside the write's own transaction.

* the relationship of a ``PatientProfile``: its own user (the patient) and the users of its
  care-team role (``careTeam_PatientProfile_<id>``; break-the-glass grants are not membership);
* a seed role held directly or through inheritance (a ``provider`` holds ``clinician``).
"""

from __future__ import annotations

from chartkeep.services.care_team import team_role
from chartkeep.storage.database import Conn
from chartkeep.storage.dialect import join_table, quote

PROFILE = "PatientProfile"
USERS = quote(join_table("_Role", "users"))
ROLES = quote(join_table("_Role", "roles"))


async def profile_owner(conn: Conn, profile_id: str) -> tuple[bool, str | None]:
    """(the profile exists, its ``user``)."""
    row = await conn.fetchrow(
        f'SELECT "user" FROM {quote(PROFILE)} WHERE "objectId" = {conn.dialect.placeholder(1)}', [profile_id]
    )
    return (False, None) if row is None else (True, row[0])


async def on_care_team(conn: Conn, profile_id: str, user_id: str) -> bool:
    d = conn.dialect
    row = await conn.fetchrow(
        f'SELECT 1 FROM {USERS} j JOIN {quote("_Role")} r ON r."objectId" = j."owningId" '
        f'WHERE r."name" = {d.placeholder(1)} AND j."relatedId" = {d.placeholder(2)}',
        [team_role(PROFILE, profile_id), user_id],
    )
    return row is not None


async def in_relationship(conn: Conn, profile_id: str, owner: str | None, user_id: str | None) -> bool:
    """The patient themselves, or a member of their care team."""
    if not user_id:
        return False
    return user_id == owner or await on_care_team(conn, profile_id, user_id)


async def holds_role(conn: Conn, user_id: str, role_name: str) -> bool:
    """Whether ``user_id`` holds ``role_name``, directly or by inheritance (Parse's ``roles``)."""
    d = conn.dialect
    row = await conn.fetchrow(
        f'WITH RECURSIVE granted(id) AS ('
        f'SELECT "owningId" FROM {USERS} WHERE "relatedId" = {d.placeholder(1)} '
        f'UNION SELECT j."owningId" FROM {ROLES} j JOIN granted g ON j."relatedId" = g.id) '
        f'SELECT 1 FROM {quote("_Role")} WHERE "name" = {d.placeholder(2)} '
        f'AND "objectId" IN (SELECT id FROM granted)',
        [user_id, role_name],
    )
    return row is not None


async def xact_lock(conn: Conn, key: str) -> None:
    """Serialise writers on ``key`` until the transaction ends: a PostgreSQL advisory lock (SQLite
    has one writer connection, so its write transactions are serialised already)."""
    if conn.dialect.name == "postgresql":
        await conn.fetchval(f"SELECT pg_advisory_xact_lock(hashtext({conn.dialect.placeholder(1)}))", [key])

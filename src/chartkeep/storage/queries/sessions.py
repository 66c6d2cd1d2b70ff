"""``_Session`` rows beyond the object pipeline: the user a session token digest names, a user's
sessions, and the deletes that end sessions (by user, by token digest, by objectId)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chartkeep.schema.model import ClassSchema
from chartkeep.storage.database import Conn
from chartkeep.storage.dialect import quote
from chartkeep.storage.internal import SESSION_ACTIVITY
from chartkeep.storage.rows import decode_row, decode_rows, select_list

TABLE = quote("_Session")
ACTIVITY = quote(SESSION_ACTIVITY)


@dataclass(frozen=True, slots=True)
class SessionTimes:
    expires_at: datetime | None
    created_at: datetime
    seen_at: float | None  # epoch seconds of the last use recorded in _SessionActivity


async def user_of_token(
    conn: Conn, user_schema: ClassSchema, digest: str
) -> tuple[dict[str, Any], SessionTimes] | None:
    """The ``_User`` row (decoded, hidden columns included) of the session whose token has this
    digest, and the session's times; None when no session has it."""
    mark = conn.dialect.placeholder(1)
    found = await conn.fetchrow(
        f'SELECT s."expiresAt" AS "_expiresAt", s."createdAt" AS "_sessionCreatedAt", a."seenAt" AS "_seenAt", '
        f'{select_list(user_schema, "u")} FROM {TABLE} s '
        f'JOIN {quote(user_schema.name)} u ON u."objectId" = s."user" '
        f'LEFT JOIN {quote(SESSION_ACTIVITY)} a ON a."session" = s."sessionToken" WHERE s."sessionToken" = {mark}',
        [digest],
    )
    if found is None:
        return None
    d = conn.dialect
    times = SessionTimes(d.from_db("Date", found["_expiresAt"]), d.from_db("Date", found["_sessionCreatedAt"]),
                         found["_seenAt"])
    return decode_row(user_schema, found, conn), times


async def every(conn: Conn, schema: ClassSchema) -> list[dict[str, Any]]:
    """Every session, oldest first."""
    found = await conn.fetch(f'SELECT {select_list(schema)} FROM {TABLE} ORDER BY "createdAt"')
    return decode_rows(schema, found, conn)


async def of_user(conn: Conn, schema: ClassSchema, user_id: str) -> list[dict[str, Any]]:
    """The user's sessions, oldest first."""
    found = await conn.fetch(
        f"SELECT {select_list(schema)} FROM {TABLE} "
        f'WHERE "user" = {conn.dialect.placeholder(1)} ORDER BY "createdAt"',
        [user_id],
    )
    return decode_rows(schema, found, conn)


async def delete_of_user(conn: Conn, user_id: str, installation_id: str | None = None) -> None:
    """End every session of the user (only those of ``installation_id``, when given)."""
    d = conn.dialect
    where = f'"user" = {d.placeholder(1)}'
    params: list[Any] = [user_id]
    if installation_id is not None:
        where += f' AND "installationId" = {d.placeholder(2)}'
        params.append(installation_id)
    await conn.execute(f'DELETE FROM {ACTIVITY} WHERE "session" IN (SELECT "sessionToken" FROM {TABLE} WHERE {where})',
                       params)
    await conn.execute(f"DELETE FROM {TABLE} WHERE {where}", params)


async def delete_by_token(conn: Conn, digest: str) -> int:
    """End the session whose token has this digest; how many ended (0 or 1)."""
    await conn.execute(f'DELETE FROM {ACTIVITY} WHERE "session" = {conn.dialect.placeholder(1)}', [digest])
    return await conn.execute(
        f'DELETE FROM {TABLE} WHERE "sessionToken" = {conn.dialect.placeholder(1)}', [digest]
    )


async def delete(conn: Conn, object_id: str, user_id: str | None) -> tuple[bool, str | None]:
    """End one session (only when it is ``user_id``'s, unless ``user_id`` is None): (a session
    ended, its ``user``)."""
    d = conn.dialect
    sql = f'DELETE FROM {TABLE} WHERE "objectId" = {d.placeholder(1)}'
    params: list[Any] = [object_id]
    if user_id is not None:
        sql += f' AND "user" = {d.placeholder(2)}'
        params.append(user_id)
    ended = await conn.fetchrow(sql + ' RETURNING "user", "sessionToken"', params)
    if ended is None:
        return False, None
    await conn.execute(f'DELETE FROM {ACTIVITY} WHERE "session" = {d.placeholder(1)}', [ended["sessionToken"]])
    return True, ended["user"]


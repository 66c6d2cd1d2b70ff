"""``_User`` lookups beyond one object's row (storage/rows.py): accounts found by username or
email — case-insensitively where Parse compares them so — for logins, sign-ups, password resets,
email verification, invitations and the demo's seed check."""

from __future__ import annotations

from typing import Any

from chartkeep.schema.model import ClassSchema
from chartkeep.storage.database import Conn, Row
from chartkeep.storage.dialect import quote
from chartkeep.storage.rows import decode_rows, select_list

USER = "_User"
TABLE = quote(USER)


async def named_ignoring_case(
    conn: Conn, schema: ClassSchema, column: str, name: str
) -> list[dict[str, Any]]:
    """The users whose ``column`` (``username`` or ``email``) equals ``name`` ignoring case."""
    found = await conn.fetch(
        f"SELECT {select_list(schema)} FROM {TABLE} "
        f"WHERE lower({quote(column)}) = lower({conn.dialect.placeholder(1)})",
        [name],
    )
    return decode_rows(schema, found, conn)


async def ids_named(conn: Conn, column: str, value: str) -> list[str]:
    """objectIds of the users whose ``column`` equals ``value`` ignoring case (uniqueness checks)."""
    found = await conn.fetch(
        f'SELECT "objectId" FROM {TABLE} WHERE lower({quote(column)}) = lower({conn.dialect.placeholder(1)})',
        [value],
    )
    return [r["objectId"] for r in found]


async def with_email(conn: Conn, email: str) -> dict[str, Any] | None:
    """``objectId``, ``username``, ``email`` and ``emailVerified`` (a bool) of the user whose email
    is ``email`` ignoring case (the first one found)."""
    d = conn.dialect
    row = await conn.fetchrow(
        f'SELECT "objectId", "username", "email", "emailVerified" FROM {TABLE} '
        f'WHERE lower("email") = lower({d.placeholder(1)})',
        [email],
    )
    if row is None:
        return None
    return {**dict(row), "emailVerified": d.from_db("Boolean", row["emailVerified"])}


async def for_password_reset(conn: Conn, email: str) -> Row | None:
    """``objectId``, ``username`` and ``email`` of the user a reset request names: by email ignoring
    case, or a user without email whose username is ``email`` (Parse's fallback)."""
    p = conn.dialect.placeholder
    return await conn.fetchrow(
        f'SELECT "objectId", "username", "email" FROM {TABLE} '
        f'WHERE lower("email") = lower({p(1)}) OR ("username" = {p(2)} AND "email" IS NULL)',
        [email, email],
    )


async def holding_address(conn: Conn, address: str) -> str | None:
    """The objectId of a user whose email or username, lowercased, is ``address`` (already lowercase)."""
    p = conn.dialect.placeholder
    found = await conn.fetchval(
        f'SELECT "objectId" FROM {TABLE} WHERE lower("email") = {p(1)} OR lower("username") = {p(2)}',
        [address, address],
    )
    return None if found is None else str(found)


async def username_exists(conn: Conn, username: str) -> bool:
    found = await conn.fetchval(
        f'SELECT 1 FROM {TABLE} WHERE "username" = {conn.dialect.placeholder(1)}', [username]
    )
    return bool(found)

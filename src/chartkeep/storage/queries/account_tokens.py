"""``_AccountToken`` rows: password-reset and email-verification tokens, stored as SHA-256 digests."""

from __future__ import annotations

from typing import Any

from chartkeep.storage.database import Conn, Row
from chartkeep.storage.dialect import quote
from chartkeep.storage.internal import ACCOUNT_TOKEN

TABLE = quote(ACCOUNT_TOKEN)


async def insert(conn: Conn, digest: str, purpose: str, user_id: str, expires_at: float) -> None:
    p = conn.dialect.placeholder
    await conn.execute(
        f'INSERT INTO {TABLE} ("digest", "purpose", "user", "expiresAt") VALUES ({p(1)}, {p(2)}, {p(3)}, {p(4)})',
        [digest, purpose, user_id, expires_at],
    )


async def find(conn: Conn, digest: str, purpose: str, username: str) -> Row | None:
    """The token's ``user`` and ``expiresAt`` when it exists for ``purpose`` and user ``username``."""
    p = conn.dialect.placeholder
    return await conn.fetchrow(
        f'SELECT t."user", t."expiresAt" FROM {TABLE} t JOIN {quote("_User")} u ON u."objectId" = t."user" '
        f'WHERE t."digest" = {p(1)} AND t."purpose" = {p(2)} AND u."username" = {p(3)}',
        [digest, purpose, username],
    )


async def delete(conn: Conn, user_id: str, purpose: str | None) -> int:
    """Delete the user's tokens of ``purpose`` (of every purpose when None); how many went."""
    p = conn.dialect.placeholder
    params: list[Any] = [user_id]
    sql = f'DELETE FROM {TABLE} WHERE "user" = {p(1)}'
    if purpose is not None:
        sql += f' AND "purpose" = {p(2)}'
        params.append(purpose)
    return await conn.execute(sql, params)

"""``_SmartClient`` and ``_SmartToken`` rows: SMART on FHIR apps and their codes and tokens.

Secrets are stored only as SHA-256 digests (``secret``, ``digest``); times are epoch seconds.
"""

from __future__ import annotations

from typing import Any

from chartkeep.storage.database import Conn, Row
from chartkeep.storage.dialect import quote
from chartkeep.storage.internal import SMART_CLIENT, SMART_TOKEN

CLIENTS = quote(SMART_CLIENT)
TOKENS = quote(SMART_TOKEN)
TOKEN_COLUMNS = ('"objectId", "digest", "kind", "client", "user", "scope", "patient", "challenge", "redirectUri", '
                 '"family", "expiresAt", "usedAt", "revokedAt"')


async def insert_client(conn: Conn, client_id: str, name: str, secret: str | None, redirect_uris: str, scope: str,
                        created_at: float) -> None:
    p = conn.dialect.placeholder
    await conn.execute(
        f'INSERT INTO {CLIENTS} ("objectId", "name", "secret", "redirectUris", "scope", "createdAt") '
        f"VALUES ({p(1)}, {p(2)}, {p(3)}, {p(4)}, {p(5)}, {p(6)})",
        [client_id, name, secret, redirect_uris, scope, created_at],
    )


async def client(conn: Conn, client_id: str) -> Row | None:
    p = conn.dialect.placeholder
    return await conn.fetchrow(
        f'SELECT "objectId", "name", "secret", "redirectUris", "scope" FROM {CLIENTS} WHERE "objectId" = {p(1)}',
        [client_id],
    )


async def insert_token(conn: Conn, values: dict[str, Any]) -> None:
    p = conn.dialect.placeholder
    names = [c.strip().strip('"') for c in TOKEN_COLUMNS.split(",")]
    await conn.execute(
        f"INSERT INTO {TOKENS} ({TOKEN_COLUMNS}) VALUES ({', '.join(p(i + 1) for i in range(len(names)))})",
        [values.get(n) for n in names],
    )


async def token(conn: Conn, digest: str) -> Row | None:
    p = conn.dialect.placeholder
    return await conn.fetchrow(f"SELECT {TOKEN_COLUMNS} FROM {TOKENS} WHERE \"digest\" = {p(1)}", [digest])


async def use(conn: Conn, object_id: str, now: float) -> bool:
    """Mark a code or refresh token used; False when it was used (or revoked) already — a race lost."""
    p = conn.dialect.placeholder
    done = await conn.execute(
        f'UPDATE {TOKENS} SET "usedAt" = {p(1)} WHERE "objectId" = {p(2)} AND "usedAt" IS NULL '
        f'AND "revokedAt" IS NULL',
        [now, object_id],
    )
    return done == 1


async def live_in_family(conn: Conn, family: str) -> list[Row]:
    """The family's codes and tokens not revoked yet (what a revocation ends)."""
    p = conn.dialect.placeholder
    return await conn.fetch(
        f'SELECT "objectId", "kind" FROM {TOKENS} WHERE "family" = {p(1)} AND "revokedAt" IS NULL', [family])


async def revoke_family(conn: Conn, family: str, now: float) -> int:
    p = conn.dialect.placeholder
    return await conn.execute(
        f'UPDATE {TOKENS} SET "revokedAt" = {p(1)} WHERE "family" = {p(2)} AND "revokedAt" IS NULL', [now, family])


async def revoke_user(conn: Conn, user_id: str, now: float) -> int:
    """Every live code and token of the user (their sessions ended: a password change, a deletion)."""
    p = conn.dialect.placeholder
    return await conn.execute(
        f'UPDATE {TOKENS} SET "revokedAt" = {p(1)} WHERE "user" = {p(2)} AND "revokedAt" IS NULL', [now, user_id])

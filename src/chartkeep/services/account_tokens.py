"""Single-use tokens for password reset and email verification, stored only as SHA-256 digests.

A user has at most one live token per purpose: issuing a new one voids the older link (as Parse
overwrites ``_perishable_token``); using one deletes it.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from chartkeep.schema.ids import token_digest
from chartkeep.storage.database import Conn
from chartkeep.storage.dialect import quote
from chartkeep.storage.internal import ACCOUNT_TOKEN

RESET = "reset"
VERIFY = "verify"
TABLE = quote(ACCOUNT_TOKEN)


@dataclass(frozen=True, slots=True)
class Found:
    user_id: str
    expired: bool


async def issue(conn: Conn, purpose: str, user_id: str, validity_seconds: int) -> str:
    await void(conn, purpose, user_id)
    token = secrets.token_urlsafe(24)
    p = conn.dialect.placeholder
    await conn.execute(
        f'INSERT INTO {TABLE} ("digest", "purpose", "user", "expiresAt") VALUES ({p(1)}, {p(2)}, {p(3)}, {p(4)})',
        [token_digest(token), purpose, user_id, time.time() + validity_seconds],
    )
    return token


async def find(conn: Conn, purpose: str, token: str, username: str) -> Found | None:
    """The token, if it exists for ``purpose`` and belongs to the user named ``username`` (the
    links carry both, as Parse's do)."""
    p = conn.dialect.placeholder
    row = await conn.fetchrow(
        f'SELECT t."user", t."expiresAt" FROM {TABLE} t JOIN {quote("_User")} u ON u."objectId" = t."user" '
        f'WHERE t."digest" = {p(1)} AND t."purpose" = {p(2)} AND u."username" = {p(3)}',
        [token_digest(token), purpose, username],
    )
    if row is None:
        return None
    return Found(row["user"], row["expiresAt"] <= time.time())


async def void(conn: Conn, purpose: str | None, user_id: str) -> None:
    """Delete the user's tokens of ``purpose`` (of every purpose when None)."""
    p = conn.dialect.placeholder
    if purpose is None:
        await conn.execute(f'DELETE FROM {TABLE} WHERE "user" = {p(1)}', [user_id])
    else:
        await conn.execute(f'DELETE FROM {TABLE} WHERE "user" = {p(1)} AND "purpose" = {p(2)}', [user_id, purpose])

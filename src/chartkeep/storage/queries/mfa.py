"""``_MFA`` rows: a user's TOTP secret, the digests of their unused recovery codes (one
comma-separated text) and the last time step a code was accepted for (accounts/mfa.py)."""

from __future__ import annotations

from chartkeep.storage.database import Conn, Row
from chartkeep.storage.dialect import quote
from chartkeep.storage.internal import MFA

TABLE = quote(MFA)


async def insert(conn: Conn, user_id: str, secret: str, recovery: str) -> None:
    p = conn.dialect.placeholder
    await conn.execute(
        f'INSERT INTO {TABLE} ("user", "secret", "recovery", "lastStep") '
        f"VALUES ({p(1)}, {p(2)}, {p(3)}, NULL)",
        [user_id, secret, recovery],
    )


async def find(conn: Conn, user_id: str) -> Row | None:
    """The user's ``secret``, ``recovery`` and ``lastStep``; None when MFA is off for them."""
    return await conn.fetchrow(
        f'SELECT "secret", "recovery", "lastStep" FROM {TABLE} WHERE "user" = {conn.dialect.placeholder(1)}',
        [user_id],
    )


async def delete(conn: Conn, user_id: str) -> None:
    await conn.execute(f'DELETE FROM {TABLE} WHERE "user" = {conn.dialect.placeholder(1)}', [user_id])


async def set_recovery(conn: Conn, user_id: str, recovery: str) -> None:
    """The recovery-code digests left (a code was spent)."""
    p = conn.dialect.placeholder
    await conn.execute(f'UPDATE {TABLE} SET "recovery" = {p(1)} WHERE "user" = {p(2)}', [recovery, user_id])


async def set_last_step(conn: Conn, user_id: str, step: int) -> None:
    """The time step of the code just accepted (no code of that step or earlier is taken again)."""
    p = conn.dialect.placeholder
    await conn.execute(f'UPDATE {TABLE} SET "lastStep" = {p(1)} WHERE "user" = {p(2)}', [step, user_id])

"""``_Lockout`` rows: failed logins counted per key (a user, or a normalised name that matches no
user) and the end of the lock, in epoch seconds (accounts/lockout.py holds the policy)."""

from __future__ import annotations

from chartkeep.storage.database import Conn, Row
from chartkeep.storage.dialect import quote
from chartkeep.storage.internal import LOCKOUT

TABLE = quote(LOCKOUT)


async def state(conn: Conn, key: str) -> Row | None:
    """The key's ``failures`` and ``lockedUntil``; None when it has no failure counted."""
    return await conn.fetchrow(
        f'SELECT "failures", "lockedUntil" FROM {TABLE} WHERE "key" = {conn.dialect.placeholder(1)}', [key]
    )


async def count_failure(conn: Conn, key: str, locked_until: float, threshold: int) -> None:
    """One more failure for the key; once it has ``threshold`` of them, locked until ``locked_until``."""
    p = conn.dialect.placeholder
    await conn.execute(
        f'INSERT INTO {TABLE} ("key", "failures", "lockedUntil") VALUES ({p(1)}, 1, NULL) '
        f'ON CONFLICT ("key") DO UPDATE SET "failures" = {TABLE}."failures" + 1',
        [key],
    )
    await conn.execute(
        f'UPDATE {TABLE} SET "lockedUntil" = {p(1)} WHERE "key" = {p(2)} AND "failures" >= {p(3)}',
        [locked_until, key, threshold],
    )


async def clear_account(conn: Conn, key: str) -> None:
    """Forget the account's failures from every client address (keys ``<key>|ip:<address>``)."""
    p = conn.dialect.placeholder
    await conn.execute(f'DELETE FROM {TABLE} WHERE "key" = {p(1)} OR substr("key", 1, {p(2)}) = {p(3)}',
                       [key, len(key) + 4, key + "|ip:"])


async def clear(conn: Conn, key: str) -> None:
    """Forget the key's failures (and its lock)."""
    await conn.execute(f'DELETE FROM {TABLE} WHERE "key" = {conn.dialect.placeholder(1)}', [key])

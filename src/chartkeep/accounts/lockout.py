"""Account lockout after repeated failed logins (Parse Server's ``accountLockout`` policy).

As Parse (src/AccountLockout.js): every failed login adds one to a counter; once it reaches the
threshold the account is locked for ``duration`` minutes, and while locked every login — the right
password included — is refused with 101 ``Your account is locked due to multiple failed login
attempts. Please try again after <duration> minute(s)``. The attempt that reaches the threshold
still answers ``Invalid username/password.``. A successful login resets the counter; attempts on a
locked account do not extend the lock; a failure after the lock expired locks again at once
(the counter is not reset by time, only by a success).

Unlike Parse, failures are counted for names that match no user too (in ``_Lockout``, keyed by the
normalised username/email), so a locked-out answer says nothing about whether the account exists;
an existing user is keyed by objectId, so username and email share one counter. A wrong MFA token
counts as a failure as well.
"""

from __future__ import annotations

import time

from chartkeep.core.handles import Core
from chartkeep.errors import Code, ParseError
from chartkeep.storage.database import Conn
from chartkeep.storage.queries import lockout as table


def lockout_key(user_id: str | None, name: str) -> str:
    return f"user:{user_id}" if user_id else f"name:{name.strip().lower()}"


def locked_error(core: Core) -> ParseError:
    return ParseError(
        Code.OBJECT_NOT_FOUND,
        "Your account is locked due to multiple failed login attempts. Please try again after "
        f"{core.settings.account_lockout_duration} minute(s)",
    )


async def ensure_not_locked(core: Core, key: str) -> None:
    threshold = core.settings.account_lockout_threshold
    if threshold <= 0:
        return
    async with core.db.read() as conn:
        row = await table.state(conn, key)
    if row and row["failures"] >= threshold and row["lockedUntil"] is not None and row["lockedUntil"] > time.time():
        raise locked_error(core)


async def record_failure(core: Core, key: str) -> None:
    threshold = core.settings.account_lockout_threshold
    if threshold <= 0:
        return
    until = time.time() + core.settings.account_lockout_duration * 60
    async with core.db.transaction() as tx:
        await table.count_failure(tx, key, until, threshold)


async def reset(core: Core, key: str, conn: Conn | None = None) -> None:
    if conn is not None:
        await table.clear(conn, key)
        return
    async with core.db.transaction() as tx:
        await table.clear(tx, key)

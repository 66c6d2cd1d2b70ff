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

So that nobody can lock a clinician out at will, failures are counted per account *and client
IP*: five wrong passwords from an attacker's address lock that name for that address only, while
the clinician's workstation logs in as before. Guessing is bounded per address by the same lock,
and across names by the per-IP limit: ``login_ip_failure_limit`` failed logins from one address
(any names) within ``account_lockout_duration`` minutes shut that address out of login (429
``Too many requests.``) until the period ends — a password spray from one address stops there,
and a success does not reset it. Both counters live in ``_Lockout``, so every process shares them.
A clinic behind one NAT address shares its per-IP counter (docs/accounts.md).
"""

from __future__ import annotations

import time

from chartkeep.core.handles import Core
from chartkeep.errors import Code, ParseError, TooManyRequests
from chartkeep.storage.database import Conn, Row, use
from chartkeep.storage.queries import lockout as table


def lockout_key(user_id: str | None, name: str) -> str:
    return f"user:{user_id}" if user_id else f"name:{name.strip().lower()}"


def pair_key(key: str, ip: str | None) -> str:
    """The account's counter for one client address."""
    return f"{key}|ip:{ip or '?'}"


def ip_key(ip: str | None) -> str:
    return f"ip:{ip or '?'}"


def locked_error(core: Core) -> ParseError:
    return ParseError(
        Code.OBJECT_NOT_FOUND,
        "Your account is locked due to multiple failed login attempts. Please try again after "
        f"{core.settings.account_lockout_duration} minute(s)",
    )


def _locked(row: Row | None, threshold: int, now: float) -> bool:
    return bool(row and row["failures"] >= threshold and row["lockedUntil"] is not None and row["lockedUntil"] > now)


async def ensure_not_locked(core: Core, key: str, ip: str | None) -> None:
    settings = core.settings
    now = time.time()
    async with core.db.read() as conn:
        by_ip = await table.state(conn, ip_key(ip)) if settings.login_ip_failure_limit > 0 else None
        pair = await table.state(conn, pair_key(key, ip)) if settings.account_lockout_threshold > 0 else None
    if _locked(by_ip, settings.login_ip_failure_limit, now):
        raise TooManyRequests(max(1, int(by_ip["lockedUntil"] - now) + 1) if by_ip else 1)
    if _locked(pair, settings.account_lockout_threshold, now):
        raise locked_error(core)


async def record_failure(core: Core, key: str, ip: str | None) -> None:
    settings = core.settings
    now = time.time()
    until = now + settings.account_lockout_duration * 60
    async with core.db.transaction() as tx:
        if settings.account_lockout_threshold > 0:
            await table.count_failure(tx, pair_key(key, ip), until, settings.account_lockout_threshold)
        if settings.login_ip_failure_limit > 0:
            state = await table.state(tx, ip_key(ip))
            if state is not None and state["lockedUntil"] is not None and state["lockedUntil"] <= now:
                await table.clear(tx, ip_key(ip))  # the address's period ended: count afresh
            await table.count_failure(tx, ip_key(ip), until, settings.login_ip_failure_limit)


async def reset(core: Core, key: str, conn: Conn | None = None, ip: str | None = None) -> None:
    """A success clears the account's counter for that address (``ip``), or — a password reset,
    ``ip`` None — for every address. The per-IP counter is never cleared by a success."""
    async with use(core.db, conn, write=True) as tx:
        if ip is None:
            await table.clear_account(tx, key)
        else:
            await table.clear(tx, pair_key(key, ip))

"""Single-use tokens for password reset and email verification, stored only as SHA-256 digests.

A user has at most one live token per purpose: issuing a new one voids the older link (as Parse
overwrites ``_perishable_token``); using one deletes it. Issuing a token is a ledger entry on the
user (``password_reset_request`` / ``email_verification_request``) naming the link, never its
token; using or voiding one is named by the entry of the write it belongs to (a password set, an
email verified, a user changed or deleted).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.ledger import entries as ledger
from chartkeep.schema.ids import token_digest
from chartkeep.storage.database import Conn
from chartkeep.storage.queries import account_tokens as table

RESET = "reset"
VERIFY = "verify"
EVENTS = {RESET: "password_reset_request", VERIFY: "email_verification_request"}
LINKS = {RESET: "a password reset link", VERIFY: "an email verification link"}


@dataclass(frozen=True, slots=True)
class Found:
    user_id: str
    expired: bool


async def issue(core: Core, conn: Conn, ctx: RequestContext, purpose: str, user_id: str, validity_seconds: int,
                why: str = "") -> str:
    """A new token for the user (voiding the older one), and its ledger entry, in ``conn``'s transaction."""
    await void(conn, purpose, user_id)
    token = secrets.token_urlsafe(24)
    await table.insert(conn, token_digest(token), purpose, user_id, time.time() + validity_seconds)
    details = f"{LINKS[purpose]} issued, valid {validity_seconds} s" + (f" ({why})" if why else "")
    await ledger.record(core, conn, [ledger.entry(ctx, EVENTS[purpose], target_class="_User", target_id=user_id,
                                                  details=details)])
    return token


async def find(conn: Conn, purpose: str, token: str, username: str) -> Found | None:
    """The token, if it exists for ``purpose`` and belongs to the user named ``username`` (the
    links carry both, as Parse's do)."""
    row = await table.find(conn, token_digest(token), purpose, username)
    if row is None:
        return None
    return Found(row["user"], row["expiresAt"] <= time.time())


async def void(conn: Conn, purpose: str | None, user_id: str) -> None:
    """Delete the user's tokens of ``purpose`` (of every purpose when None)."""
    await table.delete(conn, user_id, purpose)

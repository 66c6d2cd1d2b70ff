"""TOTP multi-factor authentication, shaped as Parse Server's built-in ``mfa`` auth adapter.

Wire contract (Parse src/Adapters/Auth/mfa.js with ``options: ['TOTP']``, 6 digits, 30 s, SHA1):

* enrol: ``PUT /users/:id {"authData": {"mfa": {"secret": <base32, >= 20 chars>, "token": <code>}}}``
  → the reply carries ``authDataResponse: {"mfa": {"recovery": "<code1>, <code2>"}}``;
  re-enrolling a user who has MFA needs ``old`` (a current code or a recovery code);
  ``{"authData": {"mfa": null}}`` turns it off;
* login: ``{username, password, authData: {mfa: {token}}}``; without it
  -1 ``Missing additional authData mfa``; a wrong code 141 ``Invalid MFA token``;
* reads show ``authData: {"mfa": {"status": "enabled"}}`` (Parse's afterFind).

Unlike Parse, the secret never sits in ``authData`` (it lives in the internal ``_MFA`` table, so no
read — master key included — returns it and no query matches on it), a recovery code works once,
a code is not accepted twice (RFC 6238 §5.2) and other auth providers are refused (252).
"""

from __future__ import annotations

import binascii
import hmac
import secrets
import string
import time
from dataclasses import dataclass, field
from typing import Any

import pyotp

from chartkeep.context import RequestContext
from chartkeep.errors import Code, ParseError
from chartkeep.schema.ids import token_digest
from chartkeep.storage.database import Conn
from chartkeep.storage.queries import mfa as table

PERIOD = 30
DIGITS = 6
WINDOW = 1  # steps either side of now, as otpauth's default
ENABLED = {"mfa": {"status": "enabled"}}
ALPHANUMERIC = string.ascii_letters + string.digits


def _fail(message: str) -> ParseError:
    return ParseError(Code.SCRIPT_FAILED, message)  # Parse: adapter errors become 141 (resolveError)


@dataclass(slots=True)
class MfaRow:
    secret: str
    recovery: list[str]  # digests of unused recovery codes
    last_step: int | None


@dataclass(slots=True)
class AuthDataChange:
    """What a write's ``authData`` turns into: the visible value, the _MFA row, the reply extra."""

    visible: dict[str, Any] | None = None
    store: MfaRow | None = None
    remove: bool = False
    response: dict[str, Any] = field(default_factory=dict)

    async def apply(self, conn: Conn, user_id: str) -> None:
        if self.remove or self.store is not None:
            await forget(conn, user_id)
        if self.store is not None:
            await table.insert(conn, user_id, self.store.secret, ",".join(self.store.recovery))


async def load(conn: Conn, user_id: str) -> MfaRow | None:
    row = await table.find(conn, user_id)
    if row is None:
        return None
    return MfaRow(row["secret"], [d for d in (row["recovery"] or "").split(",") if d], row["lastStep"])


async def forget(conn: Conn, user_id: str) -> None:
    await table.delete(conn, user_id)


def _matching_step(secret: str, token: str, after: int | None) -> int | None:
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD)
    now = int(time.time()) // PERIOD
    for step in range(now - WINDOW, now + WINDOW + 1):
        if (after is None or step > after) and hmac.compare_digest(totp.at(step * PERIOD).encode(), token.encode()):
            return step
    return None


def _valid_secret(secret: Any) -> bool:
    if not isinstance(secret, str) or len(secret) < 20:
        return False
    try:
        pyotp.TOTP(secret).byte_secret()
    except (binascii.Error, ValueError):
        return False
    return True


def _setup(data: dict[str, Any]) -> AuthDataChange:
    secret, token = data.get("secret"), data.get("token")
    if not token or not _valid_secret(secret) or not isinstance(secret, str):
        raise _fail("Invalid MFA data")
    if not isinstance(token, str) or _matching_step(secret, token, None) is None:
        raise _fail("Invalid MFA token")
    codes = ["".join(secrets.choice(ALPHANUMERIC) for _ in range(30)) for _ in range(2)]
    return AuthDataChange(
        visible=dict(ENABLED),
        store=MfaRow(secret, [token_digest(c) for c in codes], None),
        response={"mfa": {"recovery": ", ".join(codes)}},
    )


async def plan_auth_data(ctx: RequestContext, conn: Conn, user_id: str | None, auth_data: Any) -> AuthDataChange:
    """Validate the ``authData`` of a sign-up or user update (``user_id`` None at sign-up)."""
    if not isinstance(auth_data, dict):
        raise ParseError(Code.OTHER_CAUSE, "authData should be an object.")
    if any(name != "mfa" and value is not None for name, value in auth_data.items()):
        raise ParseError(Code.UNSUPPORTED_SERVICE, "This authentication method is unsupported.")
    current = await load(conn, user_id) if user_id else None
    data = auth_data.get("mfa")
    if "mfa" not in auth_data:
        return AuthDataChange(visible=dict(ENABLED) if current else None)
    if data is None:
        return AuthDataChange(visible=None, remove=True)
    if not isinstance(data, dict):
        raise _fail("Invalid MFA data")
    if current is not None and data == ENABLED["mfa"]:
        return AuthDataChange(visible=dict(ENABLED))  # the value reads return, sent back unchanged
    if current is not None and not ctx.is_master:
        await verify(conn, user_id or "", current, data.get("old"))
    return _setup(data)


async def verify(conn: Conn, user_id: str, row: MfaRow, token: Any) -> None:
    """Accept a current TOTP code (once) or an unused recovery code (then spent); else 141."""
    if not isinstance(token, str):
        raise _fail("Invalid MFA token")
    digest = token_digest(token)
    if any(hmac.compare_digest(digest, d) for d in row.recovery):
        await table.set_recovery(conn, user_id, ",".join(d for d in row.recovery if d != digest))
        return
    step = _matching_step(row.secret, token, row.last_step)
    if step is None:
        raise _fail("Invalid MFA token")
    await table.set_last_step(conn, user_id, step)


async def check_login(conn: Conn, user_id: str, auth_data: Any) -> None:
    """The second factor of a password login (Parse: checkIfUserHasProvidedConfiguredProvidersForLogin,
    then the adapter's validateLogin)."""
    row = await load(conn, user_id)
    given = auth_data if isinstance(auth_data, dict) else {}
    if row is not None and not given.get("mfa"):
        raise ParseError(Code.OTHER_CAUSE, "Missing additional authData mfa")
    if auth_data is None:
        return
    if not isinstance(auth_data, dict):
        raise ParseError(Code.OTHER_CAUSE, "authData should be an object.")
    if any(name != "mfa" and value is not None for name, value in auth_data.items()):
        raise ParseError(Code.UNSUPPORTED_SERVICE, "This authentication method is unsupported.")
    data = auth_data.get("mfa")
    if data is None:
        return
    if row is None:
        raise _fail("Invalid MFA data")  # Parse sets up the provider, which needs a secret
    await verify(conn, user_id, row, data.get("token") if isinstance(data, dict) else None)

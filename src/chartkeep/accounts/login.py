"""``GET/POST /login``: a flat pipeline of named steps, in Parse Server's order
(src/Routers/UsersRouter.js _authenticateUserFromRequest, then handleLogIn):

    read_credentials → find_user → not_locked → check_password (count the failure / reset)
    → email_verified → second_factor (MFA) → open_session (re-hash, replace the installation's
    session) → reply (``authDataResponse`` when the client sent ``authData``, as Parse)

A login is a ``login`` ledger entry in the session's transaction; a refused one, whatever the
step, a ``login_failed`` entry naming the user when one was found.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chartkeep import metrics
from chartkeep.accounts import email_verification, lockout, mfa
from chartkeep.accounts.passwords import hash_password, needs_rehash, verify_password
from chartkeep.accounts.sessions import create_session, revoke_user_sessions
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.errors import Code, ParseError
from chartkeep.ledger import entries
from chartkeep.records import commit
from chartkeep.records.present import present
from chartkeep.storage import rows
from chartkeep.storage.database import Conn
from chartkeep.storage.queries import users

INVALID_LOGIN = "Invalid username/password."


@dataclass(slots=True)
class Attempt:
    name: str
    column: str
    password: str
    auth_data: Any
    user: dict[str, Any] | None = None
    key: str = ""
    ip: str | None = None  # the client address: lockout counts per account and address


def read_credentials(params: dict[str, Any]) -> Attempt:
    username, email, password = params.get("username"), params.get("email"), params.get("password")
    if not username and not email:
        raise ParseError(Code.USERNAME_MISSING, "username/email is required.")
    if password is None or password == "":
        raise ParseError(Code.PASSWORD_MISSING, "password is required.")
    if not isinstance(password, str) or (email and not isinstance(email, str)) or (
        username and not isinstance(username, str)
    ):
        raise ParseError(Code.OBJECT_NOT_FOUND, INVALID_LOGIN)
    name, column = (username, "username") if username else (email, "email")
    if "\x00" in str(name):
        raise ParseError(Code.OBJECT_NOT_FOUND, INVALID_LOGIN)  # no name holds NUL (PostgreSQL text cannot)
    return Attempt(str(name), column, password, params.get("authData"))


async def find_user(core: Core, conn: Conn, a: Attempt) -> None:
    schema = core.registry.get("_User")
    assert schema is not None
    found = await rows.fetch_by(conn, schema, a.column, a.name)
    if not found:
        found = await users.named_ignoring_case(conn, schema, a.column, a.name)
    a.user = found[0] if len(found) == 1 else None
    a.key = lockout.lockout_key(a.user["objectId"] if a.user else None, a.name)


_dummy_hash: list[str] = []


async def check_password(core: Core, a: Attempt) -> None:
    """An unknown name costs a hash check too, so timing does not tell which names exist."""
    if not _dummy_hash:
        _dummy_hash.append(await hash_password("chartkeep-no-such-user"))
    stored = a.user.get("_hashed_password") if a.user else None
    ok = await verify_password(stored or _dummy_hash[0], a.password)
    if not ok or a.user is None:
        await lockout.record_failure(core, a.key, a.ip)
        raise ParseError(Code.OBJECT_NOT_FOUND, INVALID_LOGIN)


def email_verified(core: Core, a: Attempt) -> None:
    assert a.user is not None
    if email_verification.blocks_login(core) and not a.user.get("emailVerified"):
        raise ParseError(Code.EMAIL_NOT_FOUND, "User email is not verified.")


async def second_factor(core: Core, conn: Conn, a: Attempt) -> None:
    assert a.user is not None
    await mfa.check_login(conn, a.user["objectId"], a.auth_data)


async def open_session(core: Core, ctx: RequestContext, conn: Conn, a: Attempt) -> str:
    assert a.user is not None
    schema = core.registry.get("_User")
    assert schema is not None
    user_id = a.user["objectId"]
    if needs_rehash(a.user["_hashed_password"]):  # a bcrypt hash imported from Parse: argon2id from now on
        acting = RequestContext(ctx.app_id, user={"objectId": user_id}, client_ip=ctx.client_ip)
        await commit.update(core, conn, acting, schema, user_id, {"_hashed_password": await hash_password(a.password)},
                            why="password hash upgraded to argon2id at login")
    if ctx.installation_id:
        # As Parse: a new login replaces the user's older session on the same installation.
        await revoke_user_sessions(core, conn, user_id, ctx.installation_id)
    return await create_session(core, conn, user_id, "login", ctx.installation_id)


def reply(core: Core, ctx: RequestContext, a: Attempt, token: str) -> dict[str, Any]:
    assert a.user is not None
    schema = core.registry.get("_User")
    assert schema is not None
    me = RequestContext(ctx.app_id, user=a.user, base_url=ctx.base_url)
    out = {**present(schema, a.user, me), "sessionToken": token}
    if a.auth_data:
        out["authDataResponse"] = {}
    return out


async def log_in(core: Core, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    a = read_credentials(params)
    try:
        return await _log_in(core, ctx, a)
    except ParseError as exc:
        metrics.login_failed()
        user_id = a.user["objectId"] if a.user else None
        await core.ledger.append([entries.login_entry(ctx, user_id, False, a.name, f"{exc.code}: {exc.message}")])
        raise


async def _log_in(core: Core, ctx: RequestContext, a: Attempt) -> dict[str, Any]:
    async with core.db.read() as conn:
        await find_user(core, conn, a)
    a.ip = ctx.client_ip
    await lockout.ensure_not_locked(core, a.key, a.ip)
    await check_password(core, a)
    email_verified(core, a)
    assert a.user is not None
    await core.hooks.run_account("before_login", core, ctx, a.user)  # Cloud Code may refuse the login
    try:
        async with core.db.transaction() as tx:
            await second_factor(core, tx, a)
            token = await open_session(core, ctx, tx, a)
            await lockout.reset(core, a.key, tx, a.ip or "?")
            assert a.user is not None
            await entries.record(core, tx, [entries.login_entry(ctx, a.user["objectId"], True)])
    except ParseError as exc:
        if exc.code == Code.SCRIPT_FAILED:  # a wrong MFA code counts as a failed login (Parse: passwords only)
            await lockout.record_failure(core, a.key, a.ip)
        raise
    await core.hooks.run_account("after_login", core, ctx, a.user)  # failures are logged, never undo it
    return reply(core, ctx, a, token)


async def check_credentials(core: Core, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """The same checks as a login (lockout, password, verified email, MFA: ``authData.mfa.token``)
    without opening a session — for a sign-in that grants something else (a SMART app's
    authorization). The internal ``_User`` row; a ``login`` / ``login_failed`` entry either way."""
    a = read_credentials(params)
    try:
        async with core.db.read() as conn:
            await find_user(core, conn, a)
        a.ip = ctx.client_ip
        await lockout.ensure_not_locked(core, a.key, a.ip)
        await check_password(core, a)
        email_verified(core, a)
        assert a.user is not None
        async with core.db.transaction() as tx:
            await second_factor(core, tx, a)
            await lockout.reset(core, a.key, tx, a.ip or "?")
            entry = entries.login_entry(ctx, a.user["objectId"], True, reason=params.get("purpose"))
            await entries.record(core, tx, [entry])
    except ParseError as exc:
        user_id = a.user["objectId"] if a.user else None
        await core.ledger.append([entries.login_entry(ctx, user_id, False, a.name, f"{exc.code}: {exc.message}")])
        raise
    return a.user

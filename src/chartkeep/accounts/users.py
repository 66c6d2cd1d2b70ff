"""Sign-up, ``/users/me`` and updates of ``_User`` (password hashing, uniqueness).

``_User`` objects go through the same write pipeline as every class; this module adds what Parse
does around it: username/password rules, case-insensitive uniqueness, the hash in a hidden column,
a private default ACL (the user alone, as Parse Server 9) and a session for the new user.
"""

from __future__ import annotations

import re
from typing import Any

from chartkeep.accounts import invited_sign_up, user_rules
from chartkeep.accounts.passwords import hash_password
from chartkeep.accounts.sessions import create_session, revoke_user_sessions
from chartkeep.accounts.user_roles import default_user_acl
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.errors import Code, ParseError
from chartkeep.ledger.entries import refusals
from chartkeep.records import reads, writes
from chartkeep.schema.ids import new_object_id
from chartkeep.storage.database import Conn, use
from chartkeep.storage.queries import users as table

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


async def _taken(conn: Conn, column: str, value: str, except_id: str | None = None) -> bool:
    return any(found != except_id for found in await table.ids_named(conn, column, value))


async def _check_unique(conn: Conn, body: dict[str, Any], except_id: str | None = None) -> None:
    if isinstance(body.get("username"), str) and await _taken(conn, "username", body["username"], except_id):
        raise ParseError(Code.USERNAME_TAKEN, "Account already exists for this username.")
    if isinstance(body.get("email"), str) and await _taken(conn, "email", body["email"], except_id):
        raise ParseError(Code.EMAIL_TAKEN, "Account already exists for this email address.")


def _check_email(body: dict[str, Any]) -> None:
    email = body.get("email")
    if email is not None and (not isinstance(email, str) or not EMAIL_RE.match(email)):
        raise ParseError(Code.INVALID_EMAIL_ADDRESS, "Email address format is invalid.")


async def sign_up(core: Core, ctx: RequestContext, body: dict[str, Any], conn: Conn | None = None) -> dict[str, Any]:
    """A refused sign-up (a clinical role asked for, a name taken, a weak password…) is recorded as a
    failed ``create`` of ``_User``."""
    async with refusals(core, ctx, conn, "create", "_User"):
        return await _sign_up(core, ctx, body, conn)


async def _sign_up(core: Core, ctx: RequestContext, body: dict[str, Any], conn: Conn | None) -> dict[str, Any]:
    body = dict(body)
    username, password = body.get("username"), body.pop("password", None)
    if not isinstance(username, str) or not username:
        raise ParseError(Code.USERNAME_MISSING, "bad or missing username")
    if not isinstance(password, str) or not password:
        raise ParseError(Code.PASSWORD_MISSING, "password is required")
    if invited_sign_up.FIELD in body:  # a patient taking over the account a portal invitation made
        return await invited_sign_up.accept(core, ctx, body, password, conn)
    account = await user_rules.plan_sign_up(core, ctx, body, password, conn)
    _check_email(body)
    hashed = await hash_password(password)
    user_id = new_object_id()
    body.setdefault("ACL", default_user_acl(user_id, body.get("role")))  # private users, as Parse 9
    async with use(core.db, conn, write=True) as tx:
        await _check_unique(tx, body)
        created = await writes.create(
            core, ctx, "_User", body, tx, hidden={"_hashed_password": hashed}, assign_id=user_id
        )
        await account.apply(core, tx, ctx, user_id)
        if not user_rules.sign_up_opens_session(core):
            return {**created, **account.response}
        token = await create_session(core, tx, user_id, "signup", ctx.installation_id)
    return {**created, "sessionToken": token, **account.response}


async def update_user(
    core: Core, ctx: RequestContext, object_id: str, body: dict[str, Any], conn: Conn | None = None
) -> dict[str, Any]:
    """A refused update (206 for another user's account, a role change by a non-admin…) is recorded
    as a failed ``update`` of that ``_User``."""
    async with refusals(core, ctx, conn, "update", "_User", object_id):
        return await _update_user(core, ctx, object_id, body, conn)


async def _update_user(
    core: Core, ctx: RequestContext, object_id: str, body: dict[str, Any], conn: Conn | None
) -> dict[str, Any]:
    if not ctx.is_master and ctx.user_id != object_id and "role:admin" not in ctx.principals():
        raise ParseError(Code.SESSION_MISSING, "Permission denied")
    body = dict(body)
    hidden: dict[str, Any] = {}
    if "password" in body:
        password = body.pop("password")
        if not isinstance(password, str) or not password:
            raise ParseError(Code.PASSWORD_MISSING, "password is required")
        await user_rules.check_new_password(core, object_id, password, body.get("username"), conn)
        hidden["_hashed_password"] = await hash_password(password)
    if "username" in body and (not isinstance(body["username"], str) or not body["username"]):
        raise ParseError(Code.USERNAME_MISSING, "bad or missing username")
    account = await user_rules.plan_update(core, ctx, object_id, body, bool(hidden), conn)
    _check_email(body)
    async with use(core.db, conn, write=True) as tx:
        await _check_unique(tx, body, except_id=object_id)
        result = await writes.update(core, ctx, "_User", object_id, body, tx, hidden=hidden)
        await account.apply(core, tx, ctx, object_id)
        result.update(account.response)
        if hidden:
            # A password change ends every session of the user; the user gets a fresh one (as Parse).
            await revoke_user_sessions(core, tx, object_id)
            if ctx.user_id == object_id:  # never a session for someone else (an admin changing a password)
                result["sessionToken"] = await create_session(core, tx, object_id, "login", ctx.installation_id)
    return result


async def delete_user(core: Core, ctx: RequestContext, object_id: str, conn: Conn | None = None) -> None:
    async with refusals(core, ctx, conn, "delete", "_User", object_id):
        await _delete_user(core, ctx, object_id, conn)


async def _delete_user(core: Core, ctx: RequestContext, object_id: str, conn: Conn | None) -> None:
    if not ctx.is_master and ctx.user_id != object_id:
        raise ParseError(Code.SESSION_MISSING, "Insufficient auth to delete user")
    async with use(core.db, conn, write=True) as tx:
        await writes.delete(core, ctx, "_User", object_id, tx)
        await revoke_user_sessions(core, tx, object_id)
        await user_rules.forget_user(tx, object_id)


async def me(core: Core, ctx: RequestContext) -> dict[str, Any]:
    if ctx.user is None or ctx.session_token is None:
        raise ParseError(Code.INVALID_SESSION_TOKEN, "Permission denied")
    return await reads.get(core, ctx, "_User", ctx.user["objectId"], {})

"""Sessions: created at sign-up/login, listed, revoked. Tokens are stored only as SHA-256 digests."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.core.hooks import Hooks, WriteEvent
from chartkeep.errors import Code, ParseError
from chartkeep.ledger import entries
from chartkeep.records.present import present
from chartkeep.schema.dates import now_ms
from chartkeep.schema.ids import new_object_id, new_session_token, token_digest
from chartkeep.storage import rows
from chartkeep.storage.database import Conn, use
from chartkeep.storage.queries import sessions as table
from chartkeep.storage.queries import smart as smart_tokens


async def create_session(
    core: Core, conn: Conn, user_id: str, action: str, installation_id: str | None
) -> str:
    token = new_session_token()
    now = now_ms()
    schema = core.registry.get("_Session")
    user_schema = core.registry.get("_User")
    assert schema is not None and user_schema is not None
    found = await rows.fetch_by(conn, user_schema, "objectId", user_id)
    seconds = core.settings.session_length
    if not found or found[0].get("role") != "patient":  # staff: never past staff_session_length (auth/sessions.py)
        seconds = min(seconds, core.settings.staff_session_length)
    await rows.insert(
        conn,
        schema,
        {
            "objectId": new_object_id(),
            "createdAt": now,
            "updatedAt": now,
            "_rperm": [user_id],
            "_wperm": [user_id],
            "sessionToken": token_digest(token),
            "user": user_id,
            "createdWith": {"action": action, "authProvider": "password"},
            "expiresAt": now + timedelta(seconds=seconds),
            "installationId": installation_id,
        },
    )
    return token


async def revoke_user_sessions(core: Core, conn: Conn, user_id: str, installation_id: str | None = None) -> None:
    """End every session of a user (or only those of one installation); forget them at once. Ending
    every session (a password changed or reset, the user deleted) also revokes the user's SMART on
    FHIR codes and tokens: the entry of the write that caused it, on the user, names them."""
    forget_user(core, conn, user_id)
    await table.delete_of_user(conn, user_id, installation_id)
    if installation_id is None:
        await smart_tokens.revoke_user(conn, user_id, time.time())


def forget_user(core: Core, conn: Conn, user_id: str) -> None:
    """Drop the user's cached sessions now and again after commit (a request racing the commit may
    have cached one in between)."""
    core.sessions.drop_user(user_id)
    conn.on_commit(lambda: core.sessions.drop_user(user_id))


async def revoke_token(core: Core, token: str, ctx: RequestContext) -> None:
    """End the caller's session (``/logout``, GraphQL ``logOut``); a ``logout`` ledger entry joins it."""
    core.sessions.drop_digest(token_digest(token))
    async with core.db.transaction() as tx:
        tx.on_commit(lambda: core.sessions.drop_digest(token_digest(token)))
        ended = await table.delete_by_token(tx, token_digest(token))
        if ended:
            await entries.record(core, tx, [entries.entry(ctx, "logout", target_class="_User", target_id=ctx.user_id)])
    if ended and ctx.user is not None:
        await core.hooks.run_account("after_logout", core, ctx, ctx.user)  # Cloud Code; failures are logged


def _show(core: Core, ctx: RequestContext, session: dict[str, Any]) -> dict[str, Any]:
    schema = core.registry.get("_Session")
    assert schema is not None
    out = present(schema, session, ctx)
    if ctx.session_token and session.get("sessionToken") == token_digest(ctx.session_token):
        out["sessionToken"] = ctx.session_token
    else:
        out.pop("sessionToken", None)  # only digests are stored; the token itself is never shown
    return out


async def _user_sessions(core: Core, ctx: RequestContext, conn: Conn) -> list[dict[str, Any]]:
    schema = core.registry.get("_Session")
    assert schema is not None
    if ctx.is_master:
        return await table.every(conn, schema)
    return await table.of_user(conn, schema, require_user(ctx))  # every caller has required it already


def require_user(ctx: RequestContext, message: str = "Permission denied") -> str:
    if not ctx.user_id:
        raise ParseError(Code.INVALID_SESSION_TOKEN, message)
    return ctx.user_id


async def list_sessions(core: Core, ctx: RequestContext) -> dict[str, Any]:
    if not ctx.is_master:
        require_user(ctx)
    async with use(core.db, None) as conn:
        sessions = await _user_sessions(core, ctx, conn)
    return {"results": [_show(core, ctx, s) for s in sessions]}


async def current_session(core: Core, ctx: RequestContext) -> dict[str, Any]:
    require_user(ctx, "Session token required.")
    assert ctx.session_token is not None
    digest = token_digest(ctx.session_token)
    async with use(core.db, None) as conn:
        for session in await _user_sessions(core, ctx, conn):
            if session.get("sessionToken") == digest:
                return _show(core, ctx, session)
    raise ParseError(Code.INVALID_SESSION_TOKEN, "Invalid session token")


async def get_session(core: Core, ctx: RequestContext, object_id: str) -> dict[str, Any]:
    if not ctx.is_master:
        require_user(ctx)
    async with use(core.db, None) as conn:
        for session in await _user_sessions(core, ctx, conn):
            if session["objectId"] == object_id:
                return _show(core, ctx, session)
    raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found.")


async def delete_session(core: Core, ctx: RequestContext, object_id: str) -> None:
    """``DELETE /sessions/:id``: the caller ends one of their sessions (the master key, anyone's);
    a ``logout`` ledger entry on the session's user says so."""
    owner = None if ctx.is_master else require_user(ctx)  # the master key ends anyone's
    async with core.db.transaction() as tx:
        ended, user_id = await table.delete(tx, object_id, owner)
        if not ended:
            raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found.")
        await entries.record(core, tx, [entries.entry(ctx, "logout", target_class="_User", target_id=user_id,
                                                  details=f"session {object_id} revoked")])
        core.sessions.clear()  # which token it was is not known here (tokens are stored as digests)
        tx.on_commit(core.sessions.clear)  # again once committed, in every process (a request may race it)


async def _user_written(core: Core, event: WriteEvent) -> None:
    forget_user(core, event.conn, event.object_id)  # cached sessions carry the user's fields


async def _session_written(core: Core, event: WriteEvent) -> None:
    core.sessions.clear()  # a master-key write to _Session: which token is not known here
    event.conn.on_commit(core.sessions.clear)


def register(hooks: Hooks[Core]) -> None:
    for kind in ("after_save", "after_delete"):
        hooks.add(kind, "_User", _user_written)
        hooks.add(kind, "_Session", _session_written)

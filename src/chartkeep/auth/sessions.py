"""Session token → user, checked on every request that carries a token."""

from __future__ import annotations

from typing import Any

from chartkeep.core.handles import Core
from chartkeep.errors import Code, ParseError
from chartkeep.schema.dates import now_ms
from chartkeep.schema.ids import token_digest
from chartkeep.storage.queries import sessions


async def user_for_token(core: Core, token: str) -> dict[str, Any]:
    """The internal ``_User`` row for a live session; Parse's 209 errors otherwise."""
    digest = token_digest(token)
    cached = core.sessions.get(digest)
    if cached is None:
        user, expires = await _load(core, digest)
        core.sessions.put(digest, user, expires)
    else:
        user, expires = cached
    if expires is not None and expires <= now_ms():
        core.sessions.drop_digest(digest)
        raise ParseError(Code.INVALID_SESSION_TOKEN, "Session token is expired.")
    return user


async def _load(core: Core, digest: str) -> tuple[dict[str, Any], Any]:
    user_schema = core.registry.get("_User")
    assert user_schema is not None
    async with core.db.read() as conn:
        found = await sessions.user_of_token(conn, user_schema, digest)
    if found is None:
        raise ParseError(Code.INVALID_SESSION_TOKEN, "Invalid session token")
    user, expires = found
    user.pop("_hashed_password", None)
    return user, expires

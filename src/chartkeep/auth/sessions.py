"""Session token → user, checked on every request that carries a token."""

from __future__ import annotations

from typing import Any

from chartkeep.errors import Code, ParseError
from chartkeep.schema.dates import now_ms
from chartkeep.schema.ids import token_digest
from chartkeep.services.core import Core
from chartkeep.storage import rows
from chartkeep.storage.dialect import Params, quote


async def user_for_token(core: Core, token: str) -> dict[str, Any]:
    """The internal ``_User`` row for a live session; Parse's 209 errors otherwise."""
    user_schema = core.registry.get("_User")
    assert user_schema is not None
    async with core.db.read() as conn:
        params = Params(conn.dialect)
        digest = params.add(token_digest(token))
        found = await conn.fetchrow(
            f'SELECT s."expiresAt" AS "_expiresAt", {rows.select_list(user_schema, "u")} FROM {quote("_Session")} s '
            f'JOIN {quote("_User")} u ON u."objectId" = s."user" WHERE s."sessionToken" = {digest}',
            params.values,
        )
        if found is None:
            raise ParseError(Code.INVALID_SESSION_TOKEN, "Invalid session token")
        expires = conn.dialect.from_db("Date", found["_expiresAt"])
        user = rows.decode_row(user_schema, found, conn)
    if expires is not None and expires <= now_ms():
        raise ParseError(Code.INVALID_SESSION_TOKEN, "Session token is expired.")
    user.pop("_hashed_password", None)
    return user

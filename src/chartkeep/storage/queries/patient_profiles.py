"""``PatientProfile`` lookups by account (care/portal.py): the portal switch of each profile a
user's account has."""

from __future__ import annotations

from chartkeep.storage.database import Conn
from chartkeep.storage.dialect import quote

PROFILE = "PatientProfile"


async def portal_flags(conn: Conn, user_id: str) -> list[bool]:
    """``isActive`` of every profile whose ``user`` is ``user_id`` (unset counts as off)."""
    found = await conn.fetch(
        f'SELECT "isActive" FROM {quote(PROFILE)} WHERE "user" = {conn.dialect.placeholder(1)}', [user_id]
    )
    return [bool(r["isActive"]) for r in found]

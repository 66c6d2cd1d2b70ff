"""``_SessionActivity`` rows: when a session (named by its token digest) was last used, in epoch
seconds — what the idle timeout measures (auth/sessions.py). Never a token, only its digest."""

from __future__ import annotations

from chartkeep.storage.database import Conn
from chartkeep.storage.dialect import quote
from chartkeep.storage.internal import SESSION_ACTIVITY

TABLE = quote(SESSION_ACTIVITY)


async def seen(conn: Conn, digest: str, at: float) -> None:
    p = conn.dialect.placeholder
    await conn.execute(
        f'INSERT INTO {TABLE} ("session", "seenAt") VALUES ({p(1)}, {p(2)}) '
        f'ON CONFLICT ("session") DO UPDATE SET "seenAt" = excluded."seenAt"',
        [digest, at],
    )


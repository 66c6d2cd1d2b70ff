"""``_Outbox`` rows: the account emails the ``outbox`` mail sender keeps (accounts/mail.py), listed by
``chartkeep outbox``."""

from __future__ import annotations

from typing import Any

from chartkeep.storage.database import Conn
from chartkeep.storage.dialect import quote
from chartkeep.storage.internal import OUTBOX

TABLE = quote(OUTBOX)


async def insert(conn: Conn, mail_id: str, to: str, subject: str, text: str, created_at: float) -> None:
    p = conn.dialect.placeholder
    await conn.execute(
        f'INSERT INTO {TABLE} ("id", "to", "subject", "text", "createdAt") '
        f"VALUES ({p(1)}, {p(2)}, {p(3)}, {p(4)}, {p(5)})",
        [mail_id, to, subject, text, created_at],
    )


async def newest(conn: Conn, limit: int) -> list[dict[str, Any]]:
    """The newest ``limit`` mails (``to``, ``subject``, ``text``, ``createdAt``), oldest first."""
    found = await conn.fetch(
        f'SELECT "to", "subject", "text", "createdAt" FROM {TABLE} '
        f'ORDER BY "createdAt" DESC LIMIT {int(limit)}'
    )
    return [dict(row) for row in reversed(found)]

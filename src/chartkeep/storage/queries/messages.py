"""``Message`` lookups (messaging/): the first message of a conversation, the messages retention
purges, and the inbox — messages grouped by ``conversationId`` with window functions.

The inbox queries take the caller's read guard as ``where``: a function that spells the guard
(CLP and ACL, compiled by query/sql.py over ``"Message"``) into the statement's bind parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from chartkeep.storage.database import Conn, Row
from chartkeep.storage.dialect import Params, quote

MESSAGE = "Message"
TABLE = quote(MESSAGE)
Where = Callable[[Params], str]


@dataclass(frozen=True, slots=True)
class Thread:
    """One conversation of the inbox: its last message and its counts."""

    conversation_id: str
    patient: str | None
    sender: str | None
    recipient: str | None
    body: str | None
    at: datetime  # the last message's sentAt, else its createdAt
    last_id: str  # the last message's objectId
    messages: int
    unread: int  # addressed to the reader and not read


async def conversation_start(conn: Conn, conversation_id: str) -> Row | None:
    """``patient``, ``from`` and ``to`` of a message of the conversation (any one), if it has any."""
    p = conn.dialect.placeholder
    return await conn.fetchrow(
        f'SELECT "patient", "from", "to" FROM {TABLE} WHERE "conversationId" = {p(1)} LIMIT 1',
        [conversation_id],
    )


async def sent_before(conn: Conn, cutoff: datetime, limit: int | None = None) -> list[str]:
    """objectIds of the messages sent (else created) before ``cutoff``, by objectId; at most
    ``limit`` of them when given."""
    d = conn.dialect
    sql = (f'SELECT "objectId" FROM {TABLE} WHERE COALESCE("sentAt", "createdAt") < {d.placeholder(1)} '
           f'ORDER BY "objectId"')
    found = await conn.fetch(sql + (f" LIMIT {limit}" if limit else ""), [d.to_db("Date", cutoff)])
    return [r["objectId"] for r in found]


def _thread_sql(inner_where: str, me: str, unread_false: str, limit: int, skip: int) -> str:
    when = 'COALESCE("sentAt", "createdAt")'
    window = 'OVER (PARTITION BY "conversationId")'
    inner = (
        f'SELECT "conversationId" AS conv, "patient" AS pat, "from" AS fr, "to" AS rcpt, "body" AS body, '
        f'"sentAt" AS sent, "createdAt" AS created, "objectId" AS oid, '
        f'ROW_NUMBER() OVER (PARTITION BY "conversationId" ORDER BY {when} DESC, "objectId" DESC) AS rn, '
        f'COUNT(*) {window} AS total, '
        f'SUM(CASE WHEN "to" = {me} AND ("isRead" IS NULL OR "isRead" = {unread_false}) THEN 1 ELSE 0 END) '
        f'{window} AS unread '
        f'FROM {TABLE} WHERE {inner_where}'
    )
    return (
        f"SELECT conv, pat, fr, rcpt, body, sent, created, oid, total, unread, COUNT(*) OVER () AS threads "
        f"FROM ({inner}) t WHERE rn = 1 ORDER BY COALESCE(sent, created) DESC, conv "
        f"LIMIT {limit} OFFSET {skip}"
    )


async def thread_page(
    conn: Conn, where: Where | None, reader: str, limit: int, skip: int
) -> tuple[list[Thread], int]:
    """The threads of the messages ``where`` lets the reader see (every message when None), most
    recent first, paged; and the number of threads (0 when the page is empty)."""
    d = conn.dialect
    bind = Params(d)
    me_mark, false_mark = bind.add(reader), bind.add(d.to_db("Boolean", False))
    cond = "1 = 1" if where is None else where(bind)
    found = await conn.fetch(_thread_sql(cond, me_mark, false_mark, limit, skip), bind.values)
    threads = [
        Thread(r["conv"], r["pat"], r["fr"], r["rcpt"], r["body"],
               d.from_db("Date", r["sent"] if r["sent"] is not None else r["created"]), r["oid"],
               int(r["total"]), int(r["unread"] or 0))
        for r in found
    ]
    return threads, int(found[0]["threads"]) if found else 0


async def thread_count(conn: Conn, where: Where) -> int:
    """The number of threads among the messages ``where`` lets the reader see."""
    bind = Params(conn.dialect)
    found = await conn.fetchval(f'SELECT COUNT(DISTINCT "conversationId") FROM {TABLE} WHERE {where(bind)}',
                                bind.values)
    return int(found or 0)

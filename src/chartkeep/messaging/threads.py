"""Cloud functions over message threads: ``messageThreads`` (the caller's inbox) and
``markThreadRead`` (every message of a thread addressed to the caller, marked read).

``messageThreads`` is one SQL query (``thread_page``, storage/queries/messages.py) over the
messages the caller may read (the same read guard as ``GET /classes/Message``: CLP and ACL
compiled into the WHERE clause), grouped by ``conversationId`` with window functions: the last
message, the number of messages, and the number addressed to the caller and not yet read. Threads
come most recent first, paged with ``limit``/``skip``; ``count`` is the number of threads. Each
patient whose messages it shows gets one ``read`` entry in the audit ledger, as any read does.

``markThreadRead`` is ordinary updates ``{isRead: true}`` through the write pipeline (so the
receipt rules, ledger entries and LiveQuery events are those of a direct save), in one
transaction.
"""

from __future__ import annotations

from typing import Any

from chartkeep.access.protected import hidden_fields
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.core.hooks import Hooks
from chartkeep.errors import Code, ParseError
from chartkeep.ledger import entries
from chartkeep.messaging.rules import MESSAGE
from chartkeep.query import ir
from chartkeep.query.sql import compile_where
from chartkeep.records import reads, writes
from chartkeep.records.cloud_values import object_id, pointer, require_user, text
from chartkeep.schema.dates import iso_ms
from chartkeep.schema.model import ClassSchema
from chartkeep.storage.queries import messages

DEFAULT_LIMIT, MAX_LIMIT = 20, 100
THREAD_MAX = 10_000  # messages of one thread marked read in one call


def _int(params: dict[str, Any], key: str, default: int, low: int, high: int | None = None) -> int:
    value = params.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParseError(Code.INCORRECT_TYPE, f"{key} must be an integer")
    if value < low or (high is not None and value > high):
        raise ParseError(Code.VALIDATION_ERROR, f"{key} must be between {low} and {high}" if high is not None
                         else f"{key} must be at least {low}")
    return value


def _spelled(where: ir.Node, schema: ClassSchema) -> messages.Where:
    """The read guard as SQL over ``"Message"``, its values bound into the statement's parameters."""
    return lambda bind: compile_where(where, schema, bind.dialect, bind)


async def message_threads(core: Core, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    me = require_user(ctx, "messageThreads")
    limit = _int(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    skip = _int(params, "skip", 0, 0)
    profile = object_id(params, "patient", "PatientProfile", required=False)
    schema = core.registry.get(MESSAGE)
    if schema is None:
        return {"results": [], "count": 0}
    where = reads.build_where(core, ctx, schema, {"patient": pointer("PatientProfile", profile)}
                              if profile else {}, "find")
    guard = None if where is None else _spelled(where, schema)
    async with core.db.read() as conn:
        threads, total = await messages.thread_page(conn, guard, me, limit, skip)
        if not threads and skip and guard is not None:  # paged past the end: still the number of threads
            total = await messages.thread_count(conn, guard)
    results, seen = [], []
    for t in threads:
        last = {"objectId": t.last_id, "body": t.body, "from": pointer("_User", t.sender) if t.sender else None,
                "sentAt": {"__type": "Date", "iso": iso_ms(t.at)}}
        shown = {"objectId": t.last_id, "from": t.sender, "to": t.recipient, "patient": t.patient}
        if "body" in hidden_fields(ctx, schema, shown):
            del last["body"]  # the class's protectedFields apply here as to any read
        results.append({
            "conversationId": t.conversation_id,
            "patient": pointer("PatientProfile", t.patient) if t.patient else None,
            "participants": [pointer("_User", u) for u in (t.sender, t.recipient) if u],
            "lastMessage": last,
            "messageCount": t.messages,
            "unreadCount": t.unread,
        })
        seen.append((MESSAGE, {"objectId": t.last_id, "patient": t.patient}))
    await entries.record_reads(core, ctx, None, MESSAGE, seen)
    return {"results": results, "count": total}


async def mark_thread_read(core: Core, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    me = require_user(ctx, "markThreadRead")
    conversation = text(params, "conversationId")
    if not conversation:
        raise ParseError(Code.VALIDATION_ERROR, "conversationId is required")
    async with core.db.transaction() as tx:
        found = await reads.find(core, ctx, MESSAGE, {"where": {"conversationId": conversation},
                                                      "keys": "to,isRead", "limit": THREAD_MAX}, tx)
        messages = found["results"]
        if not messages:
            raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found: no message of this conversation is yours.")
        ids = [m["objectId"] for m in messages if (m.get("to") or {}).get("objectId") == me and not m.get("isRead")]
        for oid in ids:
            await writes.update(core, ctx, MESSAGE, oid, {"isRead": True}, tx)
    return {"conversationId": conversation, "marked": len(ids)}


def register(hooks: Hooks[Core]) -> None:
    hooks.define("messageThreads", message_threads)
    hooks.define("markThreadRead", mark_thread_read)

"""The one write primitive: a row stored, its ledger entry and its LiveQuery change, together.

Every row of a class the server writes goes through these functions — the client's write at the
end of the pipeline (records/writes.py), and the server's own writes: a note's status following
its versions and signatures, a care team's ACL, a crisis log's history, a grant, a purge. So no
change reaches a class's table without the ledger naming it, and LiveQuery hears of it once the
transaction commits (a rollback publishes nothing and leaves no entry).

A client write's entry names the fields the client sent — and, when user Cloud Code's
``before_save`` changed the object, that trigger and the fields it changed (``changed_by``); a
server write passes ``why`` — what
made the server write — and its entry says so (``metadata.server``). The actor is the request's
user in both cases: the server writes on behalf of the request that caused it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.errors import Code, ParseError
from chartkeep.ledger import entries as ledger
from chartkeep.records import live_feed
from chartkeep.schema.dates import now_ms
from chartkeep.schema.ids import new_object_id
from chartkeep.schema.model import ClassSchema
from chartkeep.storage import rows
from chartkeep.storage.database import Conn


async def insert(core: Core, conn: Conn, ctx: RequestContext, schema: ClassSchema, row: dict[str, Any], *,
                 body: dict[str, Any] | None = None, event: str = "create", why: str | None = None,
                 changed_by: dict[str, list[str]] | None = None) -> None:
    """Store a new row (``objectId``, times and values, internal form)."""
    live = live_feed.tracking(core, schema.name)
    stored = None
    if live:  # the row as stored comes back from the INSERT itself: LiveQuery's ``object``
        stored = await rows.insert_returning(conn, schema, row)
    else:
        await rows.insert(conn, schema, row)
    sent = _fields(row) if body is None else body
    ledger.stage_write(conn, ctx, schema.name, row["objectId"], event, sent, row, None, why, changed_by)
    if stored is not None:
        live_feed.after_write(core, conn, schema, stored, None)


async def insert_many(core: Core, conn: Conn, ctx: RequestContext, schema: ClassSchema,
                      new_rows: list[dict[str, Any]], *, event: str, why: str | dict[str, str]) -> None:
    """Store many new rows of one class in one round trip (``chartkeep import``), each with its own
    ledger entry and LiveQuery change, as ``insert`` gives one row. ``why``: one reason for all, or
    a reason per objectId."""
    await rows.insert_many(conn, schema, new_rows)
    live = live_feed.tracking(core, schema.name)
    for row in new_rows:
        reason = why if isinstance(why, str) else why[row["objectId"]]
        ledger.stage_write(conn, ctx, schema.name, row["objectId"], event, _fields(row), row, None, reason)
        if live:
            live_feed.after_insert(core, conn, schema, row)


async def update(core: Core, conn: Conn, ctx: RequestContext, schema: ClassSchema, object_id: str,
                 changes: dict[str, Any], *, principals: list[str] | None = None,
                 before: dict[str, Any] | None = None, body: dict[str, Any] | None = None,
                 event: str = "update", why: str | None = None,
                 changed_by: dict[str, list[str]] | None = None) -> list[str] | None:
    """Apply ``changes`` (``updatedAt`` included) where ``principals`` may write (None: anyone);
    the row's read permissions after it, or None when no row matched. ``before``: the row as this
    transaction already read it (LiveQuery's ``original``), read here when LiveQuery needs it."""
    live = live_feed.tracking(core, schema.name)
    if live and before is None:
        before = await rows.fetch_for_write(conn, schema, object_id, None)
    if live:
        stored = await rows.update_returning(conn, schema, object_id, changes, principals)
        perms = None if stored is None else (stored.get("_rperm") or [])
    else:
        stored, perms = None, await rows.update(conn, schema, object_id, changes, principals)
    if perms is None:
        return None
    sent = _fields(changes) if body is None else body
    ledger.stage_write(conn, ctx, schema.name, object_id, event, sent, {**changes, "_rperm": perms},
                       before, why, changed_by)
    if stored is not None and before is not None:
        live_feed.after_write(core, conn, schema, stored, live_feed.clean(schema, dict(before)))
    return perms


async def delete(core: Core, conn: Conn, ctx: RequestContext, schema: ClassSchema, object_id: str, *,
                 principals: list[str] | None = None, before: dict[str, Any] | None = None,
                 event: str = "delete", why: str | None = None) -> list[str] | None:
    """Delete the row where ``principals`` may write; its read permissions, or None when no row
    matched. ``before`` (read here when LiveQuery needs it) is the row subscribers hear left."""
    live = live_feed.tracking(core, schema.name)
    if live and before is None:
        before = await rows.fetch_for_write(conn, schema, object_id, principals)
    perms = await rows.delete(conn, schema, object_id, principals)
    if perms is None:
        return None
    ledger.stage_write(conn, ctx, schema.name, object_id, event, {}, {"_rperm": perms}, before, why)
    if live:
        live_feed.after_delete(core, conn, schema, object_id, dict(before) if before else None)
    return perms


async def relation(core: Core, conn: Conn, ctx: RequestContext, class_name: str, field: str, owner_id: str,
                   add: Iterable[str] = (), remove: Iterable[str] = (), *, why: str,
                   event: str = "update") -> None:
    """The server changes who a relation names (a role's ``users``): one entry on the owner,
    naming the ids added and removed."""
    add, remove = list(add), list(remove)
    if not add and not remove:
        return
    await rows.relation_add(conn, class_name, field, owner_id, add)
    await rows.relation_remove(conn, class_name, field, owner_id, remove)
    said = [f"{field} +{', '.join(add)}" if add else "", f"{field} -{', '.join(remove)}" if remove else ""]
    ledger.stage_write(conn, ctx, class_name, owner_id, event, {}, {}, None,
                       f"{why} ({'; '.join(s for s in said if s)})")


# ---- the server's own writes, by class name -------------------------------------------------------


def _schema(core: Core, class_name: str) -> ClassSchema:
    schema = core.registry.get(class_name)
    if schema is None:
        raise ParseError(Code.OBJECT_NOT_FOUND, f"Object not found: class {class_name}")
    return schema


async def server_insert(core: Core, conn: Conn, ctx: RequestContext, class_name: str, values: dict[str, Any], *,
                        why: str, event: str = "create", object_id: str | None = None) -> str:
    """A row the server creates on its own (``values``: fields and ``_rperm``/``_wperm``); its id."""
    now = now_ms()
    row = {"objectId": object_id or new_object_id(), "createdAt": now, "updatedAt": now, **values}
    await insert(core, conn, ctx, _schema(core, class_name), row, event=event, why=why)
    return str(row["objectId"])


async def server_update(core: Core, conn: Conn, ctx: RequestContext, class_name: str, object_id: str,
                        changes: dict[str, Any], *, why: str, event: str = "update",
                        before: dict[str, Any] | None = None) -> None:
    """A change the server makes on its own (a status that follows, an ACL that is recomputed)."""
    perms = await update(core, conn, ctx, _schema(core, class_name), object_id, {**changes, "updatedAt": now_ms()},
                         before=before, event=event, why=why)
    if perms is None:
        raise ParseError(Code.OBJECT_NOT_FOUND, f"Object not found: {class_name} {object_id}")


async def server_delete(core: Core, conn: Conn, ctx: RequestContext, class_name: str, object_id: str, *,
                        why: str, event: str = "delete", before: dict[str, Any] | None = None) -> bool:
    """A row the server removes on its own (a retention purge); False when it was already gone."""
    return await delete(core, conn, ctx, _schema(core, class_name), object_id, before=before, event=event,
                        why=why) is not None


def _fields(values: dict[str, Any]) -> dict[str, Any]:
    """The fields a server write set, as the entry names them (names only: never a value, so a
    hidden column such as a password hash is named by the entry's target, never copied)."""
    return {k: True for k in values if not k.startswith("_") and k not in ("objectId", "createdAt", "updatedAt")}

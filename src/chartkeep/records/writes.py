"""The write pipeline for create / update / delete of any class.

Each write is a flat list of named steps (records/write_steps.py) over one ``Write`` record,
read top to bottom:

    create: resolve_class → authorize → check_keys → plan_fields → decode → defaults_and_required
            → before_save hooks → store → after_save hooks
    update: resolve_class → authorize → check_keys → plan_fields → check_pointer_permission
            → load_current → decode → required → before_save hooks → store → after_save hooks
    delete: pointer permission → before_delete hooks → commit.delete → after_delete hooks

``store`` is the one write primitive (records/commit.py): the row, its ledger entry and its
LiveQuery change together — the same one the server's own writes use.

``authorize`` applies the class-level permissions; the ACL is part of the UPDATE/DELETE statement.

Everything that can fail on bad input fails before the transaction opens, so a refused write
changes nothing; the transaction covers the row, its relations and any new columns together.
"""

from __future__ import annotations

from typing import Any

from chartkeep.access import system
from chartkeep.access.acl import write_principals
from chartkeep.access.guards import write_pointer_filter
from chartkeep.audit.table import is_ledger_class
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.core.hooks import WriteEvent
from chartkeep.errors import Code, ParseError
from chartkeep.ledger import appends
from chartkeep.ledger import entries as ledger
from chartkeep.records import commit, live_feed, update_ops, write_echo
from chartkeep.records.present import present
from chartkeep.records.write_steps import (
    Write,
    authorize,
    check_keys,
    check_pointer_permission,
    decode_values,
    defaults_and_required,
    load_current,
    matches_guard,
    plan_fields,
    resolve_class,
    store,
    write_event,
)
from chartkeep.schema.dates import iso_ms
from chartkeep.schema.ids import new_object_id
from chartkeep.storage import rows
from chartkeep.storage.database import Conn, use

# ---- use cases ---------------------------------------------------------------------------------


def _needs_current(w: Write) -> bool:
    return any(update_ops.is_op(v) and v.get("__op") not in ("Delete",) for v in w.body.values())


async def create(
    core: Core,
    ctx: RequestContext,
    class_name: str,
    body: dict[str, Any],
    conn: Conn | None = None,
    *,
    hidden: dict[str, Any] | None = None,
    assign_id: str | None = None,
) -> dict[str, Any]:
    """Create an object. ``hidden`` columns (e.g. a password hash) and a pre-assigned id come
    from the system-class services that wrap this pipeline."""
    if is_ledger_class(class_name):
        return await appends.create(core, ctx, class_name, body, conn)
    async with ledger.refusals(core, ctx, conn, "create", class_name):
        return await _create(core, ctx, class_name, body, conn, hidden, assign_id)


async def _create(
    core: Core, ctx: RequestContext, class_name: str, body: dict[str, Any], conn: Conn | None,
    hidden: dict[str, Any] | None, assign_id: str | None,
) -> dict[str, Any]:
    system.enforce(ctx, "create", class_name)
    w = Write(ctx, class_name, body)
    resolve_class(core, w)
    authorize(core, w)
    check_keys(core, w)
    plan_fields(core, w)
    decode_values(core, w)
    defaults_and_required(core, w)
    w.values.update(hidden or {})
    w.assign_id = assign_id or new_object_id()
    async with use(core.db, conn, write=True) as tx:
        event = write_event(w, tx, is_new=True)
        sent = event.before_rules = write_echo.snapshot(w.values)
        await core.hooks.run("before_save", core, event)
        changed = write_echo.diff(sent, w.values, is_new=True)
        await store(core, w, tx, event)
        await core.hooks.run("after_save", core, event)
        server_set = await write_echo.response_fields(w, tx, changed, sent, None, is_new=True)
    out = {"objectId": w.object_id, "createdAt": iso_ms(w.now), **_defaults_applied(w), **_op_results(w)}
    return {**out, **{k: v for k, v in server_set.items() if k not in out}}


async def update(
    core: Core,
    ctx: RequestContext,
    class_name: str,
    object_id: str,
    body: dict[str, Any],
    conn: Conn | None = None,
    *,
    hidden: dict[str, Any] | None = None,
) -> dict[str, Any]:
    if is_ledger_class(class_name):
        raise ParseError(Code.OPERATION_FORBIDDEN, f"{class_name} entries are append-only: they cannot be changed.")
    async with ledger.refusals(core, ctx, conn, "update", class_name, object_id):
        return await _update(core, ctx, class_name, object_id, body, conn, hidden)


async def _update(
    core: Core, ctx: RequestContext, class_name: str, object_id: str, body: dict[str, Any], conn: Conn | None,
    hidden: dict[str, Any] | None,
) -> dict[str, Any]:
    system.enforce(ctx, "update", class_name)
    w = Write(ctx, class_name, body, object_id=object_id)
    resolve_class(core, w)
    authorize(core, w)
    check_keys(core, w)
    plan_fields(core, w)
    async with use(core.db, conn, write=True) as tx:
        event = write_event(w, tx, is_new=False)
        await check_pointer_permission(core, w, tx)
        if _needs_current(w):
            await load_current(core, w, event)
        decode_values(core, w, event.current)
        defaults_and_required(core, w)
        w.values.update(hidden or {})
        sent = event.before_rules = write_echo.snapshot(w.values)
        await core.hooks.run("before_save", core, event)
        changed = write_echo.diff(sent, w.values, is_new=False)
        await store(core, w, tx, event)  # event.current: the row before, if a step or hook read it
        await core.hooks.run("after_save", core, event)
        server_set = await write_echo.response_fields(w, tx, changed, sent, event.current, is_new=False)
    out = {**_op_results(w), "updatedAt": iso_ms(w.now)}
    return {**out, **{k: v for k, v in server_set.items() if k not in out}}


def _defaults_applied(w: Write) -> dict[str, Any]:
    """Schema default values the server filled in, echoed as Parse does on create."""
    assert w.schema is not None
    names = [n for n, s in w.schema.fields.items() if s.default is not None and n not in w.body]
    if not names:
        return {}
    shown = present(w.schema, {"objectId": w.object_id or "", **w.values}, w.ctx, keys=set(names))
    return {n: shown[n] for n in names if n in shown}


def _op_results(w: Write) -> dict[str, Any]:
    """Fields whose final value the server computed (Increment, Add…), as Parse echoes them."""
    if not w.op_fields or w.schema is None:
        return {}
    shown = present(w.schema, {"objectId": w.object_id or "", **w.values}, w.ctx, keys=set(w.op_fields))
    return {k: shown[k] for k in w.op_fields if k in shown}


async def delete(core: Core, ctx: RequestContext, class_name: str, object_id: str, conn: Conn | None = None) -> None:
    if is_ledger_class(class_name):
        raise ParseError(Code.OPERATION_FORBIDDEN, f"{class_name} entries are append-only: they cannot be deleted.")
    async with ledger.refusals(core, ctx, conn, "delete", class_name, object_id):
        await _delete(core, ctx, class_name, object_id, conn)


async def _delete(core: Core, ctx: RequestContext, class_name: str, object_id: str, conn: Conn | None) -> None:
    system.enforce(ctx, "delete", class_name)
    schema = core.registry.get(class_name)
    if schema is None:
        return None  # deleting in a class that does not exist is a no-op, as in Parse
    pointer_guard = write_pointer_filter(ctx, schema, "delete", core.registry)
    principals = write_principals(ctx)
    async with use(core.db, conn, write=True) as tx:
        if pointer_guard is not None and not await matches_guard(tx, core, schema, object_id, pointer_guard):
            raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found.")
        event = WriteEvent(ctx, tx, schema, object_id, False, {}, {})
        hooked = core.hooks.has("before_delete", class_name) or core.hooks.has("after_delete", class_name)
        if live_feed.tracking(core, class_name) or hooked:
            event.current = await rows.fetch_for_write(tx, schema, object_id, principals)
        if event.current is not None:
            await core.hooks.run("before_delete", core, event)
        if await commit.delete(core, tx, ctx, schema, object_id, principals=principals, before=event.current) is None:
            raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found.")
        if event.current is not None:
            await core.hooks.run("after_delete", core, event)

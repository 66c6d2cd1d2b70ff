"""The write pipeline for create / update / delete of any class.

Each write is a flat list of named steps over one ``Write`` record, read top to bottom:

    create: resolve_class → authorize → check_keys → plan_fields → decode → defaults_and_required → store
    update: resolve_class → authorize → check_keys → plan_fields → load_current → decode → required
            → check_pointer_permission → store

``authorize`` applies the class-level permissions; the ACL is part of the UPDATE/DELETE statement.

Everything that can fail on bad input fails before the transaction opens, so a refused write
changes nothing; the transaction covers the row, its relations and any new columns together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chartkeep.access import clp
from chartkeep.access.acl import acl_to_perms, write_principals
from chartkeep.access.guards import pointer_filter, write_pointer_filter
from chartkeep.audit.table import is_ledger_class
from chartkeep.context import RequestContext
from chartkeep.errors import Code, ParseError
from chartkeep.query import ir
from chartkeep.query.parse import parse_where
from chartkeep.query.sql import compile_select
from chartkeep.schema.codec import decode, infer_spec
from chartkeep.schema.dates import iso_ms, now_ms
from chartkeep.schema.ids import new_object_id
from chartkeep.schema.model import DEFAULT_FIELDS, ClassSchema, FieldSpec, valid_field_name
from chartkeep.services import audit, classes, ledger_appends, live_feed, update_ops
from chartkeep.services.core import Core
from chartkeep.services.hooks import WriteEvent
from chartkeep.services.present import present
from chartkeep.storage import rows
from chartkeep.storage.database import Conn, IntegrityError, use

SERVER_OWNED = frozenset({"createdAt", "updatedAt"})


@dataclass(slots=True)
class Write:
    ctx: RequestContext
    class_name: str
    body: dict[str, Any]
    object_id: str | None = None  # None for create
    schema: ClassSchema | None = None
    new_class: bool = False
    new_fields: dict[str, FieldSpec] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    relations: dict[str, update_ops.RelationChange] = field(default_factory=dict)
    op_fields: list[str] = field(default_factory=list)
    perms: tuple[list[str], list[str]] | None = None
    pointer_guard: ir.Node | None = None  # CLP writeUserFields: the object must name the caller
    current: dict[str, Any] | None = None
    stored_perms: list[str] | None = None  # the row's read permissions after the write
    assign_id: str | None = None
    now: datetime = field(default_factory=now_ms)

    def spec(self, name: str) -> FieldSpec | None:
        return self.new_fields.get(name) or (self.schema.fields.get(name) if self.schema else None)


# ---- steps -------------------------------------------------------------------------------------


def resolve_class(core: Core, w: Write) -> None:
    w.schema = core.registry.get(w.class_name)
    if w.schema is not None:
        return
    if not w.ctx.is_master:
        raise ParseError(Code.OPERATION_FORBIDDEN, "Permission denied")
    if w.object_id is not None:
        raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found.")
    w.new_class = True
    w.schema = ClassSchema(w.class_name)


def authorize(core: Core, w: Write) -> None:
    """The class-level permission for create/update; pointer permissions become a condition."""
    assert w.schema is not None
    if w.new_class:
        return
    if w.object_id is None:
        clp.require(w.ctx, w.schema, "create")
    else:
        w.pointer_guard = write_pointer_filter(w.ctx, w.schema, "update", core.registry)


def check_keys(core: Core, w: Write) -> None:
    body = w.body
    if w.object_id is None:
        if "objectId" in body:
            if not body["objectId"]:
                raise ParseError(Code.MISSING_OBJECT_ID, "objectId must not be empty, null or undefined")
            raise ParseError(Code.INVALID_KEY_NAME, "objectId is an invalid field name.")
        if "id" in body:
            raise ParseError(Code.INVALID_KEY_NAME, "id is an invalid field name.")
    for key in body:
        if key in SERVER_OWNED:
            value = body[key]
            if not (isinstance(value, dict) and value.get("__type") == "Date"):
                got = infer_spec(value)
                raise ParseError(
                    Code.INCORRECT_TYPE,
                    f"schema mismatch for {w.class_name}.{key}; expected Date but got {got.type if got else 'null'}",
                )
            continue  # a Date value is accepted and ignored: the server owns these timestamps
        if key == "ACL" or (key == "objectId" and w.object_id is not None):
            continue
        if not valid_field_name(key):
            raise ParseError(Code.INVALID_KEY_NAME, f"Invalid field name: {key}.")


def plan_fields(core: Core, w: Write) -> None:
    """Unknown fields: the master key adds them (type inferred); anyone else is refused."""
    assert w.schema is not None
    for key, value in w.body.items():
        if key in DEFAULT_FIELDS or key in w.schema.fields:
            continue
        spec = infer_spec(value)
        if spec is None:
            continue  # null / Delete on a field that does not exist: nothing to store
        if not w.new_class and not w.new_fields:
            _authorize_add_field(core, w)
        if spec.type in ("Pointer", "Relation") and not spec.target_class:
            raise ParseError(Code.INVALID_JSON, f"{key}: a pointer needs a className")
        w.new_fields[key] = spec


def _authorize_add_field(core: Core, w: Write) -> None:
    """The CLP's addField; its pointer permissions (update only) join the object's condition,
    as Parse's ``DatabaseController.update`` ANDs them into the update's query."""
    assert w.schema is not None
    fields = clp.require(w.ctx, w.schema, "addField", "create" if w.object_id is None else "update")
    if fields:
        guard = pointer_filter(w.ctx, w.schema, fields, core.registry)
        w.pointer_guard = guard if w.pointer_guard is None else ir.and_(w.pointer_guard, guard)


async def load_current(core: Core, w: Write, conn: Conn) -> None:
    assert w.schema is not None and w.object_id is not None
    w.current = await rows.fetch_for_write(conn, w.schema, w.object_id, write_principals(w.ctx))
    if w.current is None:
        raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found.")


def decode_values(core: Core, w: Write) -> None:
    current = w.current or {}
    for key, value in w.body.items():
        if key in SERVER_OWNED or key == "objectId":
            continue
        if key == "ACL":
            w.perms = None if value is None else acl_to_perms(value)
            if value is None:
                w.values["_rperm"] = w.values["_wperm"] = None
            continue
        spec = w.spec(key)
        if spec is None:
            continue
        if update_ops.is_op(value):
            result = update_ops.apply(key, spec, value, current.get(key))
            if isinstance(result, update_ops.RelationChange):
                w.relations[key] = result
            else:
                w.values[key] = result
                if value.get("__op") != "Delete":
                    w.op_fields.append(key)
            continue
        if spec.type == "Relation":
            if isinstance(value, dict) and value.get("__type") == "Relation":
                continue  # echo of the relation marker: nothing to write
            raise ParseError(Code.INCORRECT_TYPE, f"schema mismatch for {w.class_name}.{key}; expected Relation")
        w.values[key] = decode(w.class_name, key, spec, value)
    if w.perms is not None:
        w.values["_rperm"], w.values["_wperm"] = w.perms


def _missing(value: Any) -> bool:
    return value is None or value == ""


def defaults_and_required(core: Core, w: Write) -> None:
    """Parse's rule: a required field may not be absent, null or empty; defaults fill gaps."""
    assert w.schema is not None
    for name, spec in w.schema.fields.items():
        if spec.type == "Relation":
            continue
        if w.object_id is None:
            if name not in w.values and spec.default is not None:
                w.values[name] = spec.default
            if spec.required and _missing(w.values.get(name)):
                raise ParseError(Code.VALIDATION_ERROR, f"{name} is required")
        elif spec.required and name in w.values and _missing(w.values[name]):
            raise ParseError(Code.VALIDATION_ERROR, f"{name} is required")


async def check_pointer_permission(core: Core, w: Write, conn: Conn) -> None:
    """``writeUserFields``: the object must name the caller, checked on the locked row."""
    if w.pointer_guard is None:
        return
    assert w.schema is not None and w.object_id is not None
    if not await _matches(conn, core, w.schema, w.object_id, w.pointer_guard):
        raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found.")


async def _matches(conn: Conn, core: Core, schema: ClassSchema, object_id: str, node: ir.Node) -> bool:
    where = ir.and_(parse_where(schema.name, {"objectId": object_id}, core.registry), node)
    sql, params = compile_select(schema, where, conn.dialect, limit=1)
    if conn.dialect.name == "postgresql":
        sql += " FOR UPDATE"
    return bool(await conn.fetch(sql, params))


def _event(w: Write, conn: Conn, is_new: bool) -> WriteEvent:
    assert w.schema is not None and (w.object_id or w.assign_id)
    return WriteEvent(w.ctx, conn, w.schema, w.object_id or w.assign_id or "", is_new, w.body, w.values, w.current)


async def store(core: Core, w: Write, conn: Conn) -> None:
    assert w.schema is not None
    if w.new_class:
        w.schema = await classes.create_class(core, conn, ClassSchema(w.class_name, dict(w.new_fields)))
    elif w.new_fields:
        w.schema = await classes.add_fields(core, conn, w.class_name, w.new_fields)
    try:
        if w.object_id is None:
            w.object_id = w.assign_id or new_object_id()
            row = {"objectId": w.object_id, "createdAt": w.now, "updatedAt": w.now, **w.values}
            await rows.insert(conn, w.schema, row)
            w.stored_perms = w.values.get("_rperm")
        else:
            changes = {**w.values, "updatedAt": w.now}
            w.stored_perms = await rows.update(conn, w.schema, w.object_id, changes, write_principals(w.ctx))
            if w.stored_perms is None:
                raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found.")
    except IntegrityError:
        raise ParseError(
            Code.DUPLICATE_VALUE, "A duplicate value for a field with unique values was provided"
        ) from None
    for name, change in w.relations.items():
        await _check_related(conn, w.schema.fields[name], change.add)
        await rows.relation_add(conn, w.class_name, name, w.object_id, change.add)
        await rows.relation_remove(conn, w.class_name, name, w.object_id, change.remove)


async def _check_related(conn: Conn, spec: FieldSpec, ids: list[str]) -> None:
    for object_id in ids:
        if spec.target_class and not await rows.exists(conn, spec.target_class, object_id):
            raise ParseError(Code.OBJECT_NOT_FOUND, f"Object not found: {spec.target_class} {object_id}")


def stage_audit(core: Core, w: Write, conn: Conn, action: str, event: WriteEvent) -> None:
    """The write's ledger entry; a hook may name the event more precisely (``extra["audit_event"]``)."""
    assert w.object_id is not None
    values = {**w.values, "_rperm": w.stored_perms}
    audit.stage_write(conn, w.ctx, w.class_name, w.object_id, event.extra.get("audit_event", action), w.body,
                      values, w.current)


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
        return await ledger_appends.create(core, ctx, class_name, body, conn)
    try:
        return await _create(core, ctx, class_name, body, conn, hidden, assign_id)
    except ParseError as exc:
        if conn is None:
            await audit.record_refusal(core, ctx, "create", class_name, None, exc)
        raise


async def _create(
    core: Core, ctx: RequestContext, class_name: str, body: dict[str, Any], conn: Conn | None,
    hidden: dict[str, Any] | None, assign_id: str | None,
) -> dict[str, Any]:
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
        event = _event(w, tx, is_new=True)
        await core.hooks.run("before_save", core, event)
        await store(core, w, tx)
        await core.hooks.run("after_save", core, event)
        stage_audit(core, w, tx, "create", event)
        if live_feed.tracking(core, w.class_name):
            await live_feed.after_write(core, tx, w.schema, w.object_id, None)
    return {"objectId": w.object_id, "createdAt": iso_ms(w.now), **_defaults_applied(w), **_op_results(w)}


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
    try:
        return await _update(core, ctx, class_name, object_id, body, conn, hidden)
    except ParseError as exc:
        if conn is None:
            await audit.record_refusal(core, ctx, "update", class_name, object_id, exc)
        raise


async def _update(
    core: Core, ctx: RequestContext, class_name: str, object_id: str, body: dict[str, Any], conn: Conn | None,
    hidden: dict[str, Any] | None,
) -> dict[str, Any]:
    w = Write(ctx, class_name, body, object_id=object_id)
    resolve_class(core, w)
    authorize(core, w)
    check_keys(core, w)
    plan_fields(core, w)
    async with use(core.db, conn, write=True) as tx:
        await check_pointer_permission(core, w, tx)
        if _needs_current(w):
            await load_current(core, w, tx)
        decode_values(core, w)
        defaults_and_required(core, w)
        w.values.update(hidden or {})
        event = _event(w, tx, is_new=False)
        live = live_feed.tracking(core, w.class_name)
        original = await live_feed.load_original(tx, w.schema, object_id, w.current) if live else None
        await core.hooks.run("before_save", core, event)
        await store(core, w, tx)
        await core.hooks.run("after_save", core, event)
        stage_audit(core, w, tx, "update", event)
        if live and original is not None:
            await live_feed.after_write(core, tx, w.schema, object_id, original)
    return {**_op_results(w), "updatedAt": iso_ms(w.now)}


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
    try:
        await _delete(core, ctx, class_name, object_id, conn)
    except ParseError as exc:
        if conn is None:
            await audit.record_refusal(core, ctx, "delete", class_name, object_id, exc)
        raise


async def _delete(core: Core, ctx: RequestContext, class_name: str, object_id: str, conn: Conn | None) -> None:
    schema = core.registry.get(class_name)
    if schema is None:
        return None  # deleting in a class that does not exist is a no-op, as in Parse
    pointer_guard = write_pointer_filter(ctx, schema, "delete", core.registry)
    async with use(core.db, conn, write=True) as tx:
        if pointer_guard is not None and not await _matches(tx, core, schema, object_id, pointer_guard):
            raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found.")
        current = None
        live = live_feed.tracking(core, class_name)
        if live or core.hooks.has("after_delete", class_name):
            current = await rows.fetch_for_write(tx, schema, object_id, write_principals(ctx))
        perms = await rows.delete(tx, schema, object_id, write_principals(ctx))
        if perms is None:
            raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found.")
        audit.stage_write(tx, ctx, class_name, object_id, "delete", {}, {"_rperm": perms}, current)
        if live:
            live_feed.after_delete(core, tx, schema, object_id, dict(current) if current else None)
        if current is not None:
            event = WriteEvent(ctx, tx, schema, object_id, False, {}, {}, current)
            await core.hooks.run("after_delete", core, event)

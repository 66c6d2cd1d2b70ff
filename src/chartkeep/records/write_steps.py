"""The steps of the write pipeline, each a small function over one ``Write`` record.

``records/writes.py`` runs them in order for create / update / delete; this module holds what
each step does: resolve the class, apply the class-level permission, check keys, plan new fields,
decode values, fill defaults and required fields, check pointer permissions, store the row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chartkeep.access import clp
from chartkeep.access.acl import acl_to_perms, write_principals
from chartkeep.access.guards import pointer_filter, write_pointer_filter
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.core.hooks import WriteEvent
from chartkeep.errors import Code, ParseError
from chartkeep.query import ir
from chartkeep.query.parse import parse_where
from chartkeep.query.sql import compile_select
from chartkeep.records import classes, commit, update_ops
from chartkeep.records.value_checks import check_body
from chartkeep.schema.codec import decode, infer_spec
from chartkeep.schema.dates import now_ms
from chartkeep.schema.ids import new_object_id
from chartkeep.schema.model import DEFAULT_FIELDS, ClassSchema, FieldSpec, valid_field_name
from chartkeep.storage import rows
from chartkeep.storage.database import Conn, IntegrityError

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


async def load_current(core: Core, w: Write, event: WriteEvent) -> None:
    """The stored row, for update operators that build on it (``Increment``, ``Add``…): kept as the
    event's ``current``, the one copy of the row before the write that every later step reads."""
    assert w.schema is not None and w.object_id is not None
    event.current = await rows.fetch_for_write(event.conn, w.schema, w.object_id, write_principals(w.ctx))
    if event.current is None:
        raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found.")


def decode_values(core: Core, w: Write, current: dict[str, Any] | None = None) -> None:
    check_body(w.body, core.settings.max_string_bytes)
    current = current or {}
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
    if not await matches_guard(conn, core, w.schema, w.object_id, w.pointer_guard):
        raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found.")


async def matches_guard(conn: Conn, core: Core, schema: ClassSchema, object_id: str, node: ir.Node) -> bool:
    where = ir.and_(parse_where(schema.name, {"objectId": object_id}, core.registry), node)
    sql, params = compile_select(schema, where, conn.dialect, limit=1, for_update=True)
    return bool(await conn.fetch(sql, params))


def write_event(w: Write, conn: Conn, is_new: bool) -> WriteEvent:
    assert w.schema is not None and (w.object_id or w.assign_id)
    return WriteEvent(w.ctx, conn, w.schema, w.object_id or w.assign_id or "", is_new, w.body, w.values)


async def store(core: Core, w: Write, conn: Conn, event: WriteEvent) -> None:
    """The row through the one write primitive (records/commit.py: row, ledger entry, LiveQuery
    change), new columns first, relation changes after."""
    assert w.schema is not None
    if w.new_class:
        w.schema = await classes.create_class(core, conn, ClassSchema(w.class_name, dict(w.new_fields)))
    elif w.new_fields:
        w.schema = await classes.add_fields(core, conn, w.class_name, w.new_fields)
    try:
        if w.object_id is None:
            w.object_id = w.assign_id or new_object_id()
            row = {"objectId": w.object_id, "createdAt": w.now, "updatedAt": w.now, **w.values}
            await commit.insert(core, conn, w.ctx, w.schema, row, body=w.body, event=event.ledger_event or "create",
                                changed_by=event.changed_by)
            w.stored_perms = w.values.get("_rperm")
        else:
            changes = {**w.values, "updatedAt": w.now}
            w.stored_perms = await commit.update(core, conn, w.ctx, w.schema, w.object_id, changes,
                                                 principals=write_principals(w.ctx), before=event.current,
                                                 body=w.body, event=event.ledger_event or "update",
                                                 changed_by=event.changed_by)
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

"""The ``/schemas`` API (master key only): list, read, create, change and drop classes.

Class-level permissions set here are ``permission_change`` ledger entries. The ledger's classes
(``AuditEvent``, ``AuditLog``) keep their fields: they are views of the ledger, not tables.
"""

from __future__ import annotations

from typing import Any

from chartkeep.access import clp
from chartkeep.audit.table import is_ledger_class
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.errors import Code, ParseError
from chartkeep.ledger import entries
from chartkeep.records import classes
from chartkeep.schema.model import (
    DEFAULT_FIELDS,
    FIELD_TYPES,
    SYSTEM_CLASSES,
    ClassSchema,
    FieldSpec,
    valid_field_name,
)
from chartkeep.schema.system import default_clp
from chartkeep.storage import ddl, rows, schema_store


def _spec(class_name: str, name: str, raw: Any) -> FieldSpec:
    if not valid_field_name(name):
        raise ParseError(Code.INVALID_KEY_NAME, f"invalid field name: {name}")
    if not isinstance(raw, dict) or raw.get("type") not in FIELD_TYPES or raw.get("type") == "ACL":
        kind = raw.get("type") if isinstance(raw, dict) else raw
        raise ParseError(Code.INCORRECT_TYPE, f"invalid field type: {kind}")
    kind = raw["type"]
    target = raw.get("targetClass")
    if kind in ("Pointer", "Relation") and not isinstance(target, str):
        raise ParseError(135, f"type {kind} needs a class name")
    return FieldSpec(kind, target, bool(raw.get("required", False)), raw.get("defaultValue"))


def _show(schema: ClassSchema) -> dict[str, Any]:
    return schema.to_json()


def list_schemas(core: Core) -> dict[str, Any]:
    return {"results": [_show(s) for s in core.registry.all()]}


def get_schema(core: Core, class_name: str) -> dict[str, Any]:
    schema = core.registry.get(class_name)
    if schema is None:
        raise ParseError(Code.INVALID_CLASS_NAME, f"Class {class_name} does not exist.")
    return _show(schema)


async def create_schema(
    core: Core, class_name: str, body: dict[str, Any], ctx: RequestContext | None = None
) -> dict[str, Any]:
    if body.get("className") not in (None, class_name):
        raise ParseError(
            Code.INVALID_CLASS_NAME, f"Class name mismatch between {body.get('className')} and {class_name}."
        )
    if core.registry.get(class_name) is not None:
        raise ParseError(Code.INVALID_CLASS_NAME, f"Class {class_name} already exists.")
    fields = {n: _spec(class_name, n, raw) for n, raw in (body.get("fields") or {}).items() if n not in DEFAULT_FIELDS}
    schema = ClassSchema(class_name, fields, default_clp(), body.get("indexes") or {})
    if body.get("classLevelPermissions") is not None:
        schema.clp = clp.validate(body["classLevelPermissions"], schema)
    async with core.db.transaction() as tx:
        await classes.create_class(core, tx, schema)
        await _schema_change(core, ctx, tx, class_name, "class created" + _names(" with fields", list(fields)))
        if body.get("classLevelPermissions") is not None:
            await _permission_change(core, ctx, tx, class_name)
    return _show(schema)


async def _permission_change(core: Core, ctx: RequestContext | None, tx: Any, class_name: str) -> None:
    ctx = ctx or RequestContext(app_id="", is_master=True)
    await entries.record(core, tx, [entries.entry(ctx, "permission_change", target_class="_SCHEMA", target_id=class_name,
                                              details="classLevelPermissions")])


async def _schema_change(core: Core, ctx: RequestContext | None, tx: Any, class_name: str, details: str) -> None:
    """A class created or dropped, fields added or deleted (a deleted field's values are gone)."""
    ctx = ctx or RequestContext(app_id="", is_master=True)
    await entries.record(core, tx, [entries.entry(ctx, "schema_change", target_class="_SCHEMA", target_id=class_name,
                                              details=details)])


def _names(what: str, names: list[str]) -> str:
    return f"{what}: {', '.join(sorted(names))}" if names else ""


async def update_schema(
    core: Core, class_name: str, body: dict[str, Any], ctx: RequestContext | None = None
) -> dict[str, Any]:
    schema = core.registry.get(class_name)
    if schema is None:
        raise ParseError(Code.INVALID_CLASS_NAME, f"Class {class_name} does not exist.")
    if body.get("fields") and is_ledger_class(class_name):
        raise ParseError(Code.OPERATION_FORBIDDEN, f"{class_name} is a view of the audit ledger: its fields are fixed.")
    adds: dict[str, FieldSpec] = {}
    drops: list[str] = []
    for name, raw in (body.get("fields") or {}).items():
        if isinstance(raw, dict) and raw.get("__op") == "Delete":
            if name not in schema.fields:
                raise ParseError(255, f"Field {name} does not exist, cannot delete.")
            drops.append(name)
        elif name in schema.fields or name in DEFAULT_FIELDS:
            raise ParseError(255, f"Field {name} exists, cannot update.")
        else:
            adds[name] = _spec(class_name, name, raw)
    async with core.db.transaction() as tx:
        merged = await classes.add_fields(core, tx, class_name, adds) if adds else schema
        merged = ClassSchema(merged.name, dict(merged.fields), dict(merged.clp), dict(merged.indexes))
        for name in drops:
            await ddl.drop_field(tx, class_name, name, merged.fields.pop(name))
        if adds or drops:
            said = [_names("fields added", list(adds)), _names("fields deleted", drops)]
            await _schema_change(core, ctx, tx, class_name, "; ".join(s for s in said if s))
        if body.get("classLevelPermissions") is not None:
            merged.clp = clp.validate(body["classLevelPermissions"], merged)
            await _permission_change(core, ctx, tx, class_name)
        await schema_store.save(tx, merged)
        tx.on_commit(lambda: core.registry.put(merged))
    return _show(merged)


async def delete_schema(core: Core, class_name: str, ctx: RequestContext | None = None) -> dict[str, Any]:
    schema = core.registry.get(class_name)
    if schema is None:
        return {}
    if is_ledger_class(class_name):
        raise ParseError(Code.OPERATION_FORBIDDEN, f"{class_name} is a view of the audit ledger: it cannot be dropped.")
    if class_name in SYSTEM_CLASSES:
        raise ParseError(Code.INVALID_CLASS_NAME, f"Cannot delete system class {class_name}")
    async with core.db.transaction() as tx:
        count = await rows.count(tx, class_name)
        if count:
            raise ParseError(255, f"Class {class_name} is not empty, contains {count} objects, cannot drop schema.")
        await ddl.drop_class_table(tx, schema)
        await schema_store.delete(tx, class_name)
        await _schema_change(core, ctx, tx, class_name, "class dropped")
        tx.on_commit(lambda: core.registry.remove(class_name))
    return {}

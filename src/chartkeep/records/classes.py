"""Creating classes and adding fields: DDL plus the ``_SCHEMA`` row, registry updated on commit."""

from __future__ import annotations

from chartkeep.core.handles import Core
from chartkeep.errors import Code, ParseError
from chartkeep.schema.model import ClassSchema, FieldSpec, valid_class_name
from chartkeep.schema.system import default_clp
from chartkeep.storage import ddl, schema_store
from chartkeep.storage.database import Conn


async def create_class(core: Core, conn: Conn, schema: ClassSchema) -> ClassSchema:
    if not valid_class_name(schema.name):
        raise ParseError(
            Code.INVALID_CLASS_NAME,
            f"Invalid classname: {schema.name}, classnames can only have alphanumeric characters and _, "
            "and must start with an alpha character ",
        )
    if not schema.clp:
        schema.clp = default_clp()
    await ddl.create_class_table(conn, schema)
    await schema_store.save(conn, schema)
    conn.on_commit(lambda: core.registry.put(schema))
    return schema


async def add_fields(core: Core, conn: Conn, class_name: str, fields: dict[str, FieldSpec]) -> ClassSchema:
    """Add ``fields`` to a class, merging with what is stored (another process may have added some)."""
    stored = await schema_store.load_one(conn, class_name) or core.registry.get(class_name)
    if stored is None:
        raise ParseError(Code.INVALID_CLASS_NAME, f"Class {class_name} does not exist.")
    merged = ClassSchema(stored.name, dict(stored.fields), stored.clp, stored.indexes)
    for name, spec in fields.items():
        existing = merged.fields.get(name)
        if existing is not None:
            if existing.type != spec.type or existing.target_class != spec.target_class:
                raise ParseError(
                    Code.INCORRECT_TYPE,
                    f"schema mismatch for {class_name}.{name}; expected {existing.type} but got {spec.type}",
                )
            continue
        await ddl.add_field(conn, class_name, name, spec)
        merged.fields[name] = spec
    await schema_store.save(conn, merged)
    conn.on_commit(lambda: core.registry.put(merged))
    return merged

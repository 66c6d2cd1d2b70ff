"""Persisting class schemas in the ``_SCHEMA`` system table."""

from __future__ import annotations

from typing import Any

import orjson

from chartkeep.schema.model import ClassSchema, class_from_json
from chartkeep.storage.database import Conn
from chartkeep.storage.ddl import SCHEMA_TABLE
from chartkeep.storage.dialect import quote


def _stored(schema: ClassSchema) -> dict[str, Any]:
    return {
        "className": schema.name,
        "fields": {n: s.to_json() for n, s in schema.fields.items()},
        "classLevelPermissions": schema.clp,
        "indexes": schema.indexes,
    }


async def load_all(conn: Conn) -> dict[str, ClassSchema]:
    rows = await conn.fetch(f'SELECT "schema" FROM {quote(SCHEMA_TABLE)}')
    out: dict[str, ClassSchema] = {}
    for row in rows:
        raw = row[0]
        data = orjson.loads(raw) if isinstance(raw, (str, bytes)) else raw
        schema = class_from_json(data)
        out[schema.name] = schema
    return out


async def load_one(conn: Conn, class_name: str) -> ClassSchema | None:
    """One class's stored schema, locked until the transaction ends on PostgreSQL."""
    lock = " FOR UPDATE" if conn.dialect.name == "postgresql" else ""
    raw = await conn.fetchval(
        f'SELECT "schema" FROM {quote(SCHEMA_TABLE)} WHERE "className" = {conn.dialect.placeholder(1)}{lock}',
        [class_name],
    )
    if raw is None:
        return None
    return class_from_json(orjson.loads(raw) if isinstance(raw, (str, bytes)) else raw)


async def save(conn: Conn, schema: ClassSchema) -> None:
    d = conn.dialect
    data = _stored(schema)
    value = data if d.name == "postgresql" else orjson.dumps(data).decode()
    p1, p2 = d.placeholder(1), d.placeholder(2)
    await conn.execute(
        f'INSERT INTO {quote(SCHEMA_TABLE)} ("className", "schema") VALUES ({p1}, {p2}) '
        f'ON CONFLICT ("className") DO UPDATE SET "schema" = excluded."schema"',
        [schema.name, value],
    )


async def delete(conn: Conn, class_name: str) -> None:
    await conn.execute(
        f'DELETE FROM {quote(SCHEMA_TABLE)} WHERE "className" = {conn.dialect.placeholder(1)}', [class_name]
    )

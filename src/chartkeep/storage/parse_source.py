"""Reading a Parse Server's own PostgreSQL database (``chartkeep import --from postgresql://…``):
the ``_SCHEMA`` table, each class's table and its ``_Join:<field>:<Class>`` tables, as Parse
Server's PostgreSQL adapter lays them out. Read only; the SQL for it lives here, with the rest."""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson

from chartkeep.storage.dialect import join_table, quote


async def connect(url: str) -> Any:
    return await asyncpg.connect(url)


async def schemas(conn: Any) -> list[dict[str, Any]]:
    """Each class's schema as Parse Server stored it (``{"className", "fields", …}``)."""
    found = await conn.fetch('SELECT "className", "schema" FROM "_SCHEMA" ORDER BY "className"')
    out = []
    for row in found:
        schema = row["schema"]
        out.append(orjson.loads(schema) if isinstance(schema, str | bytes) else dict(schema))
    return out


async def tables(conn: Any) -> list[str]:
    """The tables of the database's current schema (classes, ``_Join:…`` tables, ``_SCHEMA``)."""
    found = await conn.fetch("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
                             "AND table_type = 'BASE TABLE' ORDER BY table_name")
    return [r[0] for r in found]


async def columns(conn: Any, table: str) -> list[str]:
    found = await conn.fetch("SELECT column_name FROM information_schema.columns WHERE table_name = $1 "
                             "AND table_schema = current_schema() ORDER BY ordinal_position", table)
    return [r[0] for r in found]


async def rows(conn: Any, table: str, names: list[str]) -> list[dict[str, Any]]:
    """Every row of a class's table, the named columns only (jsonb decoded)."""
    if not names:
        return []
    found = await conn.fetch(f"SELECT {', '.join(quote(n) for n in names)} FROM {quote(table)} "
                             'ORDER BY "objectId"')
    return [dict(r) for r in found]


async def join_pairs(conn: Any, class_name: str, field: str) -> list[tuple[str, str]]:
    table = join_table(class_name, field)
    found = await conn.fetch(f'SELECT "owningId", "relatedId" FROM {quote(table)} ORDER BY "owningId"')
    return [(r[0], r[1]) for r in found]

"""Row-level reads and writes for one class: the only place objects become SQL rows and back.

Internal object dicts carry ``objectId``, ``createdAt``, ``updatedAt``, ``_rperm``, ``_wperm``,
each declared field by name, and (for system classes) hidden columns such as ``_hashed_password``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from typing import Any

from chartkeep.schema.model import ClassSchema
from chartkeep.storage.database import Conn, Row
from chartkeep.storage.ddl import HIDDEN_COLUMNS
from chartkeep.storage.dialect import Params, join_table, quote

PERM_COLUMNS = ("_rperm", "_wperm")
_LOCKED = "rows.locked"


# ---- rows this transaction holds locked ----------------------------------------------------------
# A row read ``FOR UPDATE`` (or written) in a transaction cannot change until it ends except by
# that transaction, whose writes all come through this module: so the rules of one write that need
# the same row again (a note locked by its workflow, then read by the label and care-team rules)
# get it from here instead of another SELECT. Copies in and out: callers may change what they get.


def _held(conn: Conn) -> dict[tuple[str, str], dict[str, Any]] | None:
    if not conn.in_transaction:
        return None
    held: dict[tuple[str, str], dict[str, Any]] = conn.tx_values.setdefault(_LOCKED, {})
    return held


def _remember(conn: Conn, class_name: str, row: dict[str, Any] | None) -> None:
    held = _held(conn)
    if held is not None and row is not None:
        held[(class_name, row["objectId"])] = copy.deepcopy(row)


def _forget(conn: Conn, class_name: str, object_id: str) -> None:
    held = _held(conn)
    if held is not None:
        held.pop((class_name, object_id), None)


def _recall(conn: Conn, class_name: str, object_id: str) -> dict[str, Any] | None:
    held = _held(conn)
    found = None if held is None else held.get((class_name, object_id))
    return None if found is None else copy.deepcopy(found)


def _column_types(schema: ClassSchema) -> dict[str, str]:
    types = {"objectId": "String", "createdAt": "Date", "updatedAt": "Date"}
    for name, spec in schema.column_fields().items():
        types[name] = spec.type
    types.update(HIDDEN_COLUMNS.get(schema.name, {}))
    return types


def select_list(schema: ClassSchema, alias: str | None = None) -> str:
    """The class's columns, named. Never ``SELECT *``: a cached PostgreSQL plan over named
    columns survives another request adding a column to the table; one over ``*`` does not."""
    prefix = f"{alias}." if alias else ""
    columns = [*_column_types(schema), *PERM_COLUMNS]
    return ", ".join(prefix + quote(c) for c in columns)


def decode_rows(schema: ClassSchema, found: list[Row], conn: Conn) -> list[dict[str, Any]]:
    types = _column_types(schema)
    return [decode_row(schema, row, conn, types) for row in found]


def decode_row(schema: ClassSchema, row: Row, conn: Conn, types: dict[str, str] | None = None) -> dict[str, Any]:
    d = conn.dialect
    types = types or _column_types(schema)
    out: dict[str, Any] = {}
    for key in row.keys():  # noqa: SIM118 - sqlite3.Row has keys() but no iteration by key
        raw = row[key]
        if key in PERM_COLUMNS:
            out[key] = d.perm_from_db(raw)
        elif key in types and raw is not None:
            out[key] = d.from_db(types[key], raw)
    return out


def _encode(schema: ClassSchema, conn: Conn, column: str, value: Any) -> Any:
    if column in PERM_COLUMNS:
        return conn.dialect.perm_to_db(value)
    return conn.dialect.to_db(_column_types(schema)[column], value)


async def insert(conn: Conn, schema: ClassSchema, obj: dict[str, Any]) -> None:
    sql, values = _insert_sql(conn, schema, obj)
    await conn.execute(sql, values)


async def insert_returning(conn: Conn, schema: ClassSchema, obj: dict[str, Any]) -> dict[str, Any]:
    """Store a new row and return it as stored, in the same statement (``RETURNING``): what a
    read-back after the INSERT would give, one round trip fewer."""
    sql, values = _insert_sql(conn, schema, obj)
    row = await conn.fetchrow(f"{sql} RETURNING {select_list(schema)}", values)
    assert row is not None  # an INSERT of one row returns it
    stored = decode_row(schema, row, conn)
    _remember(conn, schema.name, stored)
    return stored


def _insert_sql(conn: Conn, schema: ClassSchema, obj: dict[str, Any]) -> tuple[str, list[Any]]:
    params = Params(conn.dialect)
    cols = list(obj)
    marks = [params.add(_encode(schema, conn, c, obj[c])) for c in cols]
    return (f"INSERT INTO {quote(schema.name)} ({', '.join(quote(c) for c in cols)}) VALUES ({', '.join(marks)})",
            params.values)


async def insert_many(conn: Conn, schema: ClassSchema, objs: Sequence[dict[str, Any]]) -> None:
    """Store many new rows in one round trip: one statement over the union of their columns (a
    column a row lacks is stored NULL, as ``insert`` would leave it)."""
    if not objs:
        return
    types = _column_types(schema)
    cols = list(dict.fromkeys(c for obj in objs for c in obj))
    d = conn.dialect
    marks = ", ".join(d.placeholder(i + 1) for i in range(len(cols)))
    values = [[d.perm_to_db(obj.get(c)) if c in PERM_COLUMNS else d.to_db(types[c], obj.get(c)) for c in cols]
              for obj in objs]
    await conn.executemany(
        f"INSERT INTO {quote(schema.name)} ({', '.join(quote(c) for c in cols)}) VALUES ({marks})", values)


def _guard(conn: Conn, params: Params, object_id: str, write_principals: list[str] | None) -> str:
    where = f'"objectId" = {params.add(object_id)}'
    if write_principals is not None:
        where += " AND " + conn.dialect.perm_overlap(quote("_wperm"), write_principals, params)
    return where


async def update(
    conn: Conn,
    schema: ClassSchema,
    object_id: str,
    changes: dict[str, Any],
    write_principals: list[str] | None,
) -> list[str] | None:
    """Apply ``changes``; the row's read permissions after it (``[]`` when public), or None when no
    row matched (missing, or the ACL refused the write)."""
    sql, values = _update_sql(conn, schema, object_id, changes, write_principals)
    _forget(conn, schema.name, object_id)
    row = await conn.fetchrow(f'{sql} RETURNING "_rperm"', values)
    return None if row is None else (conn.dialect.perm_from_db(row[0]) or [])


async def update_returning(
    conn: Conn,
    schema: ClassSchema,
    object_id: str,
    changes: dict[str, Any],
    write_principals: list[str] | None,
) -> dict[str, Any] | None:
    """Apply ``changes`` and return the whole row as it is now, in the same statement (``RETURNING``),
    or None when no row matched (missing, or the ACL refused the write)."""
    sql, values = _update_sql(conn, schema, object_id, changes, write_principals)
    _forget(conn, schema.name, object_id)
    row = await conn.fetchrow(f"{sql} RETURNING {select_list(schema)}", values)
    if row is None:
        return None
    stored = decode_row(schema, row, conn)
    _remember(conn, schema.name, stored)
    return stored


def _update_sql(conn: Conn, schema: ClassSchema, object_id: str, changes: dict[str, Any],
                write_principals: list[str] | None) -> tuple[str, list[Any]]:
    params = Params(conn.dialect)
    sets = [f"{quote(c)} = {params.add(_encode(schema, conn, c, v))}" for c, v in changes.items()]
    where = _guard(conn, params, object_id, write_principals)
    return f"UPDATE {quote(schema.name)} SET {', '.join(sets)} WHERE {where}", params.values


async def delete(
    conn: Conn, schema: ClassSchema, object_id: str, write_principals: list[str] | None
) -> list[str] | None:
    """Delete the row; its read permissions (``[]`` when public), or None when no row matched."""
    params = Params(conn.dialect)
    where = _guard(conn, params, object_id, write_principals)
    _forget(conn, schema.name, object_id)
    row = await conn.fetchrow(f"DELETE FROM {quote(schema.name)} WHERE {where} RETURNING \"_rperm\"", params.values)
    if row is not None:
        for name, spec in schema.fields.items():
            if spec.type == "Relation":
                await conn.execute(
                    f'DELETE FROM {quote(join_table(schema.name, name))} WHERE "owningId" = '
                    f"{conn.dialect.placeholder(1)}",
                    [object_id],
                )
    return None if row is None else (conn.dialect.perm_from_db(row[0]) or [])


async def fetch_for_write(
    conn: Conn, schema: ClassSchema, object_id: str, write_principals: list[str] | None
) -> dict[str, Any] | None:
    """The current row, locked for the rest of the transaction on PostgreSQL."""
    if write_principals is None:
        held = _recall(conn, schema.name, object_id)
        if held is not None:
            return held
    params = Params(conn.dialect)
    where = _guard(conn, params, object_id, write_principals)
    lock = " FOR UPDATE" if conn.dialect.name == "postgresql" else ""
    row = await conn.fetchrow(
        f"SELECT {select_list(schema)} FROM {quote(schema.name)} WHERE {where}{lock}", params.values
    )
    if row is None:
        return None
    found = decode_row(schema, row, conn)
    _remember(conn, schema.name, found)
    return found


async def fetch(conn: Conn, schema: ClassSchema, object_id: str) -> dict[str, Any] | None:
    """The stored object, unlocked, whatever its ACL (the caller decides what may be seen); None
    when it does not exist (a row this transaction holds locked: as the transaction sees it)."""
    held = _recall(conn, schema.name, object_id)
    if held is not None:
        return held
    row = await conn.fetchrow(
        f"SELECT {select_list(schema)} FROM {quote(schema.name)} "
        f'WHERE "objectId" = {conn.dialect.placeholder(1)}',
        [object_id],
    )
    return None if row is None else decode_row(schema, row, conn)


async def fetch_by(conn: Conn, schema: ClassSchema, column: str, value: str) -> list[dict[str, Any]]:
    """The stored objects whose ``column`` equals ``value`` (a note's versions, say), whatever their ACL."""
    found = await conn.fetch(
        f"SELECT {select_list(schema)} FROM {quote(schema.name)} WHERE {quote(column)} = "
        f"{conn.dialect.placeholder(1)}",
        [value],
    )
    return decode_rows(schema, found, conn)


async def count(conn: Conn, class_name: str) -> int:
    """How many objects the class holds."""
    return int(await conn.fetchval(f"SELECT COUNT(*) FROM {quote(class_name)}") or 0)


async def count_by(conn: Conn, class_name: str, column: str, value: str) -> int:
    """How many objects of the class have ``column`` equal to ``value``."""
    found = await conn.fetchval(
        f"SELECT COUNT(*) FROM {quote(class_name)} WHERE {quote(column)} = {conn.dialect.placeholder(1)}",
        [value],
    )
    return int(found or 0)


async def field_value(conn: Conn, class_name: str, object_id: str, column: str) -> Any:
    """One column of a stored object (a pointer's objectId, say), whatever its ACL; None when the
    object does not exist (or the column holds nothing)."""
    row = await conn.fetchrow(
        f'SELECT {quote(column)} FROM {quote(class_name)} WHERE "objectId" = {conn.dialect.placeholder(1)}',
        [object_id],
    )
    return None if row is None else row[0]


async def field_values(conn: Conn, class_name: str, object_id: str, columns: Sequence[str]) -> Row | None:
    """Some columns of a stored object, raw and by name, whatever its ACL; None when the object
    does not exist."""
    return await conn.fetchrow(
        f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(class_name)} "
        f'WHERE "objectId" = {conn.dialect.placeholder(1)}',
        [object_id],
    )


async def exists(conn: Conn, class_name: str, object_id: str) -> bool:
    row = await conn.fetchrow(
        f'SELECT 1 FROM {quote(class_name)} WHERE "objectId" = {conn.dialect.placeholder(1)}', [object_id]
    )
    return row is not None


async def scan(conn: Conn, schema: ClassSchema, after: str | None, limit: int) -> list[dict[str, Any]]:
    """The next ``limit`` rows of a class by objectId, after ``after`` (an export pages through a class)."""
    params = Params(conn.dialect)
    where = f'WHERE "objectId" > {params.add(after)} ' if after is not None else ""
    found = await conn.fetch(f'SELECT {select_list(schema)} FROM {quote(schema.name)} {where}'
                             f'ORDER BY "objectId" LIMIT {int(limit)}', params.values)
    return decode_rows(schema, found, conn)


async def relation_pairs(conn: Conn, class_name: str, field: str) -> list[tuple[str, str]]:
    """Every (owningId, relatedId) of a relation field."""
    table = quote(join_table(class_name, field))
    found = await conn.fetch(f'SELECT "owningId", "relatedId" FROM {table} ORDER BY "owningId", "relatedId"')
    return [(r[0], r[1]) for r in found]


async def existing_ids(conn: Conn, class_name: str, ids: Sequence[str]) -> set[str]:
    """Which of ``ids`` are stored in the class (an import skips them: a re-run adds nothing)."""
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = list(ids[start:start + 500])
        marks = ", ".join(conn.dialect.placeholder(i + 1) for i in range(len(chunk)))
        rows = await conn.fetch(f'SELECT "objectId" FROM {quote(class_name)} WHERE "objectId" IN ({marks})', chunk)
        found.update(r[0] for r in rows)
    return found


async def relation_ids(conn: Conn, class_name: str, field: str, owning_id: str) -> set[str]:
    """The ids a relation field of one object names."""
    table = quote(join_table(class_name, field))
    found = await conn.fetch(f'SELECT "relatedId" FROM {table} WHERE "owningId" = {conn.dialect.placeholder(1)}',
                             [owning_id])
    return {r[0] for r in found}


async def relation_add(conn: Conn, class_name: str, field: str, owning_id: str, related: Iterable[str]) -> None:
    d = conn.dialect
    table = quote(join_table(class_name, field))
    for related_id in related:
        await conn.execute(
            f'INSERT INTO {table} ("owningId", "relatedId") VALUES ({d.placeholder(1)}, {d.placeholder(2)}) '
            f"ON CONFLICT DO NOTHING",
            [owning_id, related_id],
        )


async def relation_remove(
    conn: Conn, class_name: str, field: str, owning_id: str, related: Iterable[str]
) -> None:
    d = conn.dialect
    table = quote(join_table(class_name, field))
    for related_id in related:
        await conn.execute(
            f'DELETE FROM {table} WHERE "owningId" = {d.placeholder(1)} AND "relatedId" = {d.placeholder(2)}',
            [owning_id, related_id],
        )

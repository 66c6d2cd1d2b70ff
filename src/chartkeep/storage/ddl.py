"""Tables for classes: create, add columns, indexes, join tables, and the schema system table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chartkeep.schema.model import ClassSchema, FieldSpec
from chartkeep.storage.database import Conn
from chartkeep.storage.dialect import join_table, quote

SCHEMA_TABLE = "_SCHEMA"

# Columns that exist on system classes but are not schema fields (never returned to clients).
HIDDEN_COLUMNS: dict[str, dict[str, str]] = {
    "_User": {"_hashed_password": "String"},
}

# Unique indexes Parse keeps on system classes (case-insensitive where Parse compares so).
UNIQUE_INDEXES: dict[str, list[tuple[str, str]]] = {
    "_User": [("_User_unique_username", 'lower("username")'), ("_User_unique_email", 'lower("email")')],
    "_Session": [("_Session_unique_token", '"sessionToken"')],
    "_Role": [("_Role_unique_name", '"name"')],
    # one installation per installationId (devices/installations.py upserts by it; stored lowercased)
    "_Installation": [("_Installation_unique_installationId", '"installationId"')],
    # the backstop of the note-version lock: one row per (note, number) (docs/clinical.md)
    "NoteVersion": [("NoteVersion_unique_number", '"medicalNote", "versionNumber"')],
    "ProviderProfile": [("ProviderProfile_unique_user", '"user"')],  # one directory entry per clinician
    # the templates' "unique" hints: an MRN names one chart (docs/templates.md)
    "Patient": [("Patient_unique_mrn", '"mrn"')],
    "PatientProfile": [("PatientProfile_unique_mrn", '"medicalRecordNumber"')],
    # the backstop of the assessment-revision lock: a version is superseded once (docs/assessments.md)
    "IntakeAssessment": [("IntakeAssessment_unique_previous", '"previousVersion"')],
}


async def ensure_schema_table(conn: Conn) -> None:
    d = conn.dialect
    await conn.execute(
        f"CREATE TABLE IF NOT EXISTS {quote(SCHEMA_TABLE)} ("
        f'"className" TEXT PRIMARY KEY, "schema" {d.json_type} NOT NULL)'
    )


def _column_def(conn: Conn, name: str, spec: FieldSpec) -> str:
    return f"{quote(name)} {conn.dialect.column_type(spec.type)}"


async def create_class_table(conn: Conn, schema: ClassSchema) -> None:
    d = conn.dialect
    date = d.column_type("Date")
    cols = [
        '"objectId" TEXT PRIMARY KEY',
        f'"createdAt" {date} NOT NULL',
        f'"updatedAt" {date} NOT NULL',
        f'"_rperm" {d.perm_type}',
        f'"_wperm" {d.perm_type}',
    ]
    for name, spec in schema.column_fields().items():
        cols.append(_column_def(conn, name, spec))
    for name, kind in HIDDEN_COLUMNS.get(schema.name, {}).items():
        cols.append(f"{quote(name)} {d.column_type(kind)}")
    table = quote(schema.name)
    await conn.execute(f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(cols)})")
    for col in ("createdAt", "updatedAt"):
        await _index(conn, schema.name, col)
    for index_name, expr in UNIQUE_INDEXES.get(schema.name, []):
        await conn.execute(f"CREATE UNIQUE INDEX IF NOT EXISTS {quote(index_name)} ON {table} ({expr})")
    for name, spec in schema.fields.items():
        await _field_storage(conn, schema.name, name, spec)


async def add_field(conn: Conn, class_name: str, name: str, spec: FieldSpec) -> None:
    """Idempotent: another process may have added the same column a moment ago."""
    if spec.type != "Relation":
        table = quote(class_name)
        if conn.dialect.name == "postgresql":
            await conn.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {_column_def(conn, name, spec)}")
        else:
            existing = {row[1] for row in await conn.fetch(f"PRAGMA table_info({table})")}
            if name not in existing:
                await conn.execute(f"ALTER TABLE {table} ADD COLUMN {_column_def(conn, name, spec)}")
        for index_name, expr in UNIQUE_INDEXES.get(class_name, []):
            if expr == quote(name):  # a one-column unique index on a column added to an existing table
                await conn.execute(f"CREATE UNIQUE INDEX IF NOT EXISTS {quote(index_name)} ON {table} ({expr})")
    await _field_storage(conn, class_name, name, spec)


@dataclass(frozen=True, slots=True)
class Duplicate:
    """Rows that share a value a unique index wants once: the index is not created until they are fixed."""

    index: str
    class_name: str
    value: tuple[Any, ...]
    object_ids: tuple[str, ...]


async def _index_exists(conn: Conn, index_name: str) -> bool:
    if conn.dialect.name == "postgresql":
        sql = "SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = $1"
    else:
        sql = "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?"
    return await conn.fetchval(sql, [index_name]) is not None


async def ensure_unique_indexes(conn: Conn, class_name: str) -> list[Duplicate]:
    """Create the class's unique indexes an existing table lacks (an upgrade). Rows that already share
    a value are never merged nor deleted: that index is left out and the rows are returned, so the
    start-up reports them (``chartkeep init``, the server's log) until someone resolves them."""
    table = quote(class_name)
    found: list[Duplicate] = []
    for index_name, expr in UNIQUE_INDEXES.get(class_name, []):
        if await _index_exists(conn, index_name):
            continue
        rows = await conn.fetch(
            f'SELECT "objectId", {expr} FROM {table} WHERE ({expr}) IN '
            f"(SELECT {expr} FROM {table} GROUP BY {expr} HAVING COUNT(*) > 1) ORDER BY {expr}, \"createdAt\""
        )
        if not rows:
            await conn.execute(f"CREATE UNIQUE INDEX IF NOT EXISTS {quote(index_name)} ON {table} ({expr})")
            continue
        groups: dict[tuple[Any, ...], list[str]] = {}
        for row in rows:
            values = tuple(row)
            groups.setdefault(values[1:], []).append(str(values[0]))
        found += [Duplicate(index_name, class_name, value, tuple(ids)) for value, ids in groups.items()]
    return found


async def drop_field(conn: Conn, class_name: str, name: str, spec: FieldSpec) -> None:
    if spec.type == "Relation":
        await conn.execute(f"DROP TABLE IF EXISTS {quote(join_table(class_name, name))}")
        return
    await conn.execute(f"DROP INDEX IF EXISTS {quote(f'{class_name}_{name}_idx')}")
    await conn.execute(f"ALTER TABLE {quote(class_name)} DROP COLUMN {quote(name)}")


async def drop_class_table(conn: Conn, schema: ClassSchema) -> None:
    for name, spec in schema.fields.items():
        if spec.type == "Relation":
            await conn.execute(f"DROP TABLE IF EXISTS {quote(join_table(schema.name, name))}")
    await conn.execute(f"DROP TABLE IF EXISTS {quote(schema.name)}")


async def _field_storage(conn: Conn, class_name: str, name: str, spec: FieldSpec) -> None:
    """Indexes for pointers; join tables for relations."""
    if spec.type == "Pointer":
        await _index(conn, class_name, name)
    elif spec.type == "Relation":
        jt = quote(join_table(class_name, name))
        await conn.execute(
            f'CREATE TABLE IF NOT EXISTS {jt} ("owningId" TEXT NOT NULL, "relatedId" TEXT NOT NULL, '
            f'PRIMARY KEY ("owningId", "relatedId"))'
        )
        await conn.execute(
            f"CREATE INDEX IF NOT EXISTS {quote(f'{class_name}_{name}_related_idx')} ON {jt} (\"relatedId\")"
        )


async def _index(conn: Conn, class_name: str, column: str) -> None:
    await conn.execute(
        f"CREATE INDEX IF NOT EXISTS {quote(f'{class_name}_{column}_idx')} "
        f"ON {quote(class_name)} ({quote(column)})"
    )

"""Where the ledger lives: ``_Audit`` (append-only), ``_AuditHead`` (the chain's last link) and the
two read-only views the seed classes are served from.

``_Audit`` refuses UPDATE and DELETE by trigger on both back-ends (and TRUNCATE on PostgreSQL), so
not even a SQL console changes a row without first dropping the trigger — which ``audit verify``
then catches through the chain. ``AuditEvent`` (EHR field names) and ``AuditLog`` (behavioral-health
field names) are views over the same rows: one ledger, two vocabularies.
"""

from __future__ import annotations

from chartkeep.schema.model import ClassSchema
from chartkeep.storage.database import Conn
from chartkeep.storage.dialect import quote

LEDGER = "_Audit"
HEAD = "_AuditHead"
APPEND_ONLY = "append-only: audit ledger rows are never updated or deleted"

# Ledger columns: (name, Parse type of the value, NOT NULL)
COLUMNS: list[tuple[str, str]] = [
    ("objectId", "String"), ("time", "Date"), ("actor", "String"), ("patient", "String"),
    ("patientClass", "String"), ("eventType", "String"), ("targetClass", "String"), ("targetId", "String"),
    ("outcome", "String"), ("details", "String"), ("metadata", "Object"), ("ipAddress", "String"),
    ("source", "String"), ("severity", "String"), ("prevHash", "String"), ("hash", "String"),
]

_COMMON = {
    "objectId": '"objectId"', "createdAt": '"time"', "updatedAt": '"time"', "_rperm": '"_rperm"',
    "_wperm": '"_wperm"', "actor": '"actor"', "outcome": '"outcome"', "severity": '"severity"',
    "source": '"source"', "seq": '"seq"', "hash": '"hash"', "prevHash": '"prevHash"', "metadata": '"metadata"',
    "ipAddress": '"ipAddress"', "timestamp": '"time"',
}

# class -> {field: SQL expression over _Audit}
VIEWS: dict[str, dict[str, str]] = {
    "AuditEvent": {
        **_COMMON,
        "patient": """CASE WHEN "patientClass" = 'Patient' THEN "patient" END""",
        "eventType": '"eventType"', "targetClass": '"targetClass"', "targetId": '"targetId"',
        "details": '"details"',
    },
    "AuditLog": {
        **_COMMON,
        "patient": """CASE WHEN "patientClass" = 'PatientProfile' THEN "patient" END""",
        "entityType": '"targetClass"', "entityId": '"targetId"', "action": '"eventType"',
        # the seed requires a summary: the ledger's details, else "<action> <entityType> <entityId>"
        "summary": """COALESCE("details", "eventType" || COALESCE(' ' || "targetClass", '')
                   || COALESCE(' ' || "targetId", ''))""",
    },
}


def is_ledger_class(class_name: str) -> bool:
    return class_name in VIEWS


async def ensure_ledger(conn: Conn) -> None:
    """Create what is missing (cheap on every start: one or two catalogue lookups when present)."""
    if await _relation_kind(conn, LEDGER) == "table" and await _guarded(conn):
        return
    d = conn.dialect
    seq = "BIGINT PRIMARY KEY" if d.name == "postgresql" else "INTEGER PRIMARY KEY"
    cols = [f'"seq" {seq}'] + [f"{quote(n)} {d.column_type(t)}" for n, t in COLUMNS]
    cols += [f'"_rperm" {d.perm_type}', f'"_wperm" {d.perm_type}']
    await conn.execute(f"CREATE TABLE IF NOT EXISTS {quote(LEDGER)} ({', '.join(cols)})")
    await conn.execute(f'CREATE UNIQUE INDEX IF NOT EXISTS "_Audit_objectId" ON {quote(LEDGER)} ("objectId")')
    for column in ("time", "patient", "actor", "eventType"):
        await conn.execute(f'CREATE INDEX IF NOT EXISTS "_Audit_{column}" ON {quote(LEDGER)} ("{column}")')
    await conn.execute(
        f'CREATE TABLE IF NOT EXISTS {quote(HEAD)} ("id" INTEGER PRIMARY KEY, "seq" BIGINT NOT NULL, '
        f'"hash" TEXT NOT NULL)'
    )
    await conn.execute(
        f"INSERT INTO {quote(HEAD)} (\"id\", \"seq\", \"hash\") VALUES (1, 0, '{'0' * 64}') "
        'ON CONFLICT ("id") DO NOTHING'
    )
    await (_pg_triggers(conn) if d.name == "postgresql" else _sqlite_triggers(conn))


async def _guarded(conn: Conn) -> bool:
    if conn.dialect.name == "postgresql":
        count = await conn.fetchval(
            "SELECT COUNT(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE c.relname = $1 AND n.nspname = current_schema() "
            "AND NOT t.tgisinternal", [LEDGER])
        return int(count or 0) >= 2
    count = await conn.fetchval("SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", [LEDGER])
    return int(count or 0) >= 2


async def _sqlite_triggers(conn: Conn) -> None:
    for op in ("UPDATE", "DELETE"):
        await conn.execute(
            f'CREATE TRIGGER IF NOT EXISTS "_Audit_no_{op.lower()}" BEFORE {op} ON {quote(LEDGER)} '
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
        )


async def _pg_triggers(conn: Conn) -> None:
    await conn.execute(
        'CREATE OR REPLACE FUNCTION "_audit_append_only"() RETURNS trigger LANGUAGE plpgsql AS '
        f"$$ BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$"
    )
    await conn.execute(f'DROP TRIGGER IF EXISTS "_Audit_no_change" ON {quote(LEDGER)}')
    await conn.execute(
        f'CREATE TRIGGER "_Audit_no_change" BEFORE UPDATE OR DELETE ON {quote(LEDGER)} '
        'FOR EACH ROW EXECUTE FUNCTION "_audit_append_only"()'
    )
    await conn.execute(f'DROP TRIGGER IF EXISTS "_Audit_no_truncate" ON {quote(LEDGER)}')
    await conn.execute(
        f'CREATE TRIGGER "_Audit_no_truncate" BEFORE TRUNCATE ON {quote(LEDGER)} '
        'FOR EACH STATEMENT EXECUTE FUNCTION "_audit_append_only"()'
    )


async def _relation_kind(conn: Conn, name: str) -> str | None:
    """'table', 'view' or None."""
    if conn.dialect.name == "postgresql":
        kind = await conn.fetchval(
            "SELECT c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = $1 AND n.nspname = current_schema()", [name])
        return {"r": "table", "v": "view"}.get(kind) if kind else None
    return await conn.fetchval("SELECT type FROM sqlite_master WHERE name = ?", [name])


async def ensure_view(conn: Conn, schema: ClassSchema, unchanged: bool = False) -> None:
    """(Re)create the class's view — unless it exists and its fields are ``unchanged``. A table
    left by an earlier version is kept, renamed."""
    mapping = VIEWS[schema.name]
    unknown = [f for f in schema.column_fields() if f not in mapping]
    if unknown:
        raise ValueError(f"{schema.name}: no ledger column for {', '.join(unknown)}")
    kind = await _relation_kind(conn, schema.name)
    if kind == "view" and unchanged:
        return
    if kind == "table":
        await conn.execute(f"ALTER TABLE {quote(schema.name)} RENAME TO {quote(schema.name + '_preledger')}")
    elif kind == "view":
        await conn.execute(f"DROP VIEW {quote(schema.name)}")
    fields = ["objectId", "createdAt", "updatedAt", "_rperm", "_wperm", *schema.column_fields()]
    select = ", ".join(f"{mapping[f]} AS {quote(f)}" for f in dict.fromkeys(fields))
    await conn.execute(f"CREATE VIEW {quote(schema.name)} AS SELECT {select} FROM {quote(LEDGER)}")

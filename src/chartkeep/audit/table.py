"""Where the ledger lives: ``_Audit`` (append-only), ``_AuditChain`` (each chain's last link),
``_AuditCheckpoint`` (signed heads, append-only) and the two read-only views the seed classes are
served from.

``_Audit`` refuses UPDATE and DELETE by trigger on both back-ends (and TRUNCATE on PostgreSQL), so
not even a SQL console changes a row without first dropping the trigger — which ``audit verify``
then catches through the chain. ``AuditEvent`` (EHR field names) and ``AuditLog`` (behavioral-health
field names) are views over the same rows: one ledger, two vocabularies.
"""

from __future__ import annotations

from chartkeep.audit.chains import genesis
from chartkeep.schema.model import ClassSchema
from chartkeep.storage.database import Conn
from chartkeep.storage.dialect import quote

LEDGER = "_Audit"
CHAINS = "_AuditChain"  # one head row per chain: its last position and hash
CHECKPOINTS = "_AuditCheckpoint"  # signed records of every chain's head (append-only too)
SEQUENCE = "_Audit_seq"  # PostgreSQL: the global reading order (SQLite: the rowid)
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


async def create_ledger(conn: Conn, chains: int) -> None:
    """A new ledger: ``_Audit`` (``seq`` assigned by the database), its ``chains`` head rows, the
    checkpoint table."""
    d = conn.dialect
    if d.name == "postgresql":
        await conn.execute(f"CREATE SEQUENCE IF NOT EXISTS {quote(SEQUENCE)}")
        seq = f"BIGINT PRIMARY KEY DEFAULT nextval('{quote(SEQUENCE)}')"
    else:
        seq = "INTEGER PRIMARY KEY"  # the rowid: max + 1 on insert
    cols = [f'"seq" {seq}', '"chain" INTEGER NOT NULL', '"position" BIGINT NOT NULL']
    cols += [f"{quote(n)} {d.column_type(t)}" for n, t in COLUMNS]
    cols += [f'"_rperm" {d.perm_type}', f'"_wperm" {d.perm_type}']
    await conn.execute(f"CREATE TABLE IF NOT EXISTS {quote(LEDGER)} ({', '.join(cols)})")
    if d.name == "postgresql":
        await conn.execute(f'ALTER SEQUENCE {quote(SEQUENCE)} OWNED BY {quote(LEDGER)}."seq"')
    await ensure_indexes(conn)
    if await relation_kind(conn, CHAINS) != "table":  # never more chains on an existing ledger
        await create_chains(conn, chains)


async def ensure_indexes(conn: Conn) -> None:
    await conn.execute(f'CREATE UNIQUE INDEX IF NOT EXISTS "_Audit_objectId" ON {quote(LEDGER)} ("objectId")')
    await conn.execute(
        f'CREATE UNIQUE INDEX IF NOT EXISTS "_Audit_chain_position" ON {quote(LEDGER)} ("chain", "position")')
    for column in ("time", "patient", "actor", "eventType"):
        await conn.execute(f'CREATE INDEX IF NOT EXISTS "_Audit_{column}" ON {quote(LEDGER)} ("{column}")')


async def create_chains(conn: Conn, chains: int, first: tuple[int, str] | None = None) -> None:
    """The head rows of chains 1..``chains``; ``first``: chain 1's (position, hash) when it continues
    an existing single chain."""
    await conn.execute(
        f'CREATE TABLE IF NOT EXISTS {quote(CHAINS)} ("chain" INTEGER PRIMARY KEY, "position" BIGINT NOT NULL, '
        f'"hash" TEXT NOT NULL)'
    )
    p = ["$1", "$2", "$3"] if conn.dialect.name == "postgresql" else ["?"] * 3
    for chain in range(1, chains + 1):
        position, head = first if chain == 1 and first else (0, genesis(chain))
        await conn.execute(
            f'INSERT INTO {quote(CHAINS)} ("chain", "position", "hash") VALUES ({", ".join(p)}) '
            'ON CONFLICT ("chain") DO NOTHING', [chain, position, head])


async def create_checkpoints(conn: Conn) -> None:
    d = conn.dialect
    key = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY" if d.name == "postgresql" else "INTEGER PRIMARY KEY"
    await conn.execute(
        f'CREATE TABLE IF NOT EXISTS {quote(CHECKPOINTS)} ("id" {key}, "time" {d.column_type("Date")} NOT NULL, '
        '"payload" TEXT NOT NULL, "publicKey" TEXT NOT NULL, "signature" TEXT NOT NULL)'
    )


async def guarded(conn: Conn, table: str) -> bool:
    if conn.dialect.name == "postgresql":
        count = await conn.fetchval(
            "SELECT COUNT(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE c.relname = $1 AND n.nspname = current_schema() "
            "AND NOT t.tgisinternal AND t.tgenabled <> 'D'", [table])
        return int(count or 0) >= 2
    count = await conn.fetchval("SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", [table])
    return int(count or 0) >= 2


async def guard(conn: Conn, table: str) -> None:
    """Triggers refusing UPDATE and DELETE (and TRUNCATE on PostgreSQL) on ``table``."""
    if conn.dialect.name == "postgresql":
        await _pg_triggers(conn, table)
    else:
        await _sqlite_triggers(conn, table)


async def _sqlite_triggers(conn: Conn, table: str) -> None:
    for op in ("UPDATE", "DELETE"):
        await conn.execute(
            f'CREATE TRIGGER IF NOT EXISTS "{table}_no_{op.lower()}" BEFORE {op} ON {quote(table)} '
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
        )


async def _pg_triggers(conn: Conn, table: str) -> None:
    await conn.execute(
        'CREATE OR REPLACE FUNCTION "_audit_append_only"() RETURNS trigger LANGUAGE plpgsql AS '
        f"$$ BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$"
    )
    await conn.execute(f'DROP TRIGGER IF EXISTS "{table}_no_change" ON {quote(table)}')
    await conn.execute(
        f'CREATE TRIGGER "{table}_no_change" BEFORE UPDATE OR DELETE ON {quote(table)} '
        'FOR EACH ROW EXECUTE FUNCTION "_audit_append_only"()'
    )
    await conn.execute(f'DROP TRIGGER IF EXISTS "{table}_no_truncate" ON {quote(table)}')
    await conn.execute(
        f'CREATE TRIGGER "{table}_no_truncate" BEFORE TRUNCATE ON {quote(table)} '
        'FOR EACH STATEMENT EXECUTE FUNCTION "_audit_append_only"()'
    )


async def columns_of(conn: Conn, table: str) -> set[str]:
    if conn.dialect.name == "postgresql":
        rows = await conn.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = $1 "
            "AND table_schema = current_schema()", [table])
    else:
        rows = await conn.fetch(f"SELECT name FROM pragma_table_info('{table}')")
    return {str(r[0]) for r in rows}


async def relation_kind(conn: Conn, name: str) -> str | None:
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
    kind = await relation_kind(conn, schema.name)
    if kind == "view" and unchanged:
        return
    if kind == "table":
        await conn.execute(f"ALTER TABLE {quote(schema.name)} RENAME TO {quote(schema.name + '_preledger')}")
    elif kind == "view":
        await conn.execute(f"DROP VIEW {quote(schema.name)}")
    fields = ["objectId", "createdAt", "updatedAt", "_rperm", "_wperm", *schema.column_fields()]
    select = ", ".join(f"{mapping[f]} AS {quote(f)}" for f in dict.fromkeys(fields))
    await conn.execute(f"CREATE VIEW {quote(schema.name)} AS SELECT {select} FROM {quote(LEDGER)}")

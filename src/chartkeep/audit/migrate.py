"""Turning a single-chain ledger (``_Audit`` keyed by ``seq`` and one ``_AuditHead`` row) into chain
1 of a partitioned ledger, in the start-up transaction.

Every existing row keeps its ``seq`` and is given ``chain`` 1 and ``position`` = its ``seq``; as the
hashed content starts with the position (it was the ``seq``), every stored hash stays valid and the
old chain continues as chain 1 from the head ``_AuditHead`` named. The primary key stays ``seq``
(SQLite cannot alter a primary key, and no reader has to change); ``(chain, position)`` gets a
unique index, and on PostgreSQL ``seq`` a sequence starting after the highest stored one. Giving the
old rows their chain and position is the only UPDATE ever made to ledger rows: the append-only
triggers are lifted for that one statement, inside the same transaction (no one else can see or
write the table meanwhile), and restored before it commits.
"""

from __future__ import annotations

from chartkeep.audit.table import LEDGER, SEQUENCE, create_chains, ensure_indexes, guard, relation_kind
from chartkeep.storage.database import Conn
from chartkeep.storage.dialect import quote

LEGACY_HEAD = "_AuditHead"


async def migrate_single_chain(conn: Conn, chains: int) -> None:
    pg = conn.dialect.name == "postgresql"
    table = quote(LEDGER)
    await conn.execute(f'ALTER TABLE {table} ADD COLUMN "chain" INTEGER NOT NULL DEFAULT 1')
    await conn.execute(f'ALTER TABLE {table} ADD COLUMN "position" BIGINT NOT NULL DEFAULT 0')
    if pg:
        await conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    else:
        for op in ("update", "delete"):
            await conn.execute(f'DROP TRIGGER IF EXISTS "{LEDGER}_no_{op}"')
    await conn.execute(f'UPDATE {table} SET "position" = "seq"')
    if pg:
        await conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        await conn.execute(f'ALTER TABLE {table} ALTER COLUMN "chain" DROP DEFAULT, '
                           'ALTER COLUMN "position" DROP DEFAULT')
        await conn.execute(f"CREATE SEQUENCE IF NOT EXISTS {quote(SEQUENCE)} OWNED BY {table}.\"seq\"")
        await conn.execute(f"SELECT setval('{quote(SEQUENCE)}', COALESCE(MAX(\"seq\"), 0) + 1, false) FROM {table}")
        await conn.execute(f"ALTER TABLE {table} ALTER COLUMN \"seq\" SET DEFAULT nextval('{quote(SEQUENCE)}')")
    await guard(conn, LEDGER)
    await ensure_indexes(conn)
    first = None
    if await relation_kind(conn, LEGACY_HEAD) == "table":
        head = await conn.fetchrow(f'SELECT "seq", "hash" FROM {quote(LEGACY_HEAD)} WHERE "id" = 1')
        if head is not None:
            first = (int(head[0]), str(head[1]))
        await conn.execute(f"DROP TABLE {quote(LEGACY_HEAD)}")
    await create_chains(conn, chains, first)

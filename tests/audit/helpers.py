"""Reading the ledger straight from its table, and tampering with it by SQL."""

from __future__ import annotations

from typing import Any

from chartkeep.audit.verify import verify


async def head(core: Any) -> int:
    async with core.db.read() as conn:
        return int(await conn.fetchval('SELECT COALESCE(MAX("seq"), 0) FROM "_Audit"'))


async def entries_after(core: Any, seq: int) -> list[tuple[Any, ...]]:
    """(eventType, actor, patient, targetClass, targetId, outcome) of each entry after ``seq``."""
    p = "$1" if core.db.dialect.name == "postgresql" else "?"
    async with core.db.read() as conn:
        found = await conn.fetch(
            'SELECT "eventType", "actor", "patient", "targetClass", "targetId", "outcome" FROM "_Audit" '
            f'WHERE "seq" > {p} ORDER BY "seq"', [seq])
    return [tuple(r) for r in found]


async def run_sql(core: Any, *statements: str) -> None:
    async with core.db.transaction() as tx:
        for sql in statements:
            await tx.execute(sql)


async def drop_guards(core: Any) -> None:
    """What an attacker with database access does first."""
    if core.db.dialect.name == "postgresql":
        await run_sql(core, 'DROP TRIGGER "_Audit_no_change" ON "_Audit"', 'DROP TRIGGER "_Audit_no_truncate" ON "_Audit"')
    else:
        await run_sql(core, 'DROP TRIGGER "_Audit_no_update"', 'DROP TRIGGER "_Audit_no_delete"')


async def check(core: Any, **options: Any) -> Any:
    return await verify(core.db, **options)


async def row_at(core: Any, seq: int) -> tuple[int, int, str]:
    """(chain, position, objectId) of the entry ``seq``."""
    p = "$1" if core.db.dialect.name == "postgresql" else "?"
    async with core.db.read() as conn:
        row = await conn.fetchrow(f'SELECT "chain", "position", "objectId" FROM "_Audit" WHERE "seq" = {p}', [seq])
    return int(row[0]), int(row[1]), str(row[2])

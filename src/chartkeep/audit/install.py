"""Creating the ledger at start-up, or bringing an older one to the current layout.

The number of chains is chosen once, when the ledger is created (the ``ledger_chains`` setting),
and kept in the database as the rows of ``_AuditChain``. Changing the setting later changes
nothing: the stored number wins, so no chart is ever re-homed to another chain (``stored_chains``
lets start-up say so).
"""

from __future__ import annotations

from chartkeep.audit.migrate import migrate_single_chain
from chartkeep.audit.table import (
    CHAINS,
    CHECKPOINTS,
    LEDGER,
    columns_of,
    create_checkpoints,
    create_ledger,
    guard,
    guarded,
    relation_kind,
)
from chartkeep.storage.database import Conn
from chartkeep.storage.dialect import quote


async def ensure_ledger(conn: Conn, chains: int = 16) -> None:
    """Create what is missing (cheap on every start: a few catalogue lookups when present)."""
    if (await relation_kind(conn, CHAINS) == "table" and await relation_kind(conn, CHECKPOINTS) == "table"
            and await guarded(conn, LEDGER) and await guarded(conn, CHECKPOINTS)):
        return
    if await relation_kind(conn, LEDGER) == "table" and "chain" not in await columns_of(conn, LEDGER):
        await migrate_single_chain(conn, chains)
    else:
        await create_ledger(conn, chains)
    await guard(conn, LEDGER)
    await create_checkpoints(conn)
    await guard(conn, CHECKPOINTS)


async def stored_chains(conn: Conn) -> int:
    return int(await conn.fetchval(f"SELECT COUNT(*) FROM {quote(CHAINS)}") or 0)

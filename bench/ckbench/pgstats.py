"""PostgreSQL's own counters for one database around a recorded window (``pg_stat_database``).

Works the same for every server on PostgreSQL, needs no extension and no restart: transactions
(``xact_commit + xact_rollback``; outside an explicit transaction each statement is one), the
rows PostgreSQL read and wrote, and the connections opened (``sessions``). Backends flush these counters at most once a second, so a window of
a few seconds is approximate; in a steady run what is pending at the start and at the end is about
the same. Statements themselves are counted on the wire (``pgwire.py``).
"""

from __future__ import annotations

from typing import Any

import asyncpg

COLUMNS = ("xact_commit", "xact_rollback", "tup_returned", "tup_fetched", "tup_inserted", "tup_updated",
           "tup_deleted", "blks_hit", "blks_read", "sessions")


class DbStatsMeter:
    def __init__(self, admin_url: str, db_name: str | None) -> None:
        self.admin_url = admin_url
        self.db_name = db_name
        self.start: dict[str, int] = {}

    async def snapshot(self) -> dict[str, int]:
        conn = await asyncpg.connect(self.admin_url)
        try:
            row = await conn.fetchrow(
                f"SELECT {', '.join(COLUMNS)} FROM pg_stat_database WHERE datname = $1", self.db_name
            )
        finally:
            await conn.close()
        return {k: int(row[k] or 0) for k in COLUMNS} if row else {}

    async def begin(self) -> None:
        if self.db_name:
            self.start = await self.snapshot()

    async def end(self) -> dict[str, Any]:
        if not self.db_name or not self.start:
            return {}
        now = await self.snapshot()
        d = {k: now[k] - self.start[k] for k in COLUMNS}
        return {
            "xacts": d["xact_commit"] + d["xact_rollback"],
            "rows_read": d["tup_returned"],
            "rows_fetched": d["tup_fetched"],
            "rows_written": d["tup_inserted"] + d["tup_updated"] + d["tup_deleted"],
            "blocks": d["blks_hit"] + d["blks_read"],
            "connections": d["sessions"],  # opened in the window: a pool that reconnects shows here
        }


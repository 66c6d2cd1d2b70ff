"""Transaction-scoped advisory locks: writers that must take turns on a key (a provider's
calendar, a message thread, the schema being initialised) queue on a PostgreSQL
``pg_advisory_xact_lock`` held until their transaction ends. SQLite has one writer connection, so
its write transactions are serialised already: these do nothing there."""

from __future__ import annotations

from chartkeep.storage.database import Conn


async def xact_lock(conn: Conn, key: str) -> None:
    """Hold the lock on ``key`` until the transaction ends."""
    if conn.dialect.name == "postgresql":
        await conn.fetchval(f"SELECT pg_advisory_xact_lock(hashtext({conn.dialect.placeholder(1)}))", [key])


async def initialize_lock(conn: Conn) -> None:
    """Hold the lock of initialising the current PostgreSQL schema until the transaction ends."""
    if conn.dialect.name == "postgresql":
        await conn.execute(
            "SELECT pg_advisory_xact_lock(hashtext('chartkeep.initialize:' || current_schema()))"
        )

"""The PostgreSQL pool releases connections without a reset round trip, and stays clean."""

from __future__ import annotations

import pytest

from chartkeep.storage.opening import open_database
from tests.conftest import PG_URL, pg_available, require_service


async def test_pool_release_sends_no_reset_query_and_rolls_back_failed_transactions() -> None:
    require_service(await pg_available())
    db = open_database(PG_URL)
    await db.connect()
    try:
        async with db.read() as conn:
            assert conn._raw.get_reset_query() == ""  # type: ignore[attr-defined]
        with pytest.raises(RuntimeError):
            async with db.transaction() as conn:
                await conn.execute("CREATE TEMP TABLE pool_probe (x int)")
                raise RuntimeError("abort")
        for _ in range(4):  # every pooled connection: no transaction left open, no temp table left
            async with db.read() as conn:
                assert await conn.fetchval("SELECT to_regclass('pool_probe') IS NULL")
                assert await conn.fetchval("SELECT txid_current_if_assigned() IS NULL")
    finally:
        await db.close()

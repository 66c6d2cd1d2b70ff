"""No request waits for a second pooled connection while it holds one.

A task that holds a connection and asks the pool for another deadlocks the server as soon as as
many such tasks as the pool has connections run at once: each holds one, each waits for one more.
That stalled every write of a one-process server on PostgreSQL under 16 concurrent writes (the
webhook trigger cache was re-read on a second connection inside the write's transaction). These
tests drive more concurrent writes than the pool has connections, through the real app, and check
the guard that turns the pattern into an immediate error in the test suite."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from chartkeep.app import create_app
from chartkeep.cloud import webhooks
from chartkeep.context import RequestContext
from chartkeep.records import reads
from chartkeep.storage import postgres
from chartkeep.storage.database import NestedAcquire
from tests.conftest import Api, row_count

WRITES = postgres.POOL_MAX * 3


@pytest.fixture
async def concurrent_api(core: Any) -> AsyncIterator[Api]:
    """The app without the suite's ledger check, which runs requests one at a time."""
    transport = httpx.ASGITransport(app=create_app(core.settings, core))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Api(client)


async def test_more_concurrent_writes_than_pooled_connections_all_complete(
        concurrent_api: Api, core: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    api = concurrent_api
    # every write finds the webhook triggers stale and reads them again, as all the writes that
    # arrive together just after the cache expired do
    monkeypatch.setattr(webhooks, "TRIGGER_CACHE_SECONDS", -1.0)
    first = await api.post("/classes/Probe", {"n": -1}, master=True)
    assert first.status_code == 201, first.text

    async def write(n: int) -> int:
        r = await api.post("/classes/Probe", {"n": n}, master=True)
        return r.status_code

    statuses = await asyncio.wait_for(asyncio.gather(*(write(n) for n in range(WRITES))), timeout=60)
    assert statuses == [201] * WRITES
    assert await row_count(core, "Probe") == WRITES + 1


async def test_the_trigger_cache_is_read_on_the_writes_own_connection(api: Api, core: Any) -> None:
    """With a webhook trigger registered, a write's transaction finds its URL through its own
    connection (on PostgreSQL the strict guard raises NestedAcquire if it takes another)."""
    made = await api.post("/hooks/triggers", {"className": "Probe", "triggerName": "beforeSave",
                                              "url": "http://127.0.0.1:9/hook"}, master=True)
    assert made.status_code in (200, 201), made.text
    cache = webhooks.TriggerCache()
    async with core.db.transaction() as tx:
        assert await cache.url(core, tx, "Probe", "beforeSave") == "http://127.0.0.1:9/hook"
        assert await cache.url(core, tx, "Probe", "afterSave") is None


async def test_a_nested_acquire_fails_at_once_under_the_strict_guard(core: Any) -> None:
    if core.db.dialect.name != "postgresql":
        # SQLite's readers and its one writer are separate: a reader held while the writer is
        # taken cannot starve it, so the guard is PostgreSQL's (the pool is shared by both).
        async with core.db.read() as conn, core.db.transaction() as tx:
            assert await conn.fetchval("SELECT 1") == 1 and await tx.fetchval("SELECT 1") == 1
        return
    async with core.db.read():
        with pytest.raises(NestedAcquire):
            async with core.db.read():
                pass  # pragma: no cover - never reached
    async with core.db.read() as conn:  # released: the next acquire in this task is allowed
        assert await conn.fetchval("SELECT 1") == 1


async def test_a_read_recorded_while_its_connection_is_held_is_in_the_ledger(api: Api, core: Any) -> None:
    """A read made through a connection the caller still holds (Cloud functions, FHIR) records its
    ledger entry on that connection (PostgreSQL) or through the group commit (SQLite), before the
    read returns."""
    made = await api.post("/classes/Patient", {
        "mrn": "HOLD-1", "fullName": "Held Read", "status": "active", "sexAtBirth": "female",
        "dateOfBirth": {"__type": "Date", "iso": "1980-01-01T00:00:00.000Z"}}, master=True)
    assert made.status_code == 201, made.text
    pid = made.json()["objectId"]
    ctx = RequestContext(core.settings.app_id, is_master=True)

    async def reads_of_patient() -> int:
        async with core.db.read() as c:
            return int(await c.fetchval(
                'SELECT COUNT(*) FROM "_Audit" WHERE "eventType" = \'read\' AND "patient" = '
                + ("$1" if c.dialect.name == "postgresql" else "?"), [pid]))

    before = await reads_of_patient()
    async with core.db.read() as conn:
        got = await reads.get(core, ctx, "Patient", pid, {}, conn)
        assert got["objectId"] == pid
    assert await reads_of_patient() == before + 1

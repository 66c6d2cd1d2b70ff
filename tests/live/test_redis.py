"""Scale-out: two ``chartkeep serve`` processes on one PostgreSQL and the machine's Redis.

A client connected to process A receives the changes made through process B (and the other way
round), with the same event ids, so it can also resume on the other process. Needs PostgreSQL
and Redis at 127.0.0.1:6379 (``CHARTKEEP_TEST_REDIS``): skipped locally when one is missing,
a failure under ``CI=true``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import websockets

from tests.conftest import private_pg_schema
from tests.live.conftest import LiveClient
from tests.policy.world import DATE
from tests.processes import MASTER, healthy, need_redis, serve, unique_app_id


@pytest.fixture
async def pg_schema_url() -> AsyncIterator[str]:
    async with private_pg_schema() as url:
        yield url


async def live_client(host: str, app_id: str) -> LiveClient:
    c = LiveClient(await websockets.connect(f"ws://{host}/parse", ping_interval=None))
    reply = await c.ask({"op": "connect", "applicationId": app_id, "masterKey": MASTER})
    assert reply["op"] == "connected", reply
    return c


async def create_patient(host: str, app_id: str, mrn: str) -> str:
    headers = {"X-Parse-Application-Id": app_id, "X-Parse-Master-Key": MASTER}
    body: dict[str, Any] = {"mrn": mrn, "fullName": "Ada", "dateOfBirth": DATE, "status": "active"}
    async with httpx.AsyncClient() as http:
        r = await http.post(f"http://{host}/parse/classes/Patient", content=orjson.dumps(body), headers=headers)
    assert r.status_code == 201, r.text
    return str(r.json()["objectId"])


async def test_a_client_on_one_process_receives_writes_made_through_another(pg_schema_url: str, tmp_path: Path) -> None:
    await need_redis()
    app_id = unique_app_id()
    db = ("--database-url", pg_schema_url)
    with serve(tmp_path, "a", *db, app_id=app_id) as served_a:
        await healthy(served_a)  # A initializes the database first
        with serve(tmp_path, "b", *db, app_id=app_id) as served_b:
            await healthy(served_b)
            a, b = served_a.host, served_b.host
            on_a, on_b = await live_client(a, app_id), await live_client(b, app_id)
            for c in (on_a, on_b):
                assert (await c.ask({"op": "subscribe", "requestId": 1,
                                     "query": {"className": "Patient", "where": {"status": "active"}}}))["op"] == "subscribed"

            via_b = await create_patient(b, app_id, "MRN-B")
            got_a, got_b = await on_a.event(10), await on_b.event(10)
            assert (got_a["op"], got_a["object"]["objectId"]) == ("create", via_b)
            assert got_a == {**got_b, "clientId": got_a["clientId"]}  # same event, same id, on both processes
            via_a = await create_patient(a, app_id, "MRN-A")
            assert (await on_b.event(10))["object"]["objectId"] == via_a
            mark = (await on_a.event(10))["eventId"]

            await on_a.ws.close()  # the client drops off A, misses a write made through A ...
            missed = await create_patient(a, app_id, "MRN-missed")
            assert (await on_b.event(10))["object"]["objectId"] == missed
            again = await live_client(b, app_id)  # ... and resumes on B
            reply = await again.ask({"op": "subscribe", "requestId": 1, "lastEventId": mark,
                                     "query": {"className": "Patient", "where": {"status": "active"}}})
            assert reply["resumed"] is True
            assert (await again.event(10))["object"]["objectId"] == missed
            await again.nothing()
            for c in (on_b, again):
                await c.ws.close()

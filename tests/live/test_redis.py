"""Scale-out: two ``chartkeep serve`` processes on one PostgreSQL and the machine's Redis.

A client connected to process A receives the changes made through process B (and the other way
round), with the same event ids, so it can also resume on the other process. Needs PostgreSQL
and Redis at 127.0.0.1:6379 (``CHARTKEEP_TEST_REDIS``): skipped locally when one is missing,
a failure under ``CI=true``.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import redis.asyncio as redis
import websockets

from tests.conftest import private_pg_schema, require_service
from tests.live.conftest import LiveClient
from tests.policy.world import DATE

REDIS_URL = os.environ.get("CHARTKEEP_TEST_REDIS", "redis://127.0.0.1:6379/0")
ROOT = Path(__file__).resolve().parents[2]
MASTER = "two-process-master"


async def redis_available() -> str | None:
    client = redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        await client.ping()
    except (OSError, redis.RedisError) as exc:
        return f"Redis at {REDIS_URL} unreachable: {exc}"
    finally:
        await client.aclose()
    return None


@pytest.fixture
async def pg_schema_url() -> AsyncIterator[str]:
    async with private_pg_schema() as url:
        yield url


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(database_url: str, app_id: str, tmp: Path, name: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = _free_port()
    log = open(tmp / f"{name}.log", "wb")  # noqa: SIM115 - closed below
    argv = [sys.executable, "-m", "chartkeep", "serve", "--host", "127.0.0.1", "--port", str(port),
            "--app-id", app_id, "--master-key", MASTER, "--database-url", database_url,
            "--redis-url", REDIS_URL, "--data-dir", str(tmp / name)]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield f"127.0.0.1:{port}", proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()


async def healthy(host: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(150):
            if proc.poll() is not None:
                raise AssertionError(f"server exited: {log.read_text(errors='replace')[-3000:]}")
            try:
                if (await http.get(f"http://{host}/parse/health")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError(f"server not healthy: {log.read_text(errors='replace')[-3000:]}")


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
    require_service(await redis_available())
    app_id = "two-proc-" + secrets.token_hex(4)  # its own Redis channel: parallel runs never mix
    with serve(pg_schema_url, app_id, tmp_path, "a") as (a, proc_a):
        await healthy(a, proc_a, tmp_path / "a.log")  # A initializes the database first
        with serve(pg_schema_url, app_id, tmp_path, "b") as (b, proc_b):
            await healthy(b, proc_b, tmp_path / "b.log")
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

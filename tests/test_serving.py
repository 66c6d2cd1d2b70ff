"""``chartkeep serve --workers N``: N processes on one port, start-up work done once, restarts,
clean shutdown; and separate processes starting together on one fresh database.

Real processes on the machine's PostgreSQL (a private schema per test) and SQLite, with Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from chartkeep.schema.policy import load_policy
from chartkeep.schema_admin.bootstrap import wanted_classes
from chartkeep.settings import Settings
from chartkeep.storage.opening import open_database
from tests.conftest import private_pg_schema
from tests.policy.world import DATE
from tests.processes import MASTER, ROOT, Served, healthy, need_redis, serve, unique_app_id

ROUNDS = 3  # fresh databases per back-end: a start-up race shows up as a failed or a doubled start


@pytest.fixture(params=["sqlite", "postgresql"])
async def fresh_urls(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[list[str]]:
    """ROUNDS URLs of databases nobody has touched yet."""
    if request.param == "sqlite":
        yield [f"sqlite:///{tmp_path}/fresh{i}.db" for i in range(ROUNDS)]
        return
    async with private_pg_schema() as a, private_pg_schema() as b, private_pg_schema() as c:
        yield [a, b, c]


def workers_of(pid: int) -> list[int]:
    """Worker processes of a ``serve --workers`` supervisor (multiprocessing's spawned children)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid and b"spawn_main" in cmdline:
            found.append(int(entry))
    return sorted(found)


async def database_state(url: str) -> dict[str, Any]:
    db = open_database(url)
    await db.connect()
    try:
        async with db.read() as conn:
            classes = {r[0] for r in await conn.fetch('SELECT "className" FROM "_SCHEMA"')}
            roles = [r[0] for r in await conn.fetch('SELECT "name" FROM "_Role" ORDER BY "name"')
                     if not r[0].startswith("careTeam_")]  # one per chart, made by the writes
            heads = await conn.fetchval('SELECT COUNT(*) FROM "_AuditChain"')
    finally:
        await db.close()
    return {"classes": classes, "roles": roles, "heads": heads}


def expected_state() -> dict[str, Any]:
    policy = load_policy()
    return {"classes": set(wanted_classes(Settings().templates)), "roles": sorted([*policy.roles, *policy.groups]),
            "heads": Settings().ledger_chains}


async def until_workers(served: Served, done: Callable[[set[int]], bool], seconds: float, failure: str) -> None:
    """Wait until the server has two workers and ``done(their pids)`` holds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        now = set(workers_of(served.proc.pid))
        if len(now) == 2 and done(now):
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{failure}: {served.output()[-2000:]}")


async def answers_on_every_worker(served: Served, app_id: str, n: int = 24) -> None:
    """n concurrent writes on fresh connections (spread over the workers) all succeed."""
    headers = {"X-Parse-Application-Id": app_id, "X-Parse-Master-Key": MASTER}

    async def one(i: int) -> int | str:
        async with httpx.AsyncClient(timeout=30) as http:  # a connection of its own
            r = await http.post(f"http://{served.host}/parse/classes/Patient", headers=headers,
                                json={"mrn": f"M{i}", "fullName": "Ada", "dateOfBirth": DATE, "status": "active"})
            return r.status_code if r.status_code == 201 else r.text

    assert await asyncio.gather(*(one(i) for i in range(n))) == [201] * n


async def test_workers_need_redis(tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "chartkeep", "serve", "--workers", "2", "--data-dir", str(tmp_path),
            "--database-url", f"sqlite:///{tmp_path}/x.db"]
    env = {k: v for k, v in os.environ.items() if k != "CHARTKEEP_REDIS_URL"}
    done = subprocess.run(argv, cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT / "src")}, capture_output=True,
                          timeout=60)
    assert done.returncode == 2
    message = " ".join(done.stderr.decode().split())
    assert "--workers 2 needs --redis-url (CHARTKEEP_REDIS_URL)" in message
    assert not (tmp_path / "x.db").exists()  # refused before touching the database


async def test_three_workers_start_on_fresh_databases(fresh_urls: list[str], tmp_path: Path) -> None:
    await need_redis()
    for i, url in enumerate(fresh_urls):
        app_id = unique_app_id()
        with serve(tmp_path, f"w{i}", "--workers", "3", "--database-url", url, app_id=app_id) as served:
            await healthy(served)
            await answers_on_every_worker(served, app_id)
            assert len(workers_of(served.proc.pid)) == 3
            assert "Application startup complete" in served.output()
        assert served.proc.returncode == 0, served.output()[-2000:]
        assert await database_state(url) == expected_state()


async def test_separate_processes_starting_together_take_turns(fresh_urls: list[str], tmp_path: Path) -> None:
    """Three ``chartkeep serve`` processes (e.g. on three hosts) on one fresh database at once:
    the start-up work runs under a lock, so none fails and nothing is created twice."""
    await need_redis()
    for i, url in enumerate(fresh_urls):
        app_id = unique_app_id()
        with ExitStack() as stack:
            procs = [stack.enter_context(serve(tmp_path, f"p{i}{n}", "--database-url", url, app_id=app_id))
                     for n in range(3)]
            for served in procs:
                await healthy(served)
        assert await database_state(url) == expected_state()


async def test_a_dead_worker_is_replaced_and_sigterm_stops_them_all(tmp_path: Path) -> None:
    await need_redis()
    async with private_pg_schema() as url:
        app_id = unique_app_id()
        with serve(tmp_path, "r", "--workers", "2", "--database-url", url, app_id=app_id) as served:
            await healthy(served)
            first = workers_of(served.proc.pid)
            assert len(first) == 2
            os.kill(first[0], signal.SIGKILL)
            await until_workers(served, lambda now: first[0] not in now, 30, "no replacement worker")
            await healthy(served)
            await answers_on_every_worker(served, app_id)
            survivors = workers_of(served.proc.pid)
            served.proc.send_signal(signal.SIGTERM)
            assert served.proc.wait(30) == 0
        for pid in survivors:
            assert not Path(f"/proc/{pid}").exists() or b"zombie" in Path(f"/proc/{pid}/status").read_bytes().lower()
        assert served.output().count("Application shutdown complete") >= 2


async def first_answer(http: httpx.AsyncClient, served: Served) -> None:
    for _ in range(6000):
        assert served.proc.poll() is None, served.output()[-2000:]
        with contextlib.suppress(httpx.HTTPError):
            if (await http.get(f"http://{served.host}/parse/health")).status_code == 200:
                return
        await asyncio.sleep(0.005)
    raise AssertionError(f"no answer: {served.output()[-2000:]}")


def established_by_pid(port: int, pids: list[int]) -> dict[int, int]:
    """Established TCP connections on ``port`` held by each of ``pids`` (from /proc, no tools)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":  # 01: ESTABLISHED
                    inodes.add(fields[9])
    counts = {}
    for pid in pids:
        links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
        counts[pid] = sum(1 for link in links if link.startswith("socket:[") and link[8:-1] in inodes)
    return counts


async def test_keep_alive_connections_are_spread_over_the_workers(tmp_path: Path) -> None:
    """Clients that keep their connections (SDK apps, a proxy's pool) and connect as soon as the
    server answers still land on every worker: each worker has a socket of its own in the port's
    SO_REUSEPORT group, listening before any worker starts."""
    await need_redis()
    app_id = unique_app_id()
    n = 24
    url = f"sqlite:///{tmp_path}/spread.db"
    with serve(tmp_path, "s", "--workers", "2", "--database-url", url, app_id=app_id) as served:
        limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
        async with httpx.AsyncClient(limits=limits, timeout=30) as http:
            await first_answer(http, served)  # connect the moment the first worker answers

            opened = 0
            release = asyncio.Event()

            async def hold() -> int:
                nonlocal opened
                async with http.stream("GET", f"http://{served.host}/parse/health") as r:
                    opened += 1  # this connection stays checked out until release: each call has its own
                    await release.wait()
                    return r.status_code

            calls = [asyncio.create_task(hold()) for _ in range(n)]
            while opened < n:
                await asyncio.sleep(0.01)
            workers = workers_of(served.proc.pid)
            counts = established_by_pid(int(served.host.rsplit(":", 1)[1]), workers)
            release.set()
            assert await asyncio.gather(*calls) == [200] * n
        assert len(workers) == 2 and sum(counts.values()) >= n, counts
        assert all(c > 0 for c in counts.values()), f"one worker got every connection: {counts}"


@pytest.mark.parametrize("flags, deflate", [((), False), (("--live-query-compression", "true"), True)])
async def test_livequery_compression_is_off_unless_configured(tmp_path: Path, flags: tuple[str, ...],
                                                               deflate: bool) -> None:
    """SDK clients (Node's ws, browsers) offer permessage-deflate; like Parse Server, Chartkeep declines
    it unless ``live_query_compression`` is set, and LiveQuery works either way."""
    from websockets.asyncio.client import connect

    app_id = unique_app_id()
    with serve(tmp_path, "z", *flags, app_id=app_id, redis_url=None) as served:
        await healthy(served)
        async with connect(f"ws://{served.host}/parse", compression="deflate") as ws:
            extensions = ws.response.headers.get("Sec-WebSocket-Extensions") or ""
            assert ("permessage-deflate" in extensions) is deflate
            await ws.send(json.dumps({"op": "connect", "applicationId": app_id, "masterKey": MASTER}))
            reply = await asyncio.wait_for(ws.recv(), 10)
            assert '"op":"connected"' in reply


async def test_sighup_replaces_every_worker_and_the_server_keeps_answering(tmp_path: Path) -> None:
    await need_redis()
    app_id = unique_app_id()
    with serve(tmp_path, "h", "--workers", "2", "--database-url", f"sqlite:///{tmp_path}/h.db", app_id=app_id) as served:
        await healthy(served)
        before = set(workers_of(served.proc.pid))
        served.proc.send_signal(signal.SIGHUP)
        await until_workers(served, lambda now: not now & before, 60, "workers not replaced")
        await healthy(served)
        await answers_on_every_worker(served, app_id)
        served.proc.send_signal(signal.SIGTERM)
        assert served.proc.wait(30) == 0

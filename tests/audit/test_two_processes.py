"""Two server processes appending to one ledger at the same time keep one unbroken hash chain.

Each process group-commits its read entries and stages its write entries; on PostgreSQL the head
rows of the chains an append touches are locked (``FOR UPDATE``, in chain order) by whichever
transaction appends, so entries from both processes interleave on each chain. Checked with ``chartkeep audit verify`` afterwards.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from contextlib import AsyncExitStack
from pathlib import Path

from chartkeep.storage.opening import open_database
from tests.conftest import private_pg_schema
from tests.policy.world import build_world
from tests.processes import ROOT, HttpApi, healthy, http_api, need_redis, serve, unique_app_id

PER_PROCESS = 40  # concurrent requests on each process, reads and writes mixed


async def ledger_counts(url: str) -> tuple[int, int, list[str]]:
    db = open_database(url)
    await db.connect()
    try:
        async with db.read() as conn:
            rows = await conn.fetchval('SELECT COUNT(*) FROM "_Audit"')
            head = await conn.fetchval('SELECT SUM("position") FROM "_AuditChain"')
            sources = [r[0] for r in await conn.fetch('SELECT DISTINCT "eventType" FROM "_Audit" ORDER BY 1')]
    finally:
        await db.close()
    return int(rows), int(head), sources


async def test_two_processes_appending_at_once_keep_every_chain(tmp_path: Path) -> None:
    await need_redis()
    async with private_pg_schema() as url, AsyncExitStack() as stack:
        app_id = unique_app_id()
        a = stack.enter_context(serve(tmp_path, "a", "--database-url", url, app_id=app_id))
        await healthy(a)
        b = stack.enter_context(serve(tmp_path, "b", "--database-url", url, app_id=app_id))
        await healthy(b)
        on_a, on_b = http_api(a, app_id), http_api(b, app_id)
        for api in (on_a, on_b):
            stack.push_async_callback(api.client.aclose)
        w = await build_world(on_a)
        before, _, _ = await ledger_counts(url)

        async def work(api: HttpApi, i: int) -> int:
            if i % 2:  # a chart read: one group-committed read entry
                r = await api.get(f"/classes/Patient/{w.ids['Patient']}", session=w.token("physician"))
                return int(r.status_code)
            body = w.body("Encounter", "physician")  # a write: its entry goes in with the row
            r = await api.post("/classes/Encounter", body, session=w.token("physician"))
            return int(r.status_code) - 1  # 201 → 200

        codes = await asyncio.gather(*(work(api, i) for i in range(PER_PROCESS) for api in (on_a, on_b)))
        assert codes == [200] * (2 * PER_PROCESS)
        rows, head, kinds = await ledger_counts(url)
        assert rows == head and rows >= before + 2 * PER_PROCESS
        assert {"create", "read"} <= set(kinds)

        verify = subprocess.run(
            [sys.executable, "-m", "chartkeep", "audit", "verify", "--database-url", url,
             "--data-dir", str(tmp_path / "verify")],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT / "src")}, capture_output=True, timeout=120,
        )
        out = verify.stdout.decode()
        assert verify.returncode == 0, out + verify.stderr.decode()
        assert out.startswith(f"OK: {rows} entries in 16 chains, every chain intact")

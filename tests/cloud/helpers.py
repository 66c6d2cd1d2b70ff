"""A core with a cloud file loaded, and ledger reading, for the Cloud Code tests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from chartkeep.settings import Settings
from tests.conftest import APP_ID, MASTER_KEY, running_core


@asynccontextmanager
async def cloud_core(cloud_file: Path, **settings: Any) -> AsyncIterator[Any]:
    """A running core (tests/conftest.py ``running_core``) with ``cloud_file`` loaded; the Cloud Code
    work it started in the background is given 5 s to finish before the database closes."""
    async with running_core(Settings(app_id=APP_ID, master_key=MASTER_KEY, cloud=str(cloud_file), **settings)) as core:
        try:
            yield core
        finally:
            await core.background.close(5)


async def cloud_entries(core: Any, seq: int = 0) -> list[tuple[str, str, str | None, str]]:
    """(eventType, targetClass, targetId, metadata.cloud) of each entry after ``seq`` made by Cloud Code."""
    p = "$1" if core.db.dialect.name == "postgresql" else "?"
    async with core.db.read() as conn:
        found = await conn.fetch(f'SELECT "eventType", "targetClass", "targetId", "metadata" FROM "_Audit" '
                                 f'WHERE "seq" > {p} ORDER BY "seq"', [seq])
    out = []
    for event, cls, oid, metadata in found:
        meta = metadata if isinstance(metadata, dict) else json.loads(metadata or "null")
        if meta and meta.get("cloud"):
            out.append((event, cls, oid, meta["cloud"]))
    return out


async def entries(core: Any, seq: int, target_id: str) -> list[tuple[str, str | None, dict[str, Any]]]:
    """(eventType, details, metadata) of each entry about ``target_id`` after ``seq``."""
    p = "$1" if core.db.dialect.name == "postgresql" else "?"
    q = "$2" if core.db.dialect.name == "postgresql" else "?"
    async with core.db.read() as conn:
        found = await conn.fetch(f'SELECT "eventType", "details", "metadata" FROM "_Audit" '
                                 f'WHERE "seq" > {p} AND "targetId" = {q} ORDER BY "seq"', [seq, target_id])
    out = []
    for event, details, metadata in found:
        meta = metadata if isinstance(metadata, dict) else json.loads(metadata or "null")
        out.append((event, details, meta or {}))
    return out


async def head(core: Any) -> int:
    async with core.db.read() as conn:
        return int(await conn.fetchval('SELECT COALESCE(MAX("seq"), 0) FROM "_Audit"'))


async def finished(core: Any, status_id: str) -> dict[str, Any]:
    """The job's _JobStatus row once it left ``running`` (read straight from the table)."""
    p = "$1" if core.db.dialect.name == "postgresql" else "?"
    for _ in range(200):
        async with core.db.read() as conn:
            row = await conn.fetchrow(f'SELECT "status", "message", "jobName", "finishedAt" FROM "_JobStatus" '
                                      f'WHERE "objectId" = {p}', [status_id])
        if row is not None and row["status"] != "running":
            return dict(zip(row.keys(), row, strict=True))
        await asyncio.sleep(0.05)
    raise AssertionError("the job did not finish")

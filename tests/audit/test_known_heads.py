"""One statement per write transaction for the ledger on PostgreSQL, and never a forked chain.

A process remembers the last head it wrote on each chain; the next transaction on that chain
chains its entries after it and moves the head in the same statement only if the head is still
there. When it is not (another process wrote, a transaction rolled back) nothing is written and
the heads are locked and read as before."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from chartkeep.app import build_core
from chartkeep.audit.append import append
from chartkeep.audit.chains import chain_of
from chartkeep.audit.entry import Entry
from chartkeep.settings import Settings
from chartkeep.storage import postgres
from tests.audit.helpers import check
from tests.conftest import APP_ID, MASTER_KEY, private_pg_schema, running_core


def _entry(patient: str) -> Entry:
    return Entry("update", patient=patient, patient_class="Patient", target_class="Patient", target_id=patient)


def _same_chain(n: int) -> list[str]:
    found: dict[int, list[str]] = {}
    for i in range(2000):
        patients = found.setdefault(chain_of(_entry(f"kh{i}"), 16), [])
        patients.append(f"kh{i}")
        if len(patients) == n:
            return patients
    raise AssertionError("no chain with enough patients")


@pytest.fixture
async def pg_core(tmp_path: Any) -> AsyncIterator[Any]:
    """PostgreSQL only: SQLite has one writer, which reads every head in its transaction."""
    async with private_pg_schema() as url:
        settings = Settings(app_id=APP_ID, master_key=MASTER_KEY, database_url=url, data_dir=tmp_path)
        async with running_core(settings) as core:
            yield core


@pytest.fixture
async def other_process(pg_core: Any) -> AsyncIterator[Any]:
    """A second server on the same database: its own pool and its own remembered heads."""
    other = build_core(pg_core.settings)
    await other.db.connect()
    try:
        yield other
    finally:
        await other.db.close()


class Statements:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sql: list[str] = []
        for name in ("fetch", "fetchrow", "fetchval", "execute"):
            original = getattr(postgres.PgConn, name)

            def counted(conn: Any, sql: str, *args: Any, _original: Any = original, **kw: Any) -> Any:
                self.sql.append(sql)
                return _original(conn, sql, *args, **kw)

            monkeypatch.setattr(postgres.PgConn, name, counted)


async def _write(core: Any, *patients: str) -> None:
    async with core.db.transaction() as tx:
        await append(tx, [_entry(p) for p in patients])


async def test_a_chain_written_before_costs_one_statement(pg_core: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    one, two = _same_chain(2)
    await _write(pg_core, one)  # first time: the heads are locked and read (two statements)
    seen = Statements(monkeypatch)
    await _write(pg_core, two)
    assert len(seen.sql) == 1 and seen.sql[0].startswith("WITH moved AS (UPDATE"), seen.sql
    report = await check(pg_core)
    assert report.ok, report


async def test_another_process_moved_the_head_nothing_forks(pg_core: Any, other_process: Any,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    a, b, c, d = _same_chain(4)
    await _write(pg_core, a)
    await _write(other_process, b)  # the head moved behind this process's back
    seen = Statements(monkeypatch)
    await _write(pg_core, c)  # its remembered head is stale: refused, then locked and read
    assert len(seen.sql) == 3, seen.sql
    await _write(other_process, d)
    report = await check(pg_core)
    assert report.ok and report.rows >= 4, report
    async with pg_core.db.read() as conn:
        positions = [int(r[0]) for r in await conn.fetch(
            'SELECT "position" FROM "_Audit" WHERE "patient" = ANY($1::text[]) ORDER BY "position"', [[a, b, c, d]])]
    assert positions == list(range(positions[0], positions[0] + 4))


async def test_a_rolled_back_transaction_leaves_no_gap(pg_core: Any) -> None:
    a, b, c = _same_chain(3)
    await _write(pg_core, a)

    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        async with pg_core.db.transaction() as tx:
            await append(tx, [_entry(b)])  # the process now remembers a head that never commits
            raise Abort
    await _write(pg_core, c)
    report = await check(pg_core)
    assert report.ok, report
    async with pg_core.db.read() as conn:
        got = {r[0]: int(r[1]) for r in await conn.fetch(
            'SELECT "patient", "position" FROM "_Audit" WHERE "patient" = ANY($1::text[])', [[a, b, c]])}
    assert set(got) == {a, c} and got[c] == got[a] + 1


async def test_two_processes_writing_one_chain_at_once_keep_it_whole(pg_core: Any, other_process: Any) -> None:
    patients = _same_chain(60)
    await asyncio.gather(*(_write(pg_core if i % 2 else other_process, p) for i, p in enumerate(patients)))
    report = await check(pg_core)
    assert report.ok, report
    async with pg_core.db.read() as conn:
        positions = sorted(int(r[0]) for r in await conn.fetch(
            'SELECT "position" FROM "_Audit" WHERE "patient" = ANY($1::text[])', [patients]))
    assert len(positions) == 60 and positions == list(range(positions[0], positions[0] + 60))

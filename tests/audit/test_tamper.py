"""Nothing changes a ledger row unnoticed: the API refuses, the database refuses, and when an
attacker drops the triggers and edits by SQL, ``verify`` names the first broken entry of the chain
it is in (chain, position, seq, objectId)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from chartkeep.audit.table import APPEND_ONLY
from tests.audit.helpers import check, drop_guards, head, row_at, run_sql
from tests.conftest import Api
from tests.policy.world import build_world


async def _ledger(api: Api, core) -> int:  # type: ignore[no-untyped-def]
    w = await build_world(api)
    for _ in range(3):
        await api.get(f"/classes/Patient/{w.ids['Patient']}", session=w.token("physician"))
    report = await check(core)
    assert report.ok and report.rows == await head(core) > 20, report
    return int(report.rows)


async def test_the_database_refuses_update_and_delete(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    await _ledger(api, core)
    statements = ['UPDATE "_Audit" SET "actor" = \'mallory\' WHERE "seq" = 3', 'DELETE FROM "_Audit" WHERE "seq" = 3']
    if core.db.dialect.name == "postgresql":
        statements.append('TRUNCATE "_Audit"')
    for sql in statements:
        with pytest.raises(Exception, match=APPEND_ONLY.split(":")[0]):
            await run_sql(core, sql)
    assert (await check(core)).ok


@pytest.mark.parametrize("attack, seq, words", [
    ('UPDATE "_Audit" SET "actor" = \'mallory\' WHERE "seq" = 7', 7, "changed"),
    ('UPDATE "_Audit" SET "outcome" = \'tampered\' WHERE "seq" = 5', 5, "changed"),
    ('DELETE FROM "_Audit" WHERE "seq" = 9', 9, "removed"),
    ('UPDATE "_Audit" SET "_rperm" = NULL WHERE "seq" = 4', 4, "permissions"),
])
async def test_verify_names_the_first_tampered_row(api: Api, core, attack: str, seq: int, words: str) -> None:  # type: ignore[no-untyped-def]
    await _ledger(api, core)
    chain, position, object_id = await row_at(core, seq)
    await drop_guards(core)
    await run_sql(core, attack)
    report = await check(core)
    assert not report.ok and len(report.broken) == 1, report
    first = report.first
    assert (first.chain, first.position) == (chain, position) and words in first.problem, report
    if words != "removed":  # a removed row is named by the position it left empty
        assert (first.seq, first.object_id) == (seq, object_id), report


async def _longest_chain(core: Any) -> tuple[int, int]:
    async with core.db.read() as conn:
        row = await conn.fetchrow('SELECT "chain", "position" FROM "_AuditChain" ORDER BY "position" DESC LIMIT 1')
    return int(row[0]), int(row[1])


async def test_verify_finds_a_forged_row_and_a_cut_tail(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    await _ledger(api, core)
    chain, last = await _longest_chain(core)
    assert last > 4
    await drop_guards(core)
    # a row inserted in the middle of a chain: the rows after it are moved one place on
    await run_sql(core, f'UPDATE "_Audit" SET "position" = "position" + 1000 WHERE "chain" = {chain} AND "position" > 3',
                  f'UPDATE "_Audit" SET "position" = "position" - 999 WHERE "chain" = {chain} AND "position" > 1000',
                  f'UPDATE "_AuditChain" SET "position" = "position" + 1 WHERE "chain" = {chain}')
    await run_sql(core, 'INSERT INTO "_Audit" ("chain", "position", "objectId", "eventType", "prevHash", "hash") '
                        f"VALUES ({chain}, 4, 'forged0001', 'read', 'x', 'y')")
    report = await check(core)
    assert not report.ok and report.first.chain == chain and report.first.position == 4, report
    assert report.first.object_id == "forged0001"
    # the last entries removed: the head still names them
    await run_sql(core, f'DELETE FROM "_Audit" WHERE "chain" = {chain} AND "position" >= 4')
    report = await check(core)
    first = report.first
    assert (first.chain, first.position) == (chain, 4) and "removed" in first.problem, report


async def test_a_chain_moved_elsewhere_does_not_link(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    """Chains start from different genesis hashes: swapping two whole chains, heads included, breaks
    both at their first row."""
    await _ledger(api, core)
    async with core.db.read() as conn:
        used = [int(r[0]) for r in await conn.fetch('SELECT "chain" FROM "_AuditChain" WHERE "position" > 0 '
                                                     'ORDER BY "chain" LIMIT 2')]
    a, b = used
    await drop_guards(core)
    await run_sql(core, f'UPDATE "_Audit" SET "chain" = 999 WHERE "chain" = {a}',
                  f'UPDATE "_Audit" SET "chain" = {a} WHERE "chain" = {b}',
                  f'UPDATE "_Audit" SET "chain" = {b} WHERE "chain" = 999',
                  f'UPDATE "_AuditChain" SET "chain" = 999 WHERE "chain" = {a}',
                  f'UPDATE "_AuditChain" SET "chain" = {a} WHERE "chain" = {b}',
                  f'UPDATE "_AuditChain" SET "chain" = {b} WHERE "chain" = 999')
    report = await check(core)
    assert [(x.chain, x.position) for x in report.broken] == [(a, 1), (b, 1)], report
    assert all("re-chained" in x.problem for x in report.broken)


async def test_concurrent_reads_and_writes_keep_every_chain_unbroken(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    w = await build_world(api)
    start = await head(core)
    reads = [api.get(f"/classes/Patient/{w.ids['Patient']}", session=w.token(who))
             for who in ("physician", "nurse", "scribe") * 10]
    writes = [api.put(f"/classes/Patient/{w.ids['Patient']}", {"status": f"s{i}"}, session=w.token("physician"))
              for i in range(10)]
    results = await asyncio.gather(*reads, *writes)
    assert all(r.status_code == 200 for r in results)
    report = await check(core)
    assert report.ok and report.rows == start + 40, report


async def test_verify_in_several_processes_names_the_same_rows(api: Api, core, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The pool path (a large ledger): rows decoded and hashed in other processes."""
    import chartkeep.audit.verify as verify_module

    await _ledger(api, core)
    monkeypatch.setattr(verify_module, "POOL_FROM", 0)
    chain, position, object_id = await row_at(core, 8)
    report = await check(core, processes=2)
    assert report.ok and report.rows == await head(core), report
    await drop_guards(core)
    await run_sql(core, 'UPDATE "_Audit" SET "details" = \'x\' WHERE "seq" = 8')
    report = await check(core, processes=2)
    first = report.first
    assert (first.chain, first.position, first.seq, first.object_id) == (chain, position, 8, object_id), report


async def test_a_removed_chain_head_is_named(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    await _ledger(api, core)
    async with core.db.read() as conn:
        chain = int(await conn.fetchval('SELECT MIN("chain") FROM "_AuditChain" WHERE "position" > 0'))
    await run_sql(core, f'DELETE FROM "_AuditChain" WHERE "chain" = {chain}')
    report = await check(core)
    assert any(b.chain == chain and "head rows of chains" in b.problem for b in report.broken), report

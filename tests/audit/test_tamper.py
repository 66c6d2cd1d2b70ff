"""Nothing changes a ledger row unnoticed: the API refuses, the database refuses, and when an
attacker drops the triggers and edits by SQL, ``verify`` names the first row that is wrong."""

from __future__ import annotations

import asyncio

import pytest

from chartkeep.audit.table import APPEND_ONLY
from tests.audit.helpers import check, drop_guards, head, run_sql
from tests.conftest import Api
from tests.policy.world import build_world


async def _ledger(api: Api, core) -> int:  # type: ignore[no-untyped-def]
    w = await build_world(api)
    for _ in range(3):
        await api.get(f"/classes/Patient/{w.ids['Patient']}", session=w.token("physician"))
    report = await check(core)
    assert report.ok and report.rows == await head(core) > 20, report
    return report.rows


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
    await drop_guards(core)
    await run_sql(core, attack)
    report = await check(core)
    assert not report.ok and report.seq == seq and words in (report.problem or ""), report


async def test_verify_finds_a_forged_row_and_a_cut_tail(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    rows = await _ledger(api, core)
    await drop_guards(core)
    # a row inserted in the middle: the rows after it are renumbered, so their hashes break
    await run_sql(core, 'UPDATE "_Audit" SET "seq" = "seq" + 1000 WHERE "seq" > 10',
                  'UPDATE "_Audit" SET "seq" = "seq" - 999 WHERE "seq" > 1000')
    await run_sql(core, 'INSERT INTO "_Audit" ("seq", "objectId", "eventType", "prevHash", "hash") '
                        "VALUES (11, 'forged0001', 'read', 'x', 'y')")
    report = await check(core)
    assert not report.ok and report.seq == 11, report
    # the last entries removed: the head still names them
    await run_sql(core, 'DELETE FROM "_Audit" WHERE "seq" >= 11')
    report = await check(core)
    assert not report.ok and "removed" in (report.problem or "") and report.seq == 11, report
    assert rows > 11


async def test_concurrent_reads_and_writes_keep_one_unbroken_chain(api: Api, core) -> None:  # type: ignore[no-untyped-def]
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

"""No single global head: on PostgreSQL a write transaction locks only the heads of the chains its
entries go to, so writes to charts in other chains go on; writes to the same chain wait their turn;
transactions touching several chains in any order never deadlock."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from chartkeep.audit.append import append
from chartkeep.audit.chains import chain_of
from chartkeep.audit.entry import Entry
from tests.audit.helpers import check


def _entry(patient: str) -> Entry:
    return Entry("update", patient=patient, patient_class="Patient", target_class="Patient", target_id=patient)


def _patients_by_chain() -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for i in range(400):
        found.setdefault(chain_of(_entry(f"pat{i}"), 16), []).append(f"pat{i}")
    return found


def _need_postgres(core: Any) -> None:
    if core.db.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: its transactions are serialised by design")


async def _write(core: Any, *patients: str) -> None:
    async with core.db.transaction() as tx:
        await append(tx, [_entry(p) for p in patients])


async def test_a_write_waits_only_for_writes_to_its_own_chain(core) -> None:  # type: ignore[no-untyped-def]
    _need_postgres(core)
    chains = _patients_by_chain()
    (one, same), other = chains[1][:2], chains[2][0]
    holding, release = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with core.db.transaction() as tx:
            await append(tx, [_entry(one)])  # chain 1's head is locked until this commits
            holding.set()
            await release.wait()

    held = asyncio.create_task(first())
    await holding.wait()
    async with asyncio.timeout(5):
        await _write(core, other)  # another chart, another chain: not held up
    waiting = asyncio.create_task(_write(core, same))  # another chart of chain 1: waits its turn
    await asyncio.sleep(0.5)
    assert not waiting.done()
    release.set()
    await asyncio.gather(held, waiting)
    async with core.db.read() as conn:
        rows = [tuple(r) for r in await conn.fetch('SELECT "patient", "chain", "position" FROM "_Audit" '
                                                    'WHERE "patient" LIKE \'pat%\' ORDER BY "seq"')]
    # seq is given at insert: the held transaction's row comes first though it committed after ``other``
    assert rows == [(one, 1, 1), (other, 2, 1), (same, 1, 2)]
    assert (await check(core)).ok


async def test_transactions_on_several_chains_in_any_order_do_not_deadlock(core) -> None:  # type: ignore[no-untyped-def]
    _need_postgres(core)
    chains = _patients_by_chain()
    a, b, c = chains[3][0], chains[7][0], chains[12][0]
    orders = [(a, b, c), (c, b, a), (b, a), (c, a), (b, c)] * 8
    await asyncio.gather(*(_write(core, *order) for order in orders))
    report = await check(core)
    assert report.ok and report.rows == sum(len(o) for o in orders), report

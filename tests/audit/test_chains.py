"""The ledger is N chains: one chart's entries stay in one chain, in order; the number of chains is
fixed when the ledger is created; a single-chain ledger of an earlier version becomes chain 1."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chartkeep.app import build_core
from chartkeep.audit.append import READERS
from chartkeep.audit.chains import chain_of
from chartkeep.audit.entry import GENESIS, Entry, chain_hash
from chartkeep.audit.table import COLUMNS
from chartkeep.schema_admin.bootstrap import initialize
from chartkeep.settings import Settings
from chartkeep.storage.opening import open_database
from tests.audit.helpers import check, drop_guards, run_sql
from tests.conftest import APP_ID, MASTER_KEY, Api
from tests.policy.world import build_world


async def _rows(core: Any) -> list[tuple[Any, ...]]:
    async with core.db.read() as conn:
        found = await conn.fetch('SELECT "seq", "chain", "position", "patientClass", "patient", "actor" '
                                 'FROM "_Audit" ORDER BY "seq"')
    return [tuple(r) for r in found]


async def test_a_charts_entries_stay_in_one_chain_in_order(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    w = await build_world(api)
    for who in ("physician", "nurse", "scribe"):
        await api.get(f"/classes/Patient/{w.ids['Patient']}", session=w.token(who))
    rows = await _rows(core)
    by_chart: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for _seq, chain, position, patient_class, patient, _actor in rows:
        if patient:
            by_chart.setdefault((patient_class, patient), []).append((chain, position))
    assert ("Patient", w.ids["Patient"]) in by_chart and ("PatientProfile", w.ids["PatientProfile"]) in by_chart
    for links in by_chart.values():
        assert len({c for c, _ in links}) == 1  # one chain per chart …
        assert [p for _, p in links] == sorted(p for _, p in links)  # … in the order of the global seq
    # every chain numbers its entries 1, 2, 3 … and the ledger spreads over several chains
    chains: dict[int, list[int]] = {}
    for _seq, chain, position, *_ in rows:
        chains.setdefault(chain, []).append(position)
    assert all(positions == list(range(1, len(positions) + 1)) for positions in chains.values())
    assert len(chains) > 3
    # no patient: the actor's chain
    for _seq, chain, _position, _pc, patient, actor in rows:
        if not patient and actor:
            assert chain == chain_of(Entry("x", actor=actor), 16)
    assert (await check(core)).ok


async def test_the_number_of_chains_is_kept_by_the_database(database_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Changing ``ledger_chains`` later does not re-home charts: the number stored wins."""
    first = build_core(Settings(app_id=APP_ID, master_key=MASTER_KEY, database_url=database_url, data_dir=tmp_path,
                                ledger_chains=4))
    await first.db.connect()
    await initialize(first)
    await first.ledger.append([Entry("read", patient="p1", patient_class="Patient")])
    await drop_guards(first)  # start-up then re-creates the triggers: it must not add chains either
    await first.db.close()
    again = build_core(Settings(app_id=APP_ID, master_key=MASTER_KEY, database_url=database_url, data_dir=tmp_path,
                                ledger_chains=32))
    await again.db.connect()
    try:
        await initialize(again)
        async with again.db.read() as conn:
            assert await conn.fetchval('SELECT COUNT(*) FROM "_AuditChain"') == 4
        await again.ledger.append([Entry("read", patient="p1", patient_class="Patient")])
        async with again.db.read() as conn:
            assert await conn.fetchval('SELECT COUNT(*) FROM "_AuditChain"') == 4
            links = [tuple(r) for r in await conn.fetch('SELECT "chain", "position" FROM "_Audit" ORDER BY "seq"')]
        chain = chain_of(Entry("read", patient="p1", patient_class="Patient"), 4)
        assert links == [(chain, 1), (chain, 2)]
        assert (await check(again)).ok
    finally:
        await again.db.close()


# ---- a single-chain ledger written by the version before chains -----------------------------


def _legacy_entries(n: int) -> list[Entry]:
    """Chained the old way: one chain, ``seq`` first in the hashed content, genesis 64 zeros."""
    out, prev = [], GENESIS
    start = datetime(2026, 1, 2, 9, 0, tzinfo=UTC)
    for seq in range(1, n + 1):
        e = Entry("read" if seq % 2 else "update", actor=f"user{seq % 3}", patient=f"pat{seq % 4}",
                  patient_class="Patient", target_class="Patient", target_id=f"pat{seq % 4}",
                  metadata={"n": seq}, object_id=f"legacy{seq:04d}", time=start + timedelta(minutes=seq))
        e.seq = e.position = seq  # the old content began with the seq
        e.prev_hash = prev
        e.hash = prev = chain_hash(prev, e.content())
        out.append(e)
    return out


async def _write_legacy_ledger(url: str, entries: list[Entry]) -> None:
    """The tables, triggers and rows exactly as the single-chain version made them."""
    db = open_database(url)
    await db.connect()
    try:
        async with db.transaction() as tx:
            d = tx.dialect
            pg = d.name == "postgresql"
            cols = ['"seq" BIGINT PRIMARY KEY' if pg else '"seq" INTEGER PRIMARY KEY']
            cols += [f'"{n}" {d.column_type(t)}' for n, t in COLUMNS]
            cols += [f'"_rperm" {d.perm_type}', f'"_wperm" {d.perm_type}']
            await tx.execute(f'CREATE TABLE "_Audit" ({", ".join(cols)})')
            await tx.execute('CREATE UNIQUE INDEX "_Audit_objectId" ON "_Audit" ("objectId")')
            await tx.execute('CREATE TABLE "_AuditHead" ("id" INTEGER PRIMARY KEY, "seq" BIGINT NOT NULL, '
                             '"hash" TEXT NOT NULL)')
            names = ["seq", *(n for n, _ in COLUMNS), "_rperm", "_wperm"]
            marks = ", ".join(f"${i + 1}" if pg else "?" for i in range(len(names)))
            for e in entries:
                values = {"objectId": e.object_id, "time": e.time, "actor": e.actor, "patient": e.patient,
                          "patientClass": e.patient_class, "eventType": e.event_type, "targetClass": e.target_class,
                          "targetId": e.target_id, "outcome": e.outcome, "details": e.details,
                          "metadata": e.metadata, "ipAddress": e.ip_address, "source": e.source,
                          "severity": e.severity, "prevHash": e.prev_hash, "hash": e.hash}
                row = [e.seq, *(None if values[n] is None else d.to_db(t, values[n]) for n, t in COLUMNS),
                       d.perm_to_db(READERS), d.perm_to_db([])]
                await tx.execute(f'INSERT INTO "_Audit" ({", ".join(chr(34) + n + chr(34) for n in names)}) '
                                 f"VALUES ({marks})", row)
            await tx.execute('INSERT INTO "_AuditHead" ("id", "seq", "hash") VALUES (1, '
                             f"{entries[-1].seq}, '{entries[-1].hash}')")
            if pg:
                await tx.execute('CREATE OR REPLACE FUNCTION "_audit_append_only"() RETURNS trigger LANGUAGE plpgsql '
                                 "AS $$ BEGIN RAISE EXCEPTION 'append-only'; END $$")
                await tx.execute('CREATE TRIGGER "_Audit_no_change" BEFORE UPDATE OR DELETE ON "_Audit" '
                                 'FOR EACH ROW EXECUTE FUNCTION "_audit_append_only"()')
                await tx.execute('CREATE TRIGGER "_Audit_no_truncate" BEFORE TRUNCATE ON "_Audit" '
                                 'FOR EACH STATEMENT EXECUTE FUNCTION "_audit_append_only"()')
            else:
                for op in ("UPDATE", "DELETE"):
                    await tx.execute(f'CREATE TRIGGER "_Audit_no_{op.lower()}" BEFORE {op} ON "_Audit" '
                                     "BEGIN SELECT RAISE(ABORT, 'append-only'); END")
    finally:
        await db.close()


async def _migrated(database_url: str, tmp_path: Any, n: int = 30) -> Any:
    await _write_legacy_ledger(database_url, _legacy_entries(n))
    core = build_core(Settings(app_id=APP_ID, master_key=MASTER_KEY, database_url=database_url, data_dir=tmp_path))
    await core.db.connect()
    await initialize(core)  # the new version starts on the old ledger
    return core


async def test_a_single_chain_ledger_continues_as_chain_one(database_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    core = await _migrated(database_url, tmp_path)
    try:
        report = await check(core)
        assert report.ok and report.rows == 30, report
        assert report.heads[0] == (1, 30, _legacy_entries(30)[-1].hash)
        assert [h[1] for h in report.heads[1:]] == [0] * 15  # 16 chains, the 15 new ones empty
        old = await _rows(core)
        assert [(s, c, p) for s, c, p, *_ in old] == [(s, 1, s) for s in range(1, 31)]
        # new entries: after the old seqs, spread over the chains by chart
        await core.ledger.append([Entry("read", patient=f"new{i}", patient_class="Patient") for i in range(40)])
        new = (await _rows(core))[30:]
        assert [s for s, *_ in new] == list(range(31, 71))
        assert len({c for _, c, *_ in new}) > 4
        report = await check(core)
        assert report.ok and report.rows == 70, report
        # the append-only triggers are back, on the old rows too
        try:
            await run_sql(core, 'DELETE FROM "_Audit" WHERE "seq" = 3')
            raise AssertionError("an old row was deleted")
        except Exception as exc:
            assert "append-only" in str(exc)
        # tampering with an old row and with a new one: both named
        new_chain, new_position = next((c, p) for _, c, p, *_ in new if c != 1)
        await drop_guards(core)
        await run_sql(core, 'UPDATE "_Audit" SET "actor" = \'mallory\' WHERE "seq" = 12',
                      'UPDATE "_Audit" SET "details" = \'forged\' WHERE "seq" = '
                      f'(SELECT "seq" FROM "_Audit" WHERE "chain" = {new_chain} AND "position" = {new_position})')
        report = await check(core)
        assert {(b.chain, b.position) for b in report.broken} == {(1, 12), (new_chain, new_position)}, report
        assert all("changed" in b.problem for b in report.broken)
    finally:
        await core.db.close()


async def test_a_migrated_ledger_keeps_a_cut_legacy_tail_visible(database_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Rows of the old chain removed before the upgrade: the old head still names them."""
    entries = _legacy_entries(10)
    await _write_legacy_ledger(database_url, entries)
    db = open_database(database_url)
    await db.connect()
    try:
        async with db.transaction() as tx:
            if tx.dialect.name == "postgresql":
                await tx.execute('ALTER TABLE "_Audit" DISABLE TRIGGER USER')
            else:
                await tx.execute('DROP TRIGGER "_Audit_no_delete"')
            await tx.execute('DELETE FROM "_Audit" WHERE "seq" > 8')
    finally:
        await db.close()
    core = build_core(Settings(app_id=APP_ID, master_key=MASTER_KEY, database_url=database_url, data_dir=tmp_path))
    await core.db.connect()
    try:
        await initialize(core)
        report = await check(core)
        assert (report.first.chain, report.first.position) == (1, 9) and "removed" in report.first.problem, report
    finally:
        await core.db.close()

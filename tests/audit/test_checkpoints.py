"""Signed checkpoints: every chain's head signed with a key the database does not hold, stored
append-only, shipped to sinks; a ledger re-chained without the key is caught by ``audit verify``."""

from __future__ import annotations

import asyncio
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from chartkeep.app import create_app, worker_app
from chartkeep.audit.checkpoint import take
from chartkeep.audit.entry import chain_hash
from chartkeep.audit.schedule import checkpoint_now
from chartkeep.audit.signing import signature_ok, trusted_public_key
from chartkeep.audit.table import APPEND_ONLY
from chartkeep.audit.verify import entry_from_row
from chartkeep.cli import app
from chartkeep.settings import WORKER_INDEX, WORKER_SETTINGS, Settings
from tests.audit.helpers import check, drop_guards, run_sql
from tests.conftest import Api
from tests.devices.receiver import receiver
from tests.policy.world import build_world


async def _cli(core: Any, *args: str) -> Any:
    flags = ["--database-url", core.settings.database_url, "--data-dir", str(core.settings.data_dir)]
    return await asyncio.to_thread(CliRunner().invoke, app, [*args, *flags])


async def _heads(core: Any) -> list[list[Any]]:
    async with core.db.read() as conn:
        return [[int(r[0]), int(r[1]), str(r[2])] for r in
                await conn.fetch('SELECT "chain", "position", "hash" FROM "_AuditChain" ORDER BY "chain"')]


async def _checkpoints(core: Any) -> int:
    async with core.db.read() as conn:
        return int(await conn.fetchval('SELECT COUNT(*) FROM "_AuditCheckpoint"'))


def test_the_default_key_is_outside_the_data_directory(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    key = settings.resolved_signing_key()
    assert key.is_absolute() and (tmp_path / "data") not in key.parents


async def test_audit_checkpoint_signs_every_head_and_ships_it(api: Api, core, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    await build_world(api)
    key, sink = tmp_path / "keys" / "ledger.key", tmp_path / "shipped" / "checkpoints.jsonl"
    result = await _cli(core, "audit", "checkpoint", "--ledger-signing-key", str(key),
                        "--ledger-checkpoint-file", str(sink))
    assert result.exit_code == 0, result.output
    # the key: created on first use, readable by its owner only, its public key beside it
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    public = Path(str(key) + ".pub").read_text().strip()
    assert public == trusted_public_key(key) and f"signed with key {public}" in result.stdout
    # shipped: every chain's head, signed over the exact payload stored
    [line] = sink.read_text().splitlines()
    shipped = json.loads(line)
    assert shipped["heads"] == await _heads(core) and len(shipped["heads"]) == 16
    assert shipped["publicKey"] == public
    assert signature_ok(public, shipped["payload"].encode(), shipped["signature"])
    assert json.loads(shipped["payload"])["heads"] == shipped["heads"]
    result = await _cli(core, "audit", "verify", "--ledger-signing-key", str(key), "--checkpoints", str(sink))
    assert result.exit_code == 0 and "every chain intact; 1 checkpoints signed and matching" in result.stdout, \
        result.stdout
    # stored append-only, like the ledger
    statements = ['UPDATE "_AuditCheckpoint" SET "signature" = \'00\'', 'DELETE FROM "_AuditCheckpoint"']
    if core.db.dialect.name == "postgresql":
        statements.append('TRUNCATE "_AuditCheckpoint"')
    for sql in statements:
        with pytest.raises(Exception, match=APPEND_ONLY.split(":")[0]):
            await run_sql(core, sql)


async def _rechain(core: Any, chain: int, position: int) -> None:
    """What someone with the database but without the key does: change a row, then recompute every
    hash after it in its chain and move the head — the chain alone is consistent again."""
    await drop_guards(core)
    p = ["$1", "$2"] if core.db.dialect.name == "postgresql" else ["?", "?"]
    await run_sql(core, f'UPDATE "_Audit" SET "details" = \'nothing to see\' WHERE "chain" = {chain} '
                        f'AND "position" = {position}')
    async with core.db.transaction() as tx:
        rows = await tx.fetch(f'SELECT * FROM "_Audit" WHERE "chain" = {p[0]} AND "position" >= {p[1]} '
                              'ORDER BY "position"', [chain, position])
        prev = await tx.fetchval(f'SELECT "hash" FROM "_Audit" WHERE "chain" = {p[0]} AND "position" = {p[1]}',
                                 [chain, position - 1])
        for row in rows:
            entry = entry_from_row(tx, row)
            new = chain_hash(prev, entry.content())
            await tx.execute(f'UPDATE "_Audit" SET "prevHash" = {p[0]}, "hash" = {p[1]} WHERE "seq" = {entry.seq}',
                             [prev, new])
            prev = new
        await tx.execute(f'UPDATE "_AuditChain" SET "hash" = {p[0]} WHERE "chain" = {p[1]}', [prev, chain])


async def test_a_ledger_rechained_without_the_key_is_caught(api: Api, core, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    w = await build_world(api)
    key = tmp_path / "ledger.key"
    signed = await take(core.db, key)
    assert signed is not None
    for who in ("physician", "nurse"):  # the ledger goes on after the checkpoint
        await api.get(f"/classes/Patient/{w.ids['Patient']}", session=w.token(who))
    chain, position, _ = max(signed.heads, key=lambda h: h[1])
    assert position > 3
    await _rechain(core, chain, 2)
    report = await check(core, trusted_key=trusted_public_key(key))
    [broken] = report.broken
    assert (broken.chain, broken.position) == (chain, position) and "re-chained" in broken.problem, report
    assert f"checkpoint {signed.id}" in broken.problem and "after position 0" in broken.problem
    # the same ledger without the checkpoint would pass: the chain itself is consistent
    assert "changed" not in broken.problem


async def test_forged_and_foreign_checkpoints_are_named(api: Api, core, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    await build_world(api)
    key, other = tmp_path / "ledger.key", tmp_path / "mallory.key"
    sink = tmp_path / "sink.jsonl"
    settings = core.settings.model_copy(update={"ledger_signing_key": key, "ledger_checkpoint_file": sink})
    await checkpoint_now(core.db, settings)
    assert (await check(core, trusted_key=trusted_public_key(key))).ok
    # a checkpoint signed with another key (someone re-chained and signed with their own)
    await take(core.db, other)
    report = await check(core, trusted_key=trusted_public_key(key))
    assert [b.problem for b in report.broken] == [report.broken[0].problem]
    assert "not the ledger's signing key" in report.broken[0].problem and report.broken[0].chain is None
    # a checkpoint's content edited: its signature no longer matches
    await drop_guards(core)
    await run_sql(core, 'DROP TRIGGER "_AuditCheckpoint_no_change" ON "_AuditCheckpoint"'
                  if core.db.dialect.name == "postgresql" else 'DROP TRIGGER "_AuditCheckpoint_no_update"')
    await run_sql(core, 'UPDATE "_AuditCheckpoint" SET "payload" = REPLACE("payload", \'"heads"\', \'"heads" \') '
                        'WHERE "id" = 1')
    report = await check(core, trusted_key=trusted_public_key(key))
    assert any("signature does not match" in b.problem for b in report.broken), report
    # and removed: only the shipped copy remembers it
    if core.db.dialect.name == "sqlite":
        await run_sql(core, 'DROP TRIGGER "_AuditCheckpoint_no_delete"')
    await run_sql(core, 'DELETE FROM "_AuditCheckpoint"')
    assert (await check(core, trusted_key=trusted_public_key(key))).ok
    result = await _cli(core, "audit", "verify", "--ledger-signing-key", str(key), "--checkpoints", str(sink))
    assert result.exit_code == 1 and "TAMPERED at checkpoints: checkpoint 1 of" in result.stdout, result.stdout
    assert "is not in the database" in result.stdout


async def test_the_webhook_sink_receives_each_checkpoint(core, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    key = tmp_path / "ledger.key"
    with receiver() as hook:
        settings = core.settings.model_copy(update={"ledger_signing_key": key, "ledger_checkpoint_webhook": hook.url})
        await checkpoint_now(core.db, settings)
        [got] = hook.requests
    assert got.headers["content-type"] == "application/json"
    assert got.json["id"] == 1 and got.json["heads"] == await _heads(core)
    assert signature_ok(got.json["publicKey"], got.json["payload"].encode(), got.json["signature"])
    # a sink that fails: the checkpoint is stored all the same, and the command says what failed
    with receiver(default=503) as hook:
        result = await _cli(core, "audit", "checkpoint", "--ledger-signing-key", str(key),
                            "--ledger-checkpoint-webhook", hook.url)
    assert result.exit_code == 1 and "not shipped to the webhook sink" in result.output, result.output
    assert await _checkpoints(core) == 2


async def test_the_server_takes_checkpoints_in_one_process(database_url: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(app_id="cp", master_key="mk", database_url=database_url, data_dir=tmp_path,
                        ledger_signing_key=tmp_path / "ledger.key", ledger_checkpoint_seconds=0.2)
    server = create_app(settings)
    async with server.router.lifespan_context(server):
        await asyncio.sleep(1.0)
    from chartkeep.storage.opening import open_database

    async def count() -> int:
        db = open_database(database_url)
        await db.connect()
        try:
            async with db.read() as conn:
                return int(await conn.fetchval('SELECT COUNT(*) FROM "_AuditCheckpoint"'))
        finally:
            await db.close()

    taken = await count()
    assert 2 <= taken <= 5  # every 0.2 s, never twice within 0.1 s
    # a second worker of `serve --workers` takes none; worker 0 does
    monkeypatch.setenv(WORKER_SETTINGS, settings.model_dump_json())
    monkeypatch.setenv(WORKER_INDEX, "1")
    second = worker_app()
    async with second.router.lifespan_context(second):
        await asyncio.sleep(0.7)
    assert await count() == taken
    monkeypatch.setenv(WORKER_INDEX, "0")
    first = worker_app()
    async with first.router.lifespan_context(first):
        await asyncio.sleep(0.7)
    assert await count() > taken

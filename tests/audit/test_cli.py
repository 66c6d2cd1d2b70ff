"""``chartkeep audit verify`` and ``chartkeep audit export`` against a live database."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from typing import Any

from typer.testing import CliRunner

from chartkeep.cli import app
from tests.audit.helpers import drop_guards, entries_after, head, row_at, run_sql
from tests.conftest import Api
from tests.policy.world import build_world


async def _cli(core: Any, *args: str) -> Any:
    flags = ["--database-url", core.settings.database_url, "--data-dir", str(core.settings.data_dir)]
    return await asyncio.to_thread(CliRunner().invoke, app, [*args, *flags])


async def test_verify_reports_ok_then_the_tampered_row(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    await build_world(api)
    result = await _cli(core, "audit", "verify")
    assert result.exit_code == 0 and result.stdout.startswith("OK: "), result.output
    await drop_guards(core)
    await run_sql(core, 'UPDATE "_Audit" SET "details" = \'nothing to see\' WHERE "seq" = 6')
    result = await _cli(core, "audit", "verify")
    chain, position, object_id = await row_at(core, 6)
    assert result.exit_code == 1 and "changed" in result.stdout, result.stdout
    assert f"TAMPERED at chain {chain}, position {position}, seq 6, objectId {object_id}:" in result.stdout


async def test_export_sorts_by_any_field_and_is_itself_recorded(api: Api, core, tmp_path) -> None:  # type: ignore[no-untyped-def]
    await build_world(api)
    total = await head(core)
    out = tmp_path / "audit.csv"
    result = await _cli(core, "audit", "export", "--sort", "eventType", "--output", str(out))
    assert result.exit_code == 0, result.output
    records = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(records) == total
    keys = [(r["eventType"], int(r["seq"])) for r in records]
    assert keys == sorted(keys)
    assert [e[0] for e in await entries_after(core, total)] == ["export"]
    # a window in time, newest first, as JSON lines
    result = await _cli(core, "audit", "export", "--from", "2000-01-01", "--to", "2000-01-02", "--format", "jsonl")
    assert result.exit_code == 0 and result.stdout == ""
    result = await _cli(core, "audit", "export", "--sort", "seq", "--desc", "--format", "jsonl")
    seqs = [json.loads(line)["seq"] for line in result.stdout.splitlines()]
    assert seqs == sorted(seqs, reverse=True) and len(seqs) == total + 2  # two exports before this one
    result = await _cli(core, "audit", "export", "--sort", "password")
    assert result.exit_code != 0


async def test_verify_rehashes_signed_versions(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    w = await build_world(api)
    token, me = w.token("physician"), w.users["physician"]["objectId"]

    async def call(name: str, **params: object) -> dict:
        r = await api.post(f"/functions/{name}", params, session=token)
        assert r.status_code == 200, r.text
        return r.json()["result"]

    made = await call("saveNoteDraft", patient=w.ids["Patient"], encounter=w.ids["Encounter"], title="Admission",
                      noteType="admission", plan="aspirin 81 mg")
    await call("requestSignatures", note=made["note"]["objectId"], signers=[{"signer": me, "role": "author"}])
    await call("signNote", note=made["note"]["objectId"])
    result = await _cli(core, "audit", "verify")
    assert result.exit_code == 0 and "1 signatures checked" in result.stdout and "0 mismatched" in result.stdout
    version = made["version"]["objectId"]
    await run_sql(core, f"UPDATE \"NoteVersion\" SET \"plan\" = 'aspirin 325 mg' WHERE \"objectId\" = '{version}'")
    result = await _cli(core, "audit", "verify")
    assert result.exit_code == 1 and "1 mismatched" in result.stdout and version in result.stdout, result.stdout
    assert result.stdout.startswith("OK: ")  # the ledger itself is intact: the change was made to the note


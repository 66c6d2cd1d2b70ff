"""Retention: ``chartkeep messages purge`` deletes messages older than message_retention_days,
with the attachments no other object holds, each deletion in the ledger; 0 keeps everything."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from typer.testing import CliRunner

from chartkeep.cli import app
from chartkeep.messaging.retention import purge
from tests.audit.helpers import check, head
from tests.behavioral.messaging.clinic import BH, open_clinic
from tests.behavioral.messaging.test_attachments import _upload
from tests.conftest import Api


def _days_ago(n: int) -> dict[str, str]:
    at = datetime.now(UTC) - timedelta(days=n)
    return {"__type": "Date", "iso": at.isoformat(timespec="milliseconds").replace("+00:00", "Z")}


async def _history(c: BH) -> dict[str, Any]:
    """Two old messages (one with a file of its own, one sharing a file with a recent message) and
    one recent message, imported with the master key."""
    own, shared = await _upload(c, "p1", "old.pdf"), await _upload(c, "p1", "kept.pdf")
    out: dict[str, Any] = {"own": own["name"], "shared": shared["name"]}
    for key, days, files in (("old1", 90, [own]), ("old2", 40, [shared]), ("new", 5, [shared])):
        body = {**c.message("p1", "provider", conversation="r", body=key), "from": c.user("p1"),
                "sentAt": _days_ago(days), "attachments": files}
        r = await c.api.post("/classes/Message", body, master=True)
        assert r.status_code == 201, r.text
        out[key] = r.json()["objectId"]
    return out


async def _remaining(core: Any) -> tuple[list[str], list[str]]:
    async with core.db.read() as conn:
        bodies = sorted(r[0] for r in await conn.fetch('SELECT "body" FROM "Message"'))
        names = sorted(r[0] for r in await conn.fetch('SELECT "name" FROM "_File"'))
    return bodies, names


async def _ledger(core: Any, seq: int) -> list[tuple[Any, ...]]:
    p = "$1" if core.db.dialect.name == "postgresql" else "?"
    async with core.db.read() as conn:
        found = await conn.fetch('SELECT "eventType", "actor", "patient", "targetClass", "targetId", "source", '
                                 f'"details" FROM "_Audit" WHERE "seq" > {p} ORDER BY "seq"', [seq])
    return [tuple(r) for r in found]


async def test_zero_keeps_everything(api: Api, core: Any) -> None:
    c = await open_clinic(api)
    await _history(c)
    before = await _remaining(core)
    report = await purge(core)
    assert (report.messages, report.files, report.cutoff) == (0, 0, None)
    assert await _remaining(core) == before


async def test_purge_deletes_old_messages_and_their_unshared_files(api: Api, core: Any) -> None:
    c = await open_clinic(api)
    h = await _history(c)
    core.settings.message_retention_days = 30
    assert (await purge(core, dry_run=True)).messages == 2
    assert (await _remaining(core))[0] == ["new", "old1", "old2"]
    seq = await head(core)
    report = await purge(core)
    assert (report.messages, report.files, report.patients) == (2, 1, {c.profiles["p1"]})
    assert await _remaining(core) == (["new"], [h["shared"]])
    entries = await _ledger(core, seq)
    assert sorted((e[:6] for e in entries), key=str) == sorted([
        ("delete", None, c.profiles["p1"], "Message", h["old1"], "server"),
        ("delete", None, c.profiles["p1"], "Message", h["old2"], "server"),
        ("delete", None, None, "_File", h["own"], "server")], key=str)
    assert all(e[6].startswith("retention: sent before ") for e in entries)
    assert (await check(core)).ok
    # the survivor's attachment still downloads for its recipient
    shown = (await api.get(f"/classes/Message/{h['new']}", session=c.tokens["provider"])).json()
    assert shown["attachments"][0]["name"] == h["shared"]
    assert (await purge(core)).messages == 0


async def test_the_cli_command(api: Api, core: Any) -> None:
    c = await open_clinic(api)
    await _history(c)
    flags = ["--database-url", core.settings.database_url, "--data-dir", str(core.settings.data_dir)]

    def run(*args: str) -> Any:
        return CliRunner().invoke(app, ["messages", "purge", *args, *flags])

    result = await asyncio.to_thread(run)
    assert result.exit_code == 0 and "kept forever" in result.output, result.output
    result = await asyncio.to_thread(run, "--dry-run", "--message-retention-days", "30")
    assert result.exit_code == 0 and ": 2 would be deleted" in result.stdout, result.output
    assert (await _remaining(core))[0] == ["new", "old1", "old2"]
    result = await asyncio.to_thread(run, "--message-retention-days", "30")
    assert result.exit_code == 0 and ": 2 deleted, 1 attachment files deleted" in result.stdout, result.output
    assert (await _remaining(core))[0] == ["new"]

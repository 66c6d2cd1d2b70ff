"""``chartkeep outbox`` prints the mails the outbox sender kept."""

from __future__ import annotations

import asyncio
from pathlib import Path

from typer.testing import CliRunner

from chartkeep.accounts.mail import Mail, OutboxSender
from chartkeep.cli import app
from chartkeep.storage.internal import ensure_internal_tables
from chartkeep.storage.opening import open_database


def test_outbox_command_lists_the_newest_mails(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/ck.db"

    async def fill() -> None:
        db = open_database(url)
        await db.connect()
        try:
            async with db.transaction() as tx:
                await ensure_internal_tables(tx)
            for n in range(3):
                await OutboxSender(db).send(Mail(f"u{n}@example.org", f"subject {n}", f"link {n}"))
        finally:
            await db.close()

    asyncio.run(fill())
    result = CliRunner().invoke(app, ["outbox", "--database-url", url, "--last", "2"])
    assert result.exit_code == 0, result.output
    assert "u0@example.org" not in result.stdout
    assert result.stdout.index("to: u1@example.org") < result.stdout.index("to: u2@example.org")
    assert "subject: subject 2" in result.stdout and "link 2" in result.stdout


def test_outbox_command_on_an_empty_database(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["outbox", "--database-url", f"sqlite:///{tmp_path}/new.db"])
    assert result.exit_code == 0 and "to:" not in result.stdout

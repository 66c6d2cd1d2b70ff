"""``chartkeep outbox``: the account emails (reset and verification links) the outbox mail sender
kept."""

from __future__ import annotations

import asyncio
from typing import Any

import typer

from chartkeep.cli.options import DATABASE, console, load, settings_options
from chartkeep.settings import Settings

app = typer.Typer()


async def _outbox(settings: Settings, last: int) -> list[dict[str, Any]]:
    from chartkeep.accounts.mail import list_outbox
    from chartkeep.core.handles import Core
    from chartkeep.schema.registry import Registry
    from chartkeep.storage.internal import ensure_internal_tables
    from chartkeep.storage.opening import open_database

    core = Core(db=open_database(settings.resolved_database_url()), registry=Registry(), settings=settings)
    await core.db.connect()
    try:
        async with core.db.transaction() as tx:
            await ensure_internal_tables(tx)
        return await list_outbox(core, last)
    finally:
        await core.db.close()


@app.command()
@settings_options(*DATABASE)
def outbox(
    last: int = typer.Option(20, "--last", help="How many of the newest mails to show."), **overrides: Any
) -> None:
    """Print the newest account emails kept by the outbox mail sender (reset and verification links)."""
    from datetime import UTC, datetime

    settings = load(overrides)
    mails = asyncio.run(_outbox(settings, last))
    if not mails:
        console.print("The outbox is empty.")
    for mail in mails:
        sent = datetime.fromtimestamp(mail["createdAt"], UTC).isoformat(timespec="seconds")
        typer.echo(f"--- {sent}  to: {mail['to']}\nsubject: {mail['subject']}\n\n{mail['text']}\n")

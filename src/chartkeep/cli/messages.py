"""``chartkeep messages``: secure messages past their retention, purged."""

from __future__ import annotations

import asyncio
from typing import Any

import typer
from rich.progress import Progress

from chartkeep.cli.options import DATABASE, console, load, settings_options
from chartkeep.settings import Settings

app = typer.Typer(help="Secure messages: retention (docs/messaging.md).", no_args_is_help=True)


async def _purge(settings: Settings, dry_run: bool) -> Any:
    from chartkeep.app import build_core
    from chartkeep.messaging.retention import purge
    from chartkeep.schema_admin.bootstrap import load_registry

    core = build_core(settings)
    await core.db.connect()
    try:
        await load_registry(core)
        with Progress(console=console, transient=True) as progress:
            progress.add_task("Purging old messages" if not dry_run else "Counting old messages", total=None)
            return await purge(core, dry_run=dry_run)
    finally:
        await core.db.close()


@app.command("purge")
@settings_options(*DATABASE, "message_retention_days")
def messages_purge(
    dry_run: bool = typer.Option(False, "--dry-run", help="Count the messages a purge would delete; change nothing."),
    **overrides: Any,
) -> None:
    """Delete the messages older than message_retention_days (and attachments no other object holds),
    each with a ledger entry; nothing while the setting is 0 (keep forever)."""
    settings = load(overrides)
    report = asyncio.run(_purge(settings, dry_run))
    if report.days <= 0:
        console.print("message_retention_days is 0: messages are kept forever; nothing purged.")
        return
    verb = "would be deleted" if dry_run else "deleted"
    typer.echo(f"Messages sent before {report.cutoff.isoformat()}: {report.messages} {verb}"
               + ("" if dry_run else f", {report.files} attachment files deleted"))

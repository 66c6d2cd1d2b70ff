"""``chartkeep files``: uploaded files, re-encrypted under the current key after a rotation."""

from __future__ import annotations

import asyncio
from typing import Any

import typer
from rich.progress import Progress

from chartkeep.cli.options import DATABASE, console, load, settings_options
from chartkeep.settings import Settings

app = typer.Typer(help="Uploaded files: key rotation (docs/files.md).", no_args_is_help=True)


async def _rekey(settings: Settings) -> Any:
    from chartkeep.core.handles import Core
    from chartkeep.files.rekey import rekey
    from chartkeep.schema.registry import Registry
    from chartkeep.storage.internal import ensure_internal_tables
    from chartkeep.storage.opening import open_database

    core = Core(db=open_database(settings.resolved_database_url()), registry=Registry(), settings=settings)
    await core.db.connect()
    try:
        async with core.db.transaction() as tx:
            await ensure_internal_tables(tx)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("Re-encrypting files", total=None)
            return await rekey(core, lambda name: progress.update(task, advance=1, description=name))
    finally:
        await core.db.close()


@app.command("rekey")
@settings_options(*DATABASE, "files_key", "files_key_id", "files_old_keys")
def files_rekey(**overrides: Any) -> None:
    """Re-encrypt every file not under the current files_key (after a rotation; safe to re-run)."""
    settings = load(overrides)
    report = asyncio.run(_rekey(settings))
    console.print(f"Files under an older key: {report.total}; re-encrypted under {settings.files_key_id}: "
                  f"{report.rekeyed}")
    for name in report.failed:
        console.print(f"  [red]failed its integrity check or has no content, left as is:[/red] {name}")
    if report.failed:
        raise typer.Exit(1)

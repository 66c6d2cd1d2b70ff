"""``chartkeep init`` and ``chartkeep serve``: create the database and load the templates, start the
HTTP server."""

from __future__ import annotations

import asyncio
from typing import Any

import typer
from rich.progress import Progress

from chartkeep.cli.master_key import announce, ensure_master_key
from chartkeep.cli.options import console, load, settings_options
from chartkeep.settings import Settings

app = typer.Typer()


async def _init(settings: Settings) -> tuple[list[str], list[str]]:
    from chartkeep.app import build_core
    from chartkeep.schema_admin.bootstrap import initialize, wanted_classes

    core = build_core(settings)
    await core.db.connect()
    try:
        total = len(wanted_classes(settings.templates))
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("Creating classes", total=total)
            changed = await initialize(core, lambda name: progress.update(task, advance=1, description=name))
        return changed, core.start_up_problems
    finally:
        await core.db.close()


@app.command()
@settings_options()
def init(**overrides: Any) -> None:
    """Create the database and load the seed templates (idempotent)."""
    settings = load(overrides)
    configured = bool(settings.master_key)
    created = ensure_master_key(settings)
    changed, problems = asyncio.run(_init(settings))
    announce(settings, created, configured)
    console.print(f"  classes created or extended: {', '.join(changed) if changed else 'none (up to date)'}")
    for problem in problems:
        console.print(f"  [red]to resolve:[/red] {problem}", highlight=False)


@app.command()
@settings_options()
def serve(**overrides: Any) -> None:
    """Start the HTTP server (creates the database and loads the templates on first start)."""
    from chartkeep import serving
    from chartkeep.api.graphql import explorer

    settings = load(overrides)
    refusal = serving.refusal(settings)
    if refusal:
        console.print(f"[red]{refusal}[/red]")
        raise typer.Exit(2)
    configured = bool(settings.master_key)
    created = ensure_master_key(settings)
    announce(settings, created, configured)
    base = f"{settings.host}:{settings.port}"
    console.print(f"  Parse REST API: http://{base}{settings.mount_path}")
    console.print(f"  Parse LiveQuery: ws://{base}{settings.mount_path}"
                  + (" (events through Redis)" if settings.redis_url else ""))
    console.print(f"  GraphQL API: http://{base}/{settings.graphql_path.strip('/')} ({explorer.status(settings)})",
                  soft_wrap=True)
    if settings.workers > 1:
        console.print(f"  worker processes: {settings.workers}")
    if settings.cloud:
        console.print(f"  Cloud Code: {settings.cloud}")
    from chartkeep.cloud.load import CloudLoadError

    try:
        serving.serve(settings)
    except CloudLoadError as exc:  # a syntax error or a failing import stops start-up, naming file and line
        console.print(f"[red]{exc}[/red]", soft_wrap=True)
        raise typer.Exit(2) from None

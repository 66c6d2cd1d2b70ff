"""The ``chartkeep`` command. Flags are generated from the Settings fields (one declaration)."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import typer
from rich.console import Console
from rich.progress import Progress

from chartkeep.settings import Settings

app = typer.Typer(help="Chartkeep: a self-hosted EHR backend speaking the Parse REST API.", no_args_is_help=True)
console = Console(stderr=True)


def _settings_options(func: Any) -> Any:
    """Give ``func`` one ``--flag`` per Settings field; the values override env/defaults.

    The command's own keyword parameters (besides ``**overrides``) come first."""
    params = [
        p for p in inspect.signature(func).parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD
    ]
    for name, info in Settings.model_fields.items():
        flag = "--" + name.replace("_", "-")
        annotation = str if info.annotation not in (int,) else int
        params.append(
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                default=typer.Option(None, flag, help=info.description, show_default=False),
                annotation=annotation | None,  # type: ignore[operator]
            )
        )
    func.__signature__ = inspect.Signature(params)
    return func


def _load(overrides: dict[str, Any]) -> Settings:
    values: dict[str, Any] = {}
    for key, value in overrides.items():
        if value is None:
            continue
        values[key] = value
    return Settings(**values)


def _announce(settings: Settings, created: bool) -> None:
    console.print(f"[bold]Chartkeep[/bold] database: {settings.resolved_database_url()}")
    console.print(f"  application id: [cyan]{settings.app_id}[/cyan]")
    if created:
        console.print(f"  master key (generated, kept in {settings.data_dir / 'master.key'}): {settings.master_key}", soft_wrap=True)


async def _init(settings: Settings) -> list[str]:
    from chartkeep.app import build_core
    from chartkeep.services.bootstrap import initialize, wanted_classes

    core = build_core(settings)
    await core.db.connect()
    try:
        total = len(wanted_classes(settings.templates))
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("Creating classes", total=total)
            return await initialize(core, lambda name: progress.update(task, advance=1, description=name))
    finally:
        await core.db.close()


@app.command()
@_settings_options
def init(**overrides: Any) -> None:
    """Create the database and load the seed templates (idempotent)."""
    settings = _load(overrides)
    _, created = settings.ensure_master_key()
    changed = asyncio.run(_init(settings))
    _announce(settings, created)
    console.print(f"  classes created or extended: {', '.join(changed) if changed else 'none (up to date)'}")


@app.command()
@_settings_options
def serve(**overrides: Any) -> None:
    """Start the HTTP server (creates the database and loads the templates on first start)."""
    import uvicorn

    from chartkeep.app import create_app

    settings = _load(overrides)
    _, created = settings.ensure_master_key()
    _announce(settings, created)
    console.print(f"  Parse REST API: http://{settings.host}:{settings.port}{settings.mount_path}")
    console.print(f"  Parse LiveQuery: ws://{settings.host}:{settings.port}{settings.mount_path}"
                  + (" (events through Redis)" if settings.redis_url else ""))
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=False,
        proxy_headers=False,
        # LiveQuery heartbeats: ping every N s, drop a client that has not answered N s later
        ws_ping_interval=settings.live_query_heartbeat_seconds or None,
        ws_ping_timeout=settings.live_query_heartbeat_seconds or None,
        # frames up to 4x the LiveQuery limit are answered with an error; larger ones close (1009)
        ws_max_size=4 * settings.live_query_max_frame_bytes,
    )


def main() -> None:
    app()


async def _outbox(settings: Settings, last: int) -> list[dict[str, Any]]:
    from chartkeep.schema.registry import Registry
    from chartkeep.services.core import Core
    from chartkeep.services.mail import list_outbox
    from chartkeep.storage.database import open_database
    from chartkeep.storage.internal import ensure_internal_tables

    core = Core(db=open_database(settings.resolved_database_url()), registry=Registry(), settings=settings)
    await core.db.connect()
    try:
        async with core.db.transaction() as tx:
            await ensure_internal_tables(tx)
        return await list_outbox(core, last)
    finally:
        await core.db.close()


@app.command()
@_settings_options
def outbox(
    last: int = typer.Option(20, "--last", help="How many of the newest mails to show."), **overrides: Any
) -> None:
    """Print the newest account emails kept by the outbox mail sender (reset and verification links)."""
    from datetime import UTC, datetime

    settings = _load(overrides)
    mails = asyncio.run(_outbox(settings, last))
    if not mails:
        console.print("The outbox is empty.")
    for mail in mails:
        sent = datetime.fromtimestamp(mail["createdAt"], UTC).isoformat(timespec="seconds")
        typer.echo(f"--- {sent}  to: {mail['to']}\nsubject: {mail['subject']}\n\n{mail['text']}\n")

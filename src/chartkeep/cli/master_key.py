"""The master key at start-up: generated into the data directory when none is configured, announced
in the banner, and printed again by ``chartkeep master-key``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from chartkeep.cli.options import console, load, settings_options
from chartkeep.settings import Settings

app = typer.Typer()


def _program() -> str:
    """How this command was started, to name another one the same way (``.venv/bin/chartkeep``)."""
    first = sys.argv[0] if sys.argv else ""
    return first if Path(first).name == "chartkeep" else "python -m chartkeep"


def master_key_command(settings: Settings) -> str:
    """The command that prints the master key kept in the data directory."""
    data_dir = "" if settings.data_dir == Settings.model_fields["data_dir"].default else f" --data-dir {settings.data_dir}"
    return f"{_program()} master-key{data_dir}"


def announce(settings: Settings, created: bool, configured: bool) -> None:
    """The start-up banner's head. ``configured``: the master key came from a flag or CHARTKEEP_MASTER_KEY."""
    console.print(f"[bold]Chartkeep[/bold] database: {settings.resolved_database_url()}")
    console.print(f"  application id: [cyan]{settings.app_id}[/cyan]")
    kept = settings.data_dir / "master.key"
    if created:
        console.print(f"  master key (generated, kept in {kept}): {settings.master_key}", soft_wrap=True)
        console.print(f"  print it again later with: {master_key_command(settings)}", soft_wrap=True)
    elif not configured:
        console.print(f"  master key: generated at first start, kept in {kept}; print it with: "
                      f"{master_key_command(settings)}", soft_wrap=True)
    else:
        console.print("  master key: the one configured (--master-key or CHARTKEEP_MASTER_KEY)")


def ensure_master_key(settings: Settings) -> bool:
    """Make sure there is a master key (generated into the data directory if none is configured);
    True when it was generated just now."""
    return settings.ensure_master_key()[1]


@app.command("master-key")
@settings_options("data_dir")
def master_key(**overrides: Any) -> None:
    """Print the master key: the one generated at first start and kept in DATA_DIR/master.key (or
    CHARTKEEP_MASTER_KEY when set). Never makes one."""
    settings = load(overrides)
    if settings.master_key:
        typer.echo(settings.master_key)
        return
    kept = settings.data_dir / "master.key"
    if not kept.is_file():
        console.print(f"No master key in {kept}: one is generated at the first `chartkeep serve`, `init` or "
                      "`seed` with this data directory (or set CHARTKEEP_MASTER_KEY).")
        raise typer.Exit(1)
    typer.echo(kept.read_text().strip())

"""``chartkeep seed``: the demo clinic, written through the same rules as clients."""

from __future__ import annotations

import asyncio
from typing import Any

import typer
from rich.progress import Progress

from chartkeep.cli.master_key import announce, ensure_master_key
from chartkeep.cli.options import SERVER_PANEL, console, load, settings_options
from chartkeep.settings import Settings

app = typer.Typer()


async def _seed(settings: Settings, patients: int, bh_patients: int, if_empty: bool) -> Any:
    from chartkeep.app import build_core
    from chartkeep.demo.run import already_seeded, seed, total_units
    from chartkeep.schema_admin.bootstrap import initialize

    core = build_core(settings)
    await core.db.connect()
    try:
        await initialize(core)
        if if_empty and await already_seeded(core):
            return None
        with Progress(console=console) as progress:
            task = progress.add_task("Seeding the demo clinic", total=total_units(patients, bh_patients))
            return await seed(core, patients, bh_patients,
                              lambda what, n: progress.update(task, advance=n, description=f"Seeding: {what}"))
    finally:
        await core.db.close()


@app.command("seed")
@settings_options(panel=SERVER_PANEL)
def seed_command(
    patients: int = typer.Option(40, "--patients", help="EHR patients (each with encounters, notes, signatures)."),
    bh_patients: int = typer.Option(12, "--bh-patients", help="Behavioral-health patients (portal accounts)."),
    if_empty: bool = typer.Option(False, "--if-empty", help="Do nothing when the demo was seeded before."),
    **overrides: Any,
) -> None:
    """Fill the database with a realistic demo clinic, written through the same rules as clients."""
    from chartkeep.demo.clinic import DEMO_PASSWORD, STAFF
    from chartkeep.demo.portal import INVITED

    settings = load(overrides)
    configured = bool(settings.master_key)
    if ensure_master_key(settings):  # the first command on a fresh machine: say the key now
        announce(settings, True, configured)
    clinic = asyncio.run(_seed(settings, patients, bh_patients, if_empty))
    if clinic is None:
        console.print("Demo data already present (user 'admin' exists); nothing done.")
        return
    accounts = ", ".join(f"{p}" if n == 1 else f"{p}1..{p}{n}" for _, p, n in STAFF)
    console.print(f"Demo clinic: {patients} EHR patients, {bh_patients} behavioral-health patients.")
    console.print(f"  staff accounts: {accounts}; patients: patient1..patient{bh_patients}, "
                  f"invited1..{INVITED}@demo.chartkeep.test (invited to the portal)")
    console.print(f"  password for every demo account: {DEMO_PASSWORD}")

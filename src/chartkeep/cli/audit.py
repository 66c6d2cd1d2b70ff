"""``chartkeep audit``: verify the ledger's hash chains and signatures, take a signed checkpoint,
export a report."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import typer
from rich.progress import Progress

from chartkeep.cli.options import DATABASE, console, load, settings_options
from chartkeep.settings import Settings

app = typer.Typer(help="The audit ledger: verify its hash chains, take a signed checkpoint, export a report.", no_args_is_help=True)


async def _with_db(settings: Settings, work: Any) -> Any:
    from chartkeep.storage.opening import open_database

    db = open_database(settings.resolved_database_url())
    await db.connect()
    try:
        return await work(db)
    finally:
        await db.close()


@app.command("verify")
@settings_options(*DATABASE, "ledger_signing_key")
def audit_verify(
    checkpoints: str = typer.Option(None, "--checkpoints", help="A file sink's checkpoints (JSON lines) to "
                                     "check too: each must still be in the database and in its chain."),
    processes: int = typer.Option(1, "--processes", min=1, help="Decode and hash the rows of a large ledger "
                                  "(10,000 entries or more) in this many processes."),
    **overrides: Any,
) -> None:
    """Walk every chain of the ledger, check every signed checkpoint, and re-hash every signed note
    version; report the first broken entry of each chain (chain, position, objectId) and every
    signature whose content changed (exit 1)."""
    import orjson

    from chartkeep.app import build_core
    from chartkeep.audit.checkpoint import from_record
    from chartkeep.audit.signing import trusted_public_key
    from chartkeep.audit.verify import verify
    from chartkeep.clinical.signature_check import verify_signatures
    from chartkeep.schema_admin.bootstrap import load_registry

    settings = load(overrides)
    try:
        shipped = [from_record(orjson.loads(line)) for line in Path(checkpoints).read_text().splitlines()
                   if line.strip()] if checkpoints else []
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise typer.BadParameter(f"--checkpoints: {exc}") from None

    async def work() -> Any:
        core = build_core(settings)
        await core.db.connect()
        try:
            await load_registry(core)
            with Progress(console=console, transient=True) as progress:
                task = progress.add_task("Verifying the audit chains", total=None)
                report = await verify(core.db, lambda done, total: progress.update(task, completed=done, total=total),
                                      trusted_public_key(settings.resolved_signing_key()), shipped,
                                      processes=processes)
            async with core.db.read() as conn:
                signatures = await verify_signatures(core, conn) if core.registry.get("Signature") else None
            return report, signatures
        finally:
            await core.db.close()

    report, signatures = asyncio.run(work())
    failed = False
    for note in report.notes:
        typer.echo(f"note: {note}")
    if report.ok:
        typer.echo(f"OK: {report.rows} entries in {len(report.heads)} chains, every chain intact; "
                   f"{report.checkpoints} checkpoints signed and matching")
    else:
        for broken in report.broken:
            typer.echo(f"TAMPERED at {broken.where()}: {broken.problem}")
        typer.echo(f"{report.rows} entries verified before the first broken entry of each chain")
        failed = True
    if signatures is not None:
        bad = signatures["mismatches"]
        typer.echo(f"{'OK' if not bad else 'TAMPERED'}: {signatures['checked']} signatures checked against the "
                   f"content they signed, {len(bad)} mismatched")
        for m in bad:
            typer.echo(f"  signature {m['signature']} on note {m['medicalNote']} version {m['noteVersion']}: "
                       f"{m['problem']}")
        failed = failed or bool(bad)
    if failed:
        raise typer.Exit(1)


@app.command("checkpoint")
@settings_options(*DATABASE, "ledger_signing_key", "ledger_checkpoint_file", "ledger_checkpoint_webhook")
def audit_checkpoint(**overrides: Any) -> None:
    """Sign every chain's head now with the ledger signing key, store the checkpoint and ship it to
    the configured sinks."""
    from chartkeep.audit.checkpoint import take
    from chartkeep.audit.sinks import ship

    settings = load(overrides)

    async def work(db: Any) -> Any:
        checkpoint = await take(db, settings.resolved_signing_key())
        assert checkpoint is not None
        return checkpoint, await ship(settings, checkpoint)

    checkpoint, failures = asyncio.run(_with_db(settings, work))
    for failure in failures:
        console.print(f"[yellow]not shipped to the {failure}[/yellow]")
    typer.echo(f"checkpoint {checkpoint.id}: {len(checkpoint.heads)} chain heads signed with key "
               f"{checkpoint.public_key}")
    if failures:
        raise typer.Exit(1)


@app.command("export")
@settings_options(*DATABASE)
def audit_export(
    start: str = typer.Option(None, "--from", help="First time included (ISO 8601, e.g. 2026-01-01)."),
    end: str = typer.Option(None, "--to", help="End time, excluded (ISO 8601)."),
    sort: str = typer.Option("seq", "--sort", help="Field to sort by (any ledger field: time, actor, patient…)."),
    descending: bool = typer.Option(False, "--desc", help="Sort in descending order."),
    fmt: str = typer.Option("csv", "--format", help="csv or jsonl."),
    output: str = typer.Option("-", "--output", "-o", help="File to write ('-' for standard output)."),
    **overrides: Any,
) -> None:
    """Write the ledger entries between two times as a report sortable by any field (ONC (d)(3)).
    The export itself is recorded in the ledger."""
    import sys

    from chartkeep.audit.append import append
    from chartkeep.audit.entry import Entry
    from chartkeep.audit.export import FIELDS, export
    from chartkeep.schema.dates import parse_iso

    settings = load(overrides)
    if sort not in FIELDS or fmt not in ("csv", "jsonl"):
        raise typer.BadParameter(f"--sort one of {', '.join(FIELDS)}; --format csv or jsonl")
    try:
        bounds = [parse_iso(v) if v else None for v in (start, end)]
    except ValueError as exc:
        raise typer.BadParameter(f"--from/--to: {exc}") from None

    async def work(db: Any) -> int:
        out = sys.stdout if output == "-" else open(output, "w", encoding="utf-8", newline="")  # noqa: SIM115
        try:
            with Progress(console=console, transient=True) as progress:
                task = progress.add_task("Exporting audit entries", total=None)
                async with db.read() as conn:
                    count = await export(conn, out, bounds[0], bounds[1], sort, descending, fmt,
                                         lambda n: progress.update(task, completed=n))
        finally:
            if out is not sys.stdout:
                out.close()
        async with db.transaction() as tx:
            await append(tx, [Entry("export", target_class="_Audit", details=f"audit export: {count} entries",
                                    metadata={"cli": True, "from": start, "to": end, "sort": sort})])
        return count

    count = asyncio.run(_with_db(settings, work))
    console.print(f"{count} audit entries exported")

"""``chartkeep import`` and ``chartkeep export``: a Parse app's data in and out (the Parse REST shape,
Back4app's MongoDB export, a Parse Server's own PostgreSQL database)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress

from chartkeep.cli.options import DATABASE, console, load, settings_options
from chartkeep.settings import Settings

app = typer.Typer()


async def _import(settings: Settings, folder: Path | None, source_url: str | None, strict: bool,
                  dry_run: bool) -> Any:
    from chartkeep.app import build_core
    from chartkeep.migration.dump import read_folder
    from chartkeep.migration.importer import run
    from chartkeep.migration.parse_postgres import read_database
    from chartkeep.schema_admin.bootstrap import initialize

    dump = read_folder(folder) if folder is not None else await read_database(str(source_url))
    core = build_core(settings)
    await core.db.connect()
    try:
        await initialize(core)
        with Progress(console=console) as progress:
            tasks: dict[str, Any] = {}

            def step(name: str, done: int, total: int) -> None:
                if name not in tasks:
                    tasks[name] = progress.add_task(f"Importing {name}", total=total)
                progress.update(tasks[name], completed=done)

            return await run(core, dump, strict=strict, dry_run=dry_run, progress=step)
    finally:
        await core.db.close()


def _print_import(report: Any) -> None:
    verb = "would import" if report.dry_run else "imported"
    typer.echo(f"{report.import_id} from {report.source}" + (" (dry run: nothing written)" if report.dry_run else ""))
    for name, c in report.classes.items():
        extra = (" (new class)" if c.created else "") + (f"; new fields: {', '.join(c.new_fields)}"
                                                         if c.new_fields else "")
        typer.echo(f"  {name}: {c.read} read, {c.new} {verb}, {c.present} already present{extra}")
    for name, n in report.skipped_classes.items():
        typer.echo(f"  {name}: {n} not imported (Parse Server's own state)")
    for old, new in report.merged_roles.items():
        typer.echo(f"  _Role {old}: a role of that name exists ({new}); its members join it")
    if report.written:
        typer.echo(f"  relation members added: {report.relations}; files stored: {report.files}")
        for name in report.missing_files:
            typer.echo(f"  file missing from the export's files/ folder: {name}")
    for error in report.errors:
        typer.echo(f"  ERROR {error}")
    if report.findings:
        typer.echo(f"Clinical rules broken by {len(report.findings)} records"
                   + (" (--strict: nothing imported)" if report.strict else " (imported, marked in the ledger)")
                   + ":")
        for f in report.findings:
            typer.echo(f"  {f.class_name} {f.object_id}: {f.rule}: {f.message}")


@app.command("import")
@settings_options(*DATABASE, "app_id", "files_key", "files_key_id", "templates")
def import_command(
    folder: Path = typer.Argument(None, help="The export: one JSON file per class, "  # noqa: B008
                                  "_Join:<field>:<Class> files, a files/ folder of blobs.", show_default=False),
    source_url: str = typer.Option(None, "--from", help="Read a Parse Server's own PostgreSQL database instead "
                                                        "(postgresql://user@host/db)."),
    strict: bool = typer.Option(False, "--strict", help="Import nothing when a record breaks a clinical rule."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the report; write nothing."),
    **overrides: Any,
) -> None:
    """Import a Parse app's data (the Parse REST shape, Back4app's MongoDB export, or a Parse Server's
    PostgreSQL database with --from): objectIds, dates,
    pointers, relations, ACLs, roles and bcrypt password hashes kept; one ledger entry per record."""
    from chartkeep.migration.dump import DumpError

    if (folder is None) == (source_url is None):
        raise typer.BadParameter("give an export folder or --from postgresql://… (one of them)")
    if source_url is not None and not source_url.startswith(("postgresql://", "postgres://")):
        raise typer.BadParameter("--from takes a postgresql:// URL of a Parse Server's database")
    settings = load(overrides)
    try:
        report = asyncio.run(_import(settings, folder, source_url, strict, dry_run))
    except DumpError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    _print_import(report)
    if report.refused:
        raise typer.Exit(1)


async def _export(settings: Settings, folder: Path, shape: str) -> Any:
    from chartkeep.app import build_core
    from chartkeep.migration.exporter import run
    from chartkeep.schema_admin.bootstrap import load_registry

    core = build_core(settings)
    await core.db.connect()
    try:
        await load_registry(core)
        with Progress(console=console) as progress:
            tasks: dict[str, Any] = {}

            def step(name: str, done: int) -> None:
                if name not in tasks:
                    tasks[name] = progress.add_task(f"Exporting {name}", total=None)
                progress.update(tasks[name], completed=done)

            return await run(core, folder, shape, step)
    finally:
        await core.db.close()


@app.command("export")
@settings_options(*DATABASE, "app_id", "files_key", "files_key_id", "files_old_keys")
def export_command(
    folder: Annotated[Path, typer.Argument(help="The folder to write (created when missing).")],
    shape: str = typer.Option("rest", "--format", help="rest (Parse REST {\"results\": [...]}) or mongo "
                                                      "(Parse Server's MongoDB layout, JSON lines)."),
    **overrides: Any,
) -> None:
    """Export every class (not the ledger, not sessions), every relation and every file an object
    names, in a shape `chartkeep import` and Parse tools read."""
    from chartkeep.migration.exporter import SHAPES

    if shape not in SHAPES:
        raise typer.BadParameter(f"--format one of {', '.join(SHAPES)}")
    settings = load(overrides)
    report = asyncio.run(_export(settings, folder, shape))
    typer.echo(f"Exported to {folder} ({shape} shape): " + ", ".join(f"{n} {c}" for n, c in report.classes.items()))
    typer.echo(f"  relation members: {sum(report.relations.values())}; files: {report.files}")
    for name in report.missing_files:
        typer.echo(f"  file named by an object but not stored: {name}")

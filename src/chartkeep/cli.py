"""The ``chartkeep`` command. Flags are generated from the Settings fields (one declaration)."""

from __future__ import annotations

import asyncio
import inspect
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress

from chartkeep.settings import Settings

app = typer.Typer(help="Chartkeep: a self-hosted EHR backend speaking the Parse REST API.", no_args_is_help=True)
console = Console(stderr=True)


# The settings each command takes as flags (every setting is also read from CHARTKEEP_*).
# serve, init and seed take all of them: init is serve's start-up work, and seed runs the server's
# own rules in-process (password policy, file keys, mail, templates…), so one list of arguments
# fits all three — scripts/serve.sh passes its arguments to both seed and serve. The maintenance
# commands take only what they use.
SERVER = tuple(Settings.model_fields)
DATABASE = ("database_url", "data_dir")
SERVER_PANEL = "Server settings (the same as chartkeep serve)"


def _settings_options(*names: str, panel: str | None = None) -> Any:
    """Give the command one ``--flag`` per named Settings field (all of them when none are named);
    the values override env/defaults. The command's own keyword parameters (besides
    ``**overrides``) come first; ``panel`` groups the settings under a heading of their own in --help."""
    fields = names or SERVER

    def decorate(func: Any) -> Any:
        params = [
            p for p in inspect.signature(func).parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD
        ]
        for name in fields:
            info = Settings.model_fields[name]
            flag = "--" + name.replace("_", "-")
            annotation = str if info.annotation not in (int,) else int
            params.append(
                inspect.Parameter(
                    name,
                    inspect.Parameter.KEYWORD_ONLY,
                    default=typer.Option(None, flag, help=info.description, show_default=False,
                                         rich_help_panel=panel),
                    annotation=annotation | None,
                )
            )
        func.__signature__ = inspect.Signature(params)
        return func

    return decorate


def _load(overrides: dict[str, Any]) -> Settings:
    values: dict[str, Any] = {}
    for key, value in overrides.items():
        if value is None:
            continue
        values[key] = value
    return Settings(**values)


def _program() -> str:
    """How this command was started, to name another one the same way (``.venv/bin/chartkeep``)."""
    first = sys.argv[0] if sys.argv else ""
    return first if Path(first).name == "chartkeep" else "python -m chartkeep"


def master_key_command(settings: Settings) -> str:
    """The command that prints the master key kept in the data directory."""
    data_dir = "" if settings.data_dir == Settings.model_fields["data_dir"].default else f" --data-dir {settings.data_dir}"
    return f"{_program()} master-key{data_dir}"


def _announce(settings: Settings, created: bool, configured: bool) -> None:
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


def _master_key(settings: Settings) -> bool:
    """Make sure there is a master key (generated into the data directory if none is configured);
    True when it was generated just now."""
    return settings.ensure_master_key()[1]


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
@_settings_options()
def init(**overrides: Any) -> None:
    """Create the database and load the seed templates (idempotent)."""
    settings = _load(overrides)
    configured = bool(settings.master_key)
    created = _master_key(settings)
    changed, problems = asyncio.run(_init(settings))
    _announce(settings, created, configured)
    console.print(f"  classes created or extended: {', '.join(changed) if changed else 'none (up to date)'}")
    for problem in problems:
        console.print(f"  [red]to resolve:[/red] {problem}", highlight=False)


@app.command()
@_settings_options()
def serve(**overrides: Any) -> None:
    """Start the HTTP server (creates the database and loads the templates on first start)."""
    from chartkeep import serving
    from chartkeep.api.graphql import explorer

    settings = _load(overrides)
    refusal = serving.refusal(settings)
    if refusal:
        console.print(f"[red]{refusal}[/red]")
        raise typer.Exit(2)
    configured = bool(settings.master_key)
    created = _master_key(settings)
    _announce(settings, created, configured)
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


def main() -> None:
    app()


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
@_settings_options(*DATABASE)
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


audit_app = typer.Typer(help="The audit ledger: verify its hash chains, take a signed checkpoint, export a report.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


async def _with_db(settings: Settings, work: Any) -> Any:
    from chartkeep.storage.opening import open_database

    db = open_database(settings.resolved_database_url())
    await db.connect()
    try:
        return await work(db)
    finally:
        await db.close()


@audit_app.command("verify")
@_settings_options(*DATABASE, "ledger_signing_key")
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

    settings = _load(overrides)
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


@audit_app.command("checkpoint")
@_settings_options(*DATABASE, "ledger_signing_key", "ledger_checkpoint_file", "ledger_checkpoint_webhook")
def audit_checkpoint(**overrides: Any) -> None:
    """Sign every chain's head now with the ledger signing key, store the checkpoint and ship it to
    the configured sinks."""
    from chartkeep.audit.checkpoint import take
    from chartkeep.audit.sinks import ship

    settings = _load(overrides)

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


@audit_app.command("export")
@_settings_options(*DATABASE)
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

    settings = _load(overrides)
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


files_app = typer.Typer(help="Uploaded files: key rotation (docs/files.md).", no_args_is_help=True)
app.add_typer(files_app, name="files")


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


@app.command("seed")
@_settings_options(panel=SERVER_PANEL)
def seed_command(
    patients: int = typer.Option(40, "--patients", help="EHR patients (each with encounters, notes, signatures)."),
    bh_patients: int = typer.Option(12, "--bh-patients", help="Behavioral-health patients (portal accounts)."),
    if_empty: bool = typer.Option(False, "--if-empty", help="Do nothing when the demo was seeded before."),
    **overrides: Any,
) -> None:
    """Fill the database with a realistic demo clinic, written through the same rules as clients."""
    from chartkeep.demo.clinic import DEMO_PASSWORD, STAFF
    from chartkeep.demo.portal import INVITED

    settings = _load(overrides)
    configured = bool(settings.master_key)
    if _master_key(settings):  # the first command on a fresh machine: say the key now
        _announce(settings, True, configured)
    clinic = asyncio.run(_seed(settings, patients, bh_patients, if_empty))
    if clinic is None:
        console.print("Demo data already present (user 'admin' exists); nothing done.")
        return
    accounts = ", ".join(f"{p}" if n == 1 else f"{p}1..{p}{n}" for _, p, n in STAFF)
    console.print(f"Demo clinic: {patients} EHR patients, {bh_patients} behavioral-health patients.")
    console.print(f"  staff accounts: {accounts}; patients: patient1..patient{bh_patients}, "
                  f"invited1..{INVITED}@demo.chartkeep.test (invited to the portal)")
    console.print(f"  password for every demo account: {DEMO_PASSWORD}")


@files_app.command("rekey")
@_settings_options(*DATABASE, "files_key", "files_key_id", "files_old_keys")
def files_rekey(**overrides: Any) -> None:
    """Re-encrypt every file not under the current files_key (after a rotation; safe to re-run)."""
    settings = _load(overrides)
    report = asyncio.run(_rekey(settings))
    console.print(f"Files under an older key: {report.total}; re-encrypted under {settings.files_key_id}: "
                  f"{report.rekeyed}")
    for name in report.failed:
        console.print(f"  [red]failed its integrity check or has no content, left as is:[/red] {name}")
    if report.failed:
        raise typer.Exit(1)


messages_app = typer.Typer(help="Secure messages: retention (docs/messaging.md).", no_args_is_help=True)
app.add_typer(messages_app, name="messages")


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


@messages_app.command("purge")
@_settings_options(*DATABASE, "message_retention_days")
def messages_purge(
    dry_run: bool = typer.Option(False, "--dry-run", help="Count the messages a purge would delete; change nothing."),
    **overrides: Any,
) -> None:
    """Delete the messages older than message_retention_days (and attachments no other object holds),
    each with a ledger entry; nothing while the setting is 0 (keep forever)."""
    settings = _load(overrides)
    report = asyncio.run(_purge(settings, dry_run))
    if report.days <= 0:
        console.print("message_retention_days is 0: messages are kept forever; nothing purged.")
        return
    verb = "would be deleted" if dry_run else "deleted"
    typer.echo(f"Messages sent before {report.cutoff.isoformat()}: {report.messages} {verb}"
               + ("" if dry_run else f", {report.files} attachment files deleted"))


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
@_settings_options(*DATABASE, "app_id", "files_key", "files_key_id", "templates")
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
    settings = _load(overrides)
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
@_settings_options(*DATABASE, "app_id", "files_key", "files_key_id", "files_old_keys")
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
    settings = _load(overrides)
    report = asyncio.run(_export(settings, folder, shape))
    typer.echo(f"Exported to {folder} ({shape} shape): " + ", ".join(f"{n} {c}" for n, c in report.classes.items()))
    typer.echo(f"  relation members: {sum(report.relations.values())}; files: {report.files}")
    for name in report.missing_files:
        typer.echo(f"  file named by an object but not stored: {name}")


@app.command("backup")
@_settings_options(*DATABASE, "master_key", "files_key", "files_key_id", "files_old_keys")
def backup_command(
    out: str = typer.Option(..., "--out", help="The archive to write (a .tar.gz)."),
    keys_out: str = typer.Option(None, "--keys-out", help="Also write the keys to this separate file (mode 0600); "
                                  "never inside the archive. Keep it under separate custody."),
    **overrides: Any,
) -> None:
    """Back up the database with its file store (SQLite online backup, or pg_dump): the ledger is
    verified first, the keys are accounted for in the manifest, never put in the archive."""
    from chartkeep.backups import BackupError, backup
    from chartkeep.storage.snapshots import SnapshotError

    settings = _load(overrides)
    try:
        manifest = asyncio.run(backup(settings, Path(out), Path(keys_out) if keys_out else None))
    except (BackupError, SnapshotError, OSError) as exc:
        typer.echo(f"backup failed: {exc}")
        raise typer.Exit(1) from None
    ledger, keys = manifest["ledger"], manifest["keys"]
    files = sum(v["count"] for v in manifest["files"].values())
    typer.echo(f"Backup written to {out}: {manifest['database']} database, {files} files, ledger {ledger['rows']} "
               f"entries in {len(ledger['heads'])} chains.")
    typer.echo(f"Keys NOT in the archive: files key {keys['filesKeyId']} (fingerprint {keys['filesKeyFingerprint']})"
               + "".join(f", files key {k} (fingerprint {v['keyFingerprint']})" for k, v in manifest["files"].items()
                         if k != keys["filesKeyId"])
               + f", master key (fingerprint {keys['masterKeyFingerprint']}).")
    typer.echo(f"Keys written to {keys_out}: keep it apart from the archive." if keys_out else
               "Keep the keys under separate custody: without the files key the files cannot be read.")


@app.command("restore")
@_settings_options(*DATABASE, "files_key", "files_key_id", "files_old_keys")
def restore_command(
    archive: str = typer.Argument(..., help="An archive written by chartkeep backup."),
    force: bool = typer.Option(False, "--force", help="SQLite: replace an existing database file."),
    **overrides: Any,
) -> None:
    """Restore a backup into the configured (empty) database, then prove it: the ledger verifies and
    ends where the backup's did, and a file under each key decrypts with the configured keys."""
    from chartkeep.backups import BackupError, restore
    from chartkeep.storage.snapshots import SnapshotError

    settings = _load(overrides)
    try:
        done = asyncio.run(restore(settings, Path(archive), force))
    except (BackupError, SnapshotError, OSError) as exc:
        typer.echo(f"restore failed: {exc}")
        raise typer.Exit(1) from None
    typer.echo(f"Restored {archive} (backup of {done.manifest['createdAt']}).")
    typer.echo(f"OK: ledger {done.ledger_rows} entries, {len(done.heads)} chains intact, each ending where the "
               "backup's did")
    typer.echo("OK: files decrypt under key(s) " + (", ".join(done.files_checked) or "none (no files)"))


@app.command("master-key")
@_settings_options("data_dir")
def master_key(**overrides: Any) -> None:
    """Print the master key: the one generated at first start and kept in DATA_DIR/master.key (or
    CHARTKEEP_MASTER_KEY when set). Never makes one."""
    settings = _load(overrides)
    if settings.master_key:
        typer.echo(settings.master_key)
        return
    kept = settings.data_dir / "master.key"
    if not kept.is_file():
        console.print(f"No master key in {kept}: one is generated at the first `chartkeep serve`, `init` or "
                      "`seed` with this data directory (or set CHARTKEEP_MASTER_KEY).")
        raise typer.Exit(1)
    typer.echo(kept.read_text().strip())

"""``chartkeep backup`` and ``chartkeep restore``: one archive of the database and its file store,
the keys kept apart; a restore proven by the ledger and a file under each key."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import typer

from chartkeep.cli.options import DATABASE, load, settings_options

app = typer.Typer()


@app.command("backup")
@settings_options(*DATABASE, "master_key", "files_key", "files_key_id", "files_old_keys")
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

    settings = load(overrides)
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
@settings_options(*DATABASE, "files_key", "files_key_id", "files_old_keys")
def restore_command(
    archive: str = typer.Argument(..., help="An archive written by chartkeep backup."),
    force: bool = typer.Option(False, "--force", help="SQLite: replace an existing database file."),
    **overrides: Any,
) -> None:
    """Restore a backup into the configured (empty) database, then prove it: the ledger verifies and
    ends where the backup's did, and a file under each key decrypts with the configured keys."""
    from chartkeep.backups import BackupError, restore
    from chartkeep.storage.snapshots import SnapshotError

    settings = load(overrides)
    try:
        done = asyncio.run(restore(settings, Path(archive), force))
    except (BackupError, SnapshotError, OSError) as exc:
        typer.echo(f"restore failed: {exc}")
        raise typer.Exit(1) from None
    typer.echo(f"Restored {archive} (backup of {done.manifest['createdAt']}).")
    typer.echo(f"OK: ledger {done.ledger_rows} entries, {len(done.heads)} chains intact, each ending where the "
               "backup's did")
    typer.echo("OK: files decrypt under key(s) " + (", ".join(done.files_checked) or "none (no files)"))

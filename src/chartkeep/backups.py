"""``chartkeep backup`` and ``chartkeep restore``: the database with its file store, keys accounted for.

A backup is one tar archive: ``manifest.json`` and the database copy (``database.sqlite`` from
SQLite's online backup, or ``database.pgdump`` from ``pg_dump``). Uploaded files live in the
database (``_File``/``_FileBlob``), so the copy holds them, encrypted. The keys are never in the
archive: the manifest names, for each key id files are encrypted under, how many files and the
key's fingerprint (SHA-256 of a fixed label and the secret, 16 hex digits — it identifies a key,
it cannot recover it), plus the master key's fingerprint. A backup refuses to run when files are
under a key id that is not configured (it could never be restored readable). ``--keys-out``
writes the keys to a separate file (mode 0600), only when asked and never inside the archive.
The ledger is verified before the copy and its head (sequence and hash) recorded.

A restore puts the copy into the configured (empty) database, then proves it: the ledger's chain
verifies and ends at the recorded head, and one file per key id decrypts with the configured keys
(whose fingerprints must match the manifest). Anything else fails the restore (exit 1).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chartkeep.audit.verify import Report, verify
from chartkeep.settings import Settings
from chartkeep.storage import snapshots
from chartkeep.storage.database import Database
from chartkeep.storage.file_crypto import FileIntegrityError, Keyring
from chartkeep.storage.file_store import DatabaseBlobStore, files_per_key
from chartkeep.storage.opening import open_database

FORMAT = 1
MANIFEST = "manifest.json"
DUMPS = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}


class BackupError(Exception):
    """The backup or restore cannot be trusted; the message says why."""


def fingerprint(secret: str) -> str:
    return hashlib.sha256(b"chartkeep-key-fingerprint\x00" + secret.encode()).hexdigest()[:16]


@dataclass(slots=True)
class Restored:
    manifest: dict[str, Any]
    ledger_rows: int
    heads: list[list[Any]]  # [chain, position, hash] of every chain's last entry
    files_checked: dict[str, str] = field(default_factory=dict)  # key id → the file decrypted with it


# ---- backup ------------------------------------------------------------------------------------


async def _inventory(settings: Settings, db: Database) -> dict[str, Any]:
    keyring = Keyring.from_settings(settings)
    report = await verify(db)
    async with db.read() as conn:
        per_key = await files_per_key(conn)
    if not report.ok:
        raise BackupError(f"the ledger does not verify ({_where(report)}: {report.problem}); not backed up")
    missing = [k for k in per_key if k not in keyring.secrets]
    if missing:
        raise BackupError(f"files are encrypted under key id(s) {', '.join(missing)}, which are not configured "
                          "(files_key_id / files_old_keys): such a backup could never be restored readable")
    master, _ = settings.ensure_master_key()
    return {
        "ledger": {"rows": report.rows, "heads": [list(h) for h in report.heads]},
        "files": {k: {"count": n, "keyFingerprint": fingerprint(keyring.secrets[k].decode())}
                  for k, (n, _name) in per_key.items()},
        "keys": {"filesKeyId": settings.files_key_id,
                 "filesKeyFingerprint": fingerprint(keyring.secrets[settings.files_key_id].decode()),
                 "masterKeyFingerprint": fingerprint(master),
                 "inArchive": False},
    }


def _keys_text(settings: Settings) -> str:
    master, _ = settings.ensure_master_key()
    files_key, _ = settings.ensure_files_key()
    lines = ["# Chartkeep keys: keep apart from the backups (docs/operations.md, Key custody)",
             f"CHARTKEEP_MASTER_KEY={master}", f"CHARTKEEP_FILES_KEY={files_key}",
             f"CHARTKEEP_FILES_KEY_ID={settings.files_key_id}"]
    if settings.files_old_keys:
        lines.append(f"CHARTKEEP_FILES_OLD_KEYS={','.join(settings.files_old_keys)}")
    return "\n".join(lines) + "\n"


async def backup(settings: Settings, out: Path, keys_out: Path | None = None) -> dict[str, Any]:
    """Write the archive to ``out``; the manifest it holds is returned."""
    url = settings.resolved_database_url()
    kind = snapshots.kind(url)
    if keys_out is not None and keys_out.resolve() == out.resolve():
        raise BackupError("--keys-out must be another file than the archive")
    db = open_database(url)
    await db.connect()
    try:
        inventory = await _inventory(settings, db)
    finally:
        await db.close()
    manifest = {"format": FORMAT, "createdAt": datetime.now(UTC).isoformat(timespec="seconds"), "database": kind,
                "schema": snapshots.pg_target(url)[1] if kind == "postgresql" else None, **inventory}
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / DUMPS[kind]
        if kind == "sqlite":
            await asyncio.to_thread(snapshots.sqlite_copy, url, dump)
        else:
            await asyncio.to_thread(snapshots.pg_dump, url, dump)
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
            tar.add(dump, arcname=DUMPS[kind])
        os.replace(partial, out)  # never a half-written archive under the final name
    if keys_out is not None:
        keys_out.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(keys_out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(_keys_text(settings))
    return manifest


# ---- restore -----------------------------------------------------------------------------------


def _read_archive(archive: Path, into: Path) -> tuple[dict[str, Any], Path]:
    with tarfile.open(archive, "r:*") as tar:
        names = tar.getnames()
        if MANIFEST not in names:
            raise BackupError(f"{archive} is not a Chartkeep backup (no {MANIFEST})")
        extracted = tar.extractfile(MANIFEST)
        assert extracted is not None
        manifest = json.loads(extracted.read())
        if manifest.get("format") != FORMAT:
            raise BackupError(f"backup format {manifest.get('format')} is not supported (expected {FORMAT})")
        dump_name = DUMPS.get(manifest.get("database", ""))
        if dump_name is None or dump_name not in names:
            raise BackupError(f"{archive} holds no database copy")
        tar.extract(dump_name, into, filter="data")
    return manifest, into / dump_name


def _check_keys(settings: Settings, manifest: dict[str, Any]) -> Keyring:
    keyring = Keyring.from_settings(settings)
    for key_id, info in manifest.get("files", {}).items():
        secret = keyring.secrets.get(key_id)
        if secret is None:
            raise BackupError(f"{info['count']} files are encrypted under key id {key_id}, which is not configured "
                              "(files_key_id / files_old_keys): restore the keys from their separate custody first")
        if fingerprint(secret.decode()) != info["keyFingerprint"]:
            raise BackupError(f"the configured key {key_id} is not the one the backup's files were encrypted under "
                              f"(fingerprint {fingerprint(secret.decode())}, expected {info['keyFingerprint']})")
    return keyring


async def restore(settings: Settings, archive: Path, force: bool = False) -> Restored:
    """Put ``archive`` into the configured database and prove it (ledger, files, keys)."""
    url = settings.resolved_database_url()
    with tempfile.TemporaryDirectory() as tmp:
        manifest, dump = _read_archive(archive, Path(tmp))
        kind = snapshots.kind(url)
        if manifest["database"] != kind:
            raise BackupError(f"the backup is of a {manifest['database']} database; database_url is {kind}")
        if kind == "postgresql" and snapshots.pg_target(url)[1] != manifest.get("schema"):
            raise BackupError(f"the backup holds schema {manifest.get('schema') or 'public'}: restore into a "
                              "database_url whose search_path names it (in an empty database)")
        keyring = _check_keys(settings, manifest)
        if kind == "sqlite":
            await asyncio.to_thread(snapshots.sqlite_put_back, dump, url, force)
        else:
            db = open_database(url)
            await db.connect()
            try:
                async with db.read() as conn:
                    if await snapshots.holds_data(conn):
                        raise BackupError("the target PostgreSQL schema already holds a Chartkeep database: restore "
                                          "into an empty database")
            finally:
                await db.close()
            await asyncio.to_thread(snapshots.pg_restore, dump, url)
    return await _prove(url, manifest, keyring)


async def _prove(url: str, manifest: dict[str, Any], keyring: Keyring) -> Restored:
    db = open_database(url)
    await db.connect()
    try:
        report = await verify(db)
        async with db.read() as conn:
            per_key = await files_per_key(conn)
            blobs = DatabaseBlobStore()
            checked: dict[str, str] = {}
            for key_id, (_count, name) in per_key.items():
                blob = await blobs.get(conn, name)
                try:
                    keyring.decrypt(name, key_id, blob or b"")
                except FileIntegrityError as exc:
                    raise BackupError(f"file {name} (key {key_id}) does not decrypt: {exc.message}") from None
                checked[key_id] = name
    finally:
        await db.close()
    ledger = manifest["ledger"]
    if not report.ok:
        raise BackupError(f"the restored ledger does not verify ({_where(report)}: {report.problem})")
    heads = [list(h) for h in report.heads]
    if heads != ledger["heads"]:
        raise BackupError(f"the restored ledger's chain heads {heads} differ from the backup's {ledger['heads']}")
    counts = {k: n for k, (n, _name) in per_key.items()}
    if counts != {k: v["count"] for k, v in manifest.get("files", {}).items()}:
        raise BackupError(f"restored files per key {counts} differ from the backup's manifest")
    return Restored(manifest, report.rows, heads, checked)


def _where(report: Report) -> str:
    first = report.first
    return first.where() if first is not None else "ledger"

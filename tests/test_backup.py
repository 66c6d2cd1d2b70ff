"""``chartkeep backup`` / ``chartkeep restore`` on both databases: the file store comes along, the keys
are accounted for but never in the archive, and the restore proves itself — ``audit verify`` passes
on the copy and an attachment decrypts."""

from __future__ import annotations

import asyncio
import secrets
import tarfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from typer.testing import CliRunner

from chartkeep.cli import app
from chartkeep.storage.file_crypto import Keyring
from chartkeep.storage.file_store import DatabaseBlobStore, get_meta
from chartkeep.storage.opening import open_database
from tests.conftest import PG_URL, Api
from tests.policy.world import build_world

PDF = b"%PDF-1.7\n%%EOF\n"


async def cli(*args: str) -> Any:
    return await asyncio.to_thread(CliRunner().invoke, app, list(args))


@pytest.fixture
async def target(core: Any, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database to restore into: a new SQLite file, or a new PostgreSQL database whose
    search_path names the source's schema."""
    url = core.settings.database_url
    if url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path}/restored/chartkeep.db"
        return
    name = "r_" + secrets.token_hex(6)
    admin = await asyncpg.connect(PG_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_URL.rsplit("/", 1)[0] + f"/{name}?" + url.split("?", 1)[1]
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


def members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]


async def test_backup_then_restore_verifies_the_ledger_and_decrypts_an_attachment(
        api: Api, core: Any, tmp_path: Path, target: str) -> None:
    w = await build_world(api)
    settings = core.settings
    files_key, _ = settings.ensure_files_key()
    source = ["--database-url", settings.database_url, "--data-dir", str(settings.data_dir)]
    archive, keys = tmp_path / "out" / "backup.tar.gz", tmp_path / "custody" / "keys.env"
    r = await cli("backup", "--out", str(archive), "--keys-out", str(keys), *source)
    assert r.exit_code == 0, r.output
    assert "Keys NOT in the archive: files key k1 (fingerprint " in r.stdout

    inside = members(archive)
    assert sorted(inside) == sorted(["manifest.json", "database.sqlite" if "sqlite" in target else "database.pgdump"])
    for blob in inside.values():  # neither key, in any form, is in the archive
        assert files_key.encode() not in blob and settings.master_key.encode() not in blob
    assert f"CHARTKEEP_FILES_KEY={files_key}" in keys.read_text() and oct(keys.stat().st_mode)[-3:] == "600"

    # restore on a machine that has the keys from their separate custody
    restored = ["--database-url", target, "--data-dir", str(tmp_path / "restored"), "--files-key", files_key]
    r = await cli("restore", str(archive), *restored)
    assert r.exit_code == 0, r.output
    assert "chains intact" in r.stdout and "OK: files decrypt under key(s) k1" in r.stdout
    r = await cli("audit", "verify", "--database-url", target, "--data-dir", str(tmp_path / "restored"))
    assert r.exit_code == 0 and r.stdout.startswith("OK: "), r.output

    # the nurse's uploaded scan, read back from the restored database and decrypted
    db = open_database(target)
    await db.connect()
    try:
        async with db.read() as conn:
            meta = await get_meta(conn, w.files["nurse"])
            assert meta is not None
            blob = await DatabaseBlobStore().get(conn, meta.name)
    finally:
        await db.close()
    assert blob is not None and PDF not in blob  # encrypted at rest in the copy
    assert Keyring.from_settings(settings.model_copy(update={"files_key": files_key})).decrypt(
        meta.name, meta.key_id, blob) == PDF

    r = await cli("restore", str(archive), *restored)  # never over a database that holds data
    assert r.exit_code == 1 and "restore failed" in r.stdout


async def test_restore_refuses_the_wrong_key_and_backup_refuses_an_unaccounted_one(
        api: Api, core: Any, tmp_path: Path, target: str) -> None:
    await build_world(api)
    settings = core.settings
    archive = tmp_path / "backup.tar.gz"
    source = ["--database-url", settings.database_url, "--data-dir", str(settings.data_dir)]
    assert (await cli("backup", "--out", str(archive), *source)).exit_code == 0
    r = await cli("restore", str(archive), "--database-url", target, "--data-dir", str(tmp_path / "other"),
                  "--files-key", "a-different-secret")
    assert r.exit_code == 1 and "is not the one the backup's files were encrypted under" in r.stdout
    # the files key was rotated without keeping the old one: files under k1 could never be read back
    r = await cli("backup", "--out", str(tmp_path / "b2.tar.gz"), *source, "--files-key", "new-secret",
                  "--files-key-id", "k2")
    assert r.exit_code == 1 and "key id(s) k1, which are not configured" in r.stdout
    assert not (tmp_path / "b2.tar.gz").exists()

"""Files at rest: ciphertext in the database, tampering detected, keys rotated."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
from typer.testing import CliRunner

from chartkeep.app import create_app
from chartkeep.cli import app as cli
from chartkeep.files.rekey import rekey
from chartkeep.settings import Settings
from tests.conftest import APP_ID, MASTER_KEY, Api, running_core
from tests.files.clinic import PDF, open_clinic


async def _blob(core: Any, name: str) -> bytes:
    async with core.db.read() as conn:
        p = conn.dialect.placeholder(1)
        return bytes(await conn.fetchval(f'SELECT "data" FROM "_FileBlob" WHERE "name" = {p}', [name]))


async def _key_id(core: Any, name: str) -> str:
    async with core.db.read() as conn:
        p = conn.dialect.placeholder(1)
        return str(await conn.fetchval(f'SELECT "keyId" FROM "_File" WHERE "name" = {p}', [name]))


async def _set_blob(core: Any, name: str, data: bytes) -> None:
    async with core.db.transaction() as tx:
        d = tx.dialect
        await tx.execute(f'UPDATE "_FileBlob" SET "data" = {d.placeholder(1)} WHERE "name" = {d.placeholder(2)}',
                         [data, name])


async def test_bytes_at_rest_are_not_the_plaintext(api: Api, core: Any) -> None:
    c = await open_clinic(api)
    text = b"Patient Ada Lovelace, MRN-F1: HbA1c 6.1%, eGFR 92. " * 20
    up = await c.upload("nurse", "labs.txt", text, "text/plain")
    name = up.json()["name"]
    blob = await _blob(core, name)
    assert text not in blob and b"Lovelace" not in blob and b"HbA1c" not in blob
    assert len(blob) == 4 + 16 + 12 + len(text) + 16  # magic, salt, nonce, ciphertext, GCM tag
    async with core.db.read() as conn:
        row = await conn.fetchrow(f'SELECT "contentType", "size", "owner", "keyId" FROM "_File" WHERE "name" = '
                                  f"{conn.dialect.placeholder(1)}", [name])
    assert tuple(row) == ("text/plain", len(text), c.ids["nurse"], "k1")
    # the same bytes uploaded twice encrypt differently (fresh salt and nonce per file)
    again = (await c.upload("nurse", "labs.txt", text, "text/plain")).json()["name"]
    assert (await _blob(core, again))[4:] != blob[4:]
    attachment = (await c.attach("nurse", name)).json()["objectId"]
    got = await c.fetch(await c.url_for("nurse", attachment))
    assert got.content == text and got.headers["content-type"].startswith("text/plain")


async def test_tampered_ciphertext_is_refused_not_served(api: Api, core: Any) -> None:
    c = await open_clinic(api)
    name, attachment = await c.attached("nurse")
    url = await c.url_for("nurse", attachment)
    blob = await _blob(core, name)
    integrity = {"code": 1, "error": "The stored file failed its integrity check."}
    for changed in (blob[:40] + bytes([blob[40] ^ 1]) + blob[41:],  # one ciphertext bit
                    blob[:-1] + bytes([blob[-1] ^ 0x80]),  # the tag
                    blob[:-20]):  # truncated
        await _set_blob(core, name, changed)
        r = await c.fetch(url)
        assert (r.status_code, r.json()) == (500, integrity)
        assert PDF[:64] not in r.content
    # another file's (valid) ciphertext moved into this row fails too: the name is authenticated
    other, _ = await c.attached("nurse", name="other.pdf")
    await _set_blob(core, name, await _blob(core, other))
    assert (await c.fetch(url)).status_code == 500
    await _set_blob(core, name, blob)
    assert (await c.fetch(url)).content == PDF


async def test_rotation_old_keys_read_and_rekey_moves_files_to_the_new_key(api: Api, core: Any) -> None:
    c = await open_clinic(api)
    name, attachment = await c.attached("nurse")
    old_secret = core.settings.files_key
    core.settings.files_key, core.settings.files_key_id = "a-brand-new-secret-for-files-0123456789", "k2"
    url = await c.url_for("nurse", attachment)  # links are now signed with the new secret
    r = await c.fetch(url)
    assert (r.status_code, r.json()) == (
        500, {"code": 1, "error": "The key that encrypted this file (id k1) is not configured."})
    core.settings.files_old_keys = [f"k1:{old_secret}"]
    assert (await c.fetch(url)).content == PDF  # old files still read
    new, new_attachment = await c.attached("nurse", name="new.pdf")
    assert (await _key_id(core, name), await _key_id(core, new)) == ("k1", "k2")
    report = await rekey(core)
    assert (report.total, report.rekeyed, report.failed) == (1, 1, [])
    assert await _key_id(core, name) == "k2"
    core.settings.files_old_keys = []  # the old secret can go
    assert (await c.fetch(url)).content == PDF
    assert (await c.fetch(await c.url_for("nurse", new_attachment))).content == PDF
    assert (await rekey(core)).total == 0  # nothing left to do


async def test_links_from_before_a_rotation_stop_working(api: Api, core: Any) -> None:
    c = await open_clinic(api)
    _, attachment = await c.attached("nurse")
    url = await c.url_for("nurse", attachment)
    core.settings.files_old_keys = [f"k1:{core.settings.files_key}"]
    core.settings.files_key, core.settings.files_key_id = "another-secret-for-the-files-987654321", "k2"
    assert (await c.fetch(url)).status_code == 403


def test_the_rekey_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/ck.db"

    async def upload() -> str:
        settings = Settings(app_id=APP_ID, master_key=MASTER_KEY, database_url=url, data_dir=tmp_path)
        async with running_core(settings) as core, httpx.AsyncClient(
                transport=httpx.ASGITransport(app=create_app(settings, core)), base_url="http://testserver") as client:
            r = await client.post("/parse/files/a.pdf", content=PDF, headers={
                "X-Parse-Application-Id": APP_ID, "X-Parse-Master-Key": MASTER_KEY, "Content-Type": "application/pdf"})
            assert r.status_code == 201, r.text
            return str(r.json()["name"])

    asyncio.run(upload())
    old = (tmp_path / "files.key").read_text().strip()
    args = ["files", "rekey", "--database-url", url, "--data-dir", str(tmp_path), "--files-key", "new-secret-0123456789",
            "--files-key-id", "k2"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1 and "a.pdf" in result.output  # the old key is not configured: reported, kept
    result = CliRunner().invoke(cli, [*args, "--files-old-keys", f"k1:{old}"])
    assert result.exit_code == 0, result.output
    assert "Files under an older key: 1; re-encrypted under k2: 1" in result.output
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0 and "Files under an older key: 0" in result.output

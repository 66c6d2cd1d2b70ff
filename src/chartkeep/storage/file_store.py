"""Where uploaded files live: one metadata table and a pluggable blob store (bytes already encrypted).

* ``_File``      one row per file: name, content type, plaintext size, uploader, the id of the key
                 that encrypted it, creation time (epoch seconds). The service layer decides who
                 may read it; no REST route reaches this table.
* ``_FileBlob``  the default :class:`BlobStore`: the encrypted bytes in the database (SQLite
                 ``BLOB`` / PostgreSQL ``bytea``), so every process sharing the database sees every
                 file and a file commits or rolls back with its metadata. An S3 store would
                 implement the same three calls and leave this table empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from chartkeep.storage.database import Conn
from chartkeep.storage.dialect import quote

FILE = "_File"
FILE_BLOB = "_FileBlob"


@dataclass(slots=True)
class FileMeta:
    name: str
    content_type: str
    size: int
    owner: str | None
    key_id: str
    created_at: float


class BlobStore(Protocol):
    """Opaque bytes by file name. ``conn`` is the caller's transaction (a remote store may ignore it)."""

    async def put(self, conn: Conn, name: str, data: bytes) -> None: ...

    async def get(self, conn: Conn, name: str) -> bytes | None: ...

    async def delete(self, conn: Conn, name: str) -> None: ...


class DatabaseBlobStore:
    """The default store: ``_FileBlob`` in the application's own database."""

    async def put(self, conn: Conn, name: str, data: bytes) -> None:
        d = conn.dialect
        await conn.execute(f'DELETE FROM {quote(FILE_BLOB)} WHERE "name" = {d.placeholder(1)}', [name])
        await conn.execute(
            f'INSERT INTO {quote(FILE_BLOB)} ("name", "data") VALUES ({d.placeholder(1)}, {d.placeholder(2)})',
            [name, data],
        )

    async def get(self, conn: Conn, name: str) -> bytes | None:
        found = await conn.fetchval(
            f'SELECT "data" FROM {quote(FILE_BLOB)} WHERE "name" = {conn.dialect.placeholder(1)}', [name]
        )
        return None if found is None else bytes(found)

    async def delete(self, conn: Conn, name: str) -> None:
        await conn.execute(f'DELETE FROM {quote(FILE_BLOB)} WHERE "name" = {conn.dialect.placeholder(1)}', [name])


def _blob_type(conn: Conn) -> str:
    return "bytea" if conn.dialect.name == "postgresql" else "BLOB"


async def ensure_file_tables(conn: Conn) -> None:
    number = conn.dialect.column_type("Number")
    await conn.execute(
        f'CREATE TABLE IF NOT EXISTS {quote(FILE)} ("name" TEXT PRIMARY KEY, "contentType" TEXT NOT NULL, '
        f'"size" INTEGER NOT NULL, "owner" TEXT, "keyId" TEXT NOT NULL, "createdAt" {number} NOT NULL)'
    )
    await conn.execute(
        f'CREATE TABLE IF NOT EXISTS {quote(FILE_BLOB)} ("name" TEXT PRIMARY KEY, "data" {_blob_type(conn)} NOT NULL)'
    )


_COLUMNS = '"name", "contentType", "size", "owner", "keyId", "createdAt"'


def _meta(row: object) -> FileMeta:
    r = row  # a Row: mapping-like by position and name
    return FileMeta(r[0], r[1], int(r[2]), r[3], r[4], float(r[5]))  # type: ignore[index]


async def insert_meta(conn: Conn, meta: FileMeta) -> None:
    d = conn.dialect
    marks = ", ".join(d.placeholder(i) for i in range(1, 7))
    await conn.execute(
        f"INSERT INTO {quote(FILE)} ({_COLUMNS}) VALUES ({marks})",
        [meta.name, meta.content_type, meta.size, meta.owner, meta.key_id, meta.created_at],
    )


async def get_meta(conn: Conn, name: str) -> FileMeta | None:
    found = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM {quote(FILE)} WHERE \"name\" = {conn.dialect.placeholder(1)}", [name]
    )
    return None if found is None else _meta(found)


async def set_key_id(conn: Conn, name: str, key_id: str) -> None:
    d = conn.dialect
    await conn.execute(
        f'UPDATE {quote(FILE)} SET "keyId" = {d.placeholder(1)} WHERE "name" = {d.placeholder(2)}', [key_id, name]
    )


async def delete_meta(conn: Conn, name: str) -> bool:
    return await conn.execute(f'DELETE FROM {quote(FILE)} WHERE "name" = {conn.dialect.placeholder(1)}', [name]) > 0


async def names_not_under(conn: Conn, key_id: str) -> list[str]:
    found = await conn.fetch(
        f'SELECT "name" FROM {quote(FILE)} WHERE "keyId" <> {conn.dialect.placeholder(1)} ORDER BY "name"', [key_id]
    )
    return [r[0] for r in found]


async def files_per_key(conn: Conn) -> dict[str, tuple[int, str]]:
    """Key id → (how many files it encrypted, the name of one of them): what a backup must account for."""
    found = await conn.fetch(
        f'SELECT "keyId", COUNT(*), MIN("name") FROM {quote(FILE)} GROUP BY "keyId" ORDER BY "keyId"'
    )
    return {str(r[0]): (int(r[1]), str(r[2])) for r in found}

"""SQLite back-end: WAL mode, one writer connection (serialised), a few reader connections."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from chartkeep.storage.database import IntegrityError, Row, TxState
from chartkeep.storage.dialect import SqliteDialect
from chartkeep.storage.regexp import regexp

READERS = 4


def sqlite_path(url: str) -> str:
    """``sqlite:///relative.db``, ``sqlite:////abs/path.db`` or ``sqlite:///:memory:``."""
    path = url.split("://", 1)[1]
    if path.startswith("/"):
        path = path[1:]  # as SQLAlchemy: three slashes relative, four absolute
    return path or ":memory:"


class SqliteConn(TxState):
    def __init__(self, raw: aiosqlite.Connection, dialect: SqliteDialect, in_tx: bool) -> None:
        super().__init__(dialect, in_tx)
        self._raw = raw

    def own_transaction(self) -> None:
        return None  # a reader never writes: the one writer is Database.transaction()

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        try:
            return list(await self._raw.execute_fetchall(sql, tuple(params)))  # one thread hop
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc

    async def fetchrow(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = await self.fetch(sql, params)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = await self.fetchrow(sql, params)
        return None if row is None else row[0]

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        try:
            cur = await self._raw.execute(sql, tuple(params))
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc
        count = cur.rowcount
        await cur.close()
        return count

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            await self._raw.executemany(sql, [tuple(r) for r in rows])
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc


class SqliteDatabase:
    def __init__(self, url: str) -> None:
        self.url = url
        self.dialect = SqliteDialect()
        self.path = sqlite_path(url)
        self._writer: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self._readers: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._all: list[aiosqlite.Connection] = []

    async def _open(self) -> aiosqlite.Connection:
        raw = await aiosqlite.connect(self.path, isolation_level=None)
        raw.row_factory = sqlite3.Row
        await raw.execute("PRAGMA busy_timeout=5000")  # first: other processes may hold the file's lock
        await raw.execute("PRAGMA journal_mode=WAL")
        await raw.execute("PRAGMA synchronous=NORMAL")
        await raw.execute("PRAGMA foreign_keys=ON")
        await raw.create_function("REGEXP", 2, regexp, deterministic=True)  # RE2: linear time
        self._all.append(raw)
        return raw

    async def connect(self) -> None:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._writer = await self._open()
        if self.path == ":memory:":
            return  # readers would see another database; reads share the writer
        for _ in range(READERS):
            await self._readers.put(await self._open())

    def pool_usage(self) -> tuple[int, int]:
        """(readers lent out, readers): the reader pool (the one writer is always held)."""
        size = 0 if self.path == ":memory:" or not self._all else READERS
        return size - self._readers.qsize() if size else 0, size

    async def close(self) -> None:
        for raw in self._all:
            await raw.close()
        self._all.clear()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[SqliteConn]:
        if self._readers.empty() and self.path == ":memory:":
            async with self._write_lock:
                yield SqliteConn(self._writer, self.dialect, in_tx=False)  # type: ignore[arg-type]
            return
        raw = await self._readers.get()
        try:
            yield SqliteConn(raw, self.dialect, in_tx=False)
        finally:
            self._readers.put_nowait(raw)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqliteConn]:
        assert self._writer is not None, "database not connected"
        async with self._write_lock:
            conn = SqliteConn(self._writer, self.dialect, in_tx=True)
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                await conn.run_before_commit()
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
            await self._writer.execute("COMMIT")
        await conn.commit_queue.run()

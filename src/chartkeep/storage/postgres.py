"""PostgreSQL back-end on an asyncpg pool; jsonb values travel as Python objects via orjson."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, cast

import asyncpg
import orjson

from chartkeep.errors import Code, ParseError
from chartkeep.storage.database import IntegrityError, Row, TxState, holding
from chartkeep.storage.dialect import PostgresDialect

POOL_MIN, POOL_MAX = 2, 16


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=_dumps, decoder=orjson.loads, schema="pg_catalog")
    await conn.set_type_codec("json", encoder=_dumps, decoder=orjson.loads, schema="pg_catalog")


class _PooledConnection(asyncpg.Connection):  # type: ignore[misc]  # asyncpg ships no type information
    """A pooled connection released without asyncpg's reset query.

    asyncpg sends ``SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`` each time a
    connection goes back to the pool: one round trip per acquire, three or more per request. Chartkeep
    leaves no session state on a connection (no SET, LISTEN, advisory lock or open cursor outlives
    an acquire), so there is nothing to reset; an open transaction is still rolled back by asyncpg.
    """

    def get_reset_query(self) -> str:
        return ""


def _unstorable() -> ParseError:
    """Text PostgreSQL cannot hold (NUL) that slipped past the checks above storage: a Parse error,
    never a 500 (the checks in records/ and the API name the field; this is the safety net)."""
    return ParseError(Code.INCORRECT_TYPE, "strings cannot contain NUL characters")


class PgConn(TxState):
    def __init__(self, raw: asyncpg.Connection, dialect: PostgresDialect, in_tx: bool,
                 shared: dict[str, Any] | None = None) -> None:
        super().__init__(dialect, in_tx, shared)
        self._raw = raw

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        try:
            return cast("list[Row]", await self._raw.fetch(sql, *params))
        except asyncpg.UniqueViolationError as exc:
            raise IntegrityError(str(exc)) from exc
        except asyncpg.CharacterNotInRepertoireError:
            raise _unstorable() from None

    async def fetchrow(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        try:
            return cast("Row | None", await self._raw.fetchrow(sql, *params))
        except asyncpg.UniqueViolationError as exc:
            raise IntegrityError(str(exc)) from exc
        except asyncpg.CharacterNotInRepertoireError:
            raise _unstorable() from None

    async def fetchval(self, sql: str, params: Sequence[Any] = ()) -> Any:
        try:
            return await self._raw.fetchval(sql, *params)
        except asyncpg.UniqueViolationError as exc:
            raise IntegrityError(str(exc)) from exc
        except asyncpg.CharacterNotInRepertoireError:
            raise _unstorable() from None

    def own_transaction(self) -> AbstractAsyncContextManager[PgConn] | None:
        return None if self.in_transaction else self._own_transaction()

    @asynccontextmanager
    async def _own_transaction(self) -> AsyncIterator[PgConn]:
        conn = PgConn(self._raw, cast("PostgresDialect", self.dialect), in_tx=True, shared=self.shared)
        async with self._raw.transaction():
            yield conn
            await conn.run_before_commit()
        await conn.commit_queue.run()

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        try:
            status = await self._raw.execute(sql, *params)
        except asyncpg.UniqueViolationError as exc:
            raise IntegrityError(str(exc)) from exc
        except asyncpg.CharacterNotInRepertoireError:
            raise _unstorable() from None
        tail = status.rsplit(" ", 1)[-1]
        return int(tail) if tail.isdigit() else 0

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            await self._raw.executemany(sql, rows)
        except asyncpg.UniqueViolationError as exc:
            raise IntegrityError(str(exc)) from exc


class PostgresDatabase:
    def __init__(self, url: str) -> None:
        self.url = url
        self.dialect = PostgresDialect()
        self._pool: asyncpg.Pool | None = None
        self._shared: dict[str, Any] = {}

    async def connect(self) -> None:
        self._pool = await asyncpg.create_pool(
            self.url.replace("postgresql+asyncpg://", "postgresql://"),
            min_size=POOL_MIN,
            max_size=POOL_MAX,
            init=_init_connection,
            connection_class=_PooledConnection,
        )

    def pool_usage(self) -> tuple[int, int]:
        """(connections lent out, connections open) of the pool."""
        if self._pool is None:
            return 0, 0
        return self._pool.get_size() - self._pool.get_idle_size(), self._pool.get_size()

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    @asynccontextmanager
    async def read(self) -> AsyncIterator[PgConn]:
        assert self._pool is not None, "database not connected"
        with holding(self):
            async with self._pool.acquire() as raw:
                yield PgConn(raw, self.dialect, in_tx=False, shared=self._shared)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PgConn]:
        assert self._pool is not None, "database not connected"
        with holding(self):
            async with self._pool.acquire() as raw:
                conn = PgConn(raw, self.dialect, in_tx=True, shared=self._shared)
                async with raw.transaction():
                    yield conn
                    await conn.run_before_commit()
        await conn.commit_queue.run()

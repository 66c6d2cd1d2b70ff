"""The narrow database contract both back-ends implement.

Services never see a driver: they get a ``Conn`` (fetch/execute with dialect placeholders) from
``Database.read()`` or ``Database.transaction()``. A transaction's ``on_commit`` queue runs only
after a successful COMMIT, so live events and caches never see a rolled-back write.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from contextvars import ContextVar
from typing import Any, Protocol

from chartkeep.storage.dialect import Dialect


class Row(Protocol):
    """A result row as both drivers give it (``sqlite3.Row``, ``asyncpg.Record``): by column name
    or position, its column names, and its values in order."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def keys(self) -> Iterable[str]: ...

    def __iter__(self) -> Iterator[Any]: ...

    def __len__(self) -> int: ...

AfterCommit = Callable[[], Awaitable[None] | None]

_HOLDING: ContextVar[frozenset[int]] = ContextVar("chartkeep_db_holding", default=frozenset())
STRICT_POOL_ENV = "CHARTKEEP_STRICT_POOL"


class NestedAcquire(RuntimeError):
    """A task that holds a pooled connection asked the same pool for another (``CHARTKEEP_STRICT_POOL``)."""


@contextmanager
def holding(pool: object) -> Iterator[None]:
    """Mark the current task as holding a connection of ``pool`` for the block.

    A task that holds a connection and waits for a second one of the same pool deadlocks the
    server once as many such tasks as the pool has connections run at the same time: each holds
    one and waits for another that never comes. Code under a connection passes that connection
    down (``use``). With ``CHARTKEEP_STRICT_POOL=1`` (the test suite sets it) asking the same pool
    for a second one raises at once, so the pattern fails a test instead of stalling a server under
    load. (Connections of two different databases, as an import or a comparison holds, are fine.)"""
    held = _HOLDING.get()
    key = id(pool)
    if key in held and os.environ.get(STRICT_POOL_ENV) == "1":
        raise NestedAcquire("this task already holds a database connection: pass it down (storage.database.use) "
                            "instead of asking the pool for another")
    token = _HOLDING.set(held | {key})
    try:
        yield
    finally:
        _HOLDING.reset(token)


class IntegrityError(Exception):
    """A unique constraint refused the write (mapped to Parse 137/202/203 above)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class Conn(Protocol):
    dialect: Dialect
    in_transaction: bool

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    async def fetchrow(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...

    async def fetchval(self, sql: str, params: Sequence[Any] = ()) -> Any: ...

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int: ...

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """One statement run for each parameter row, in one round trip (bulk imports)."""
        ...

    def on_commit(self, callback: AfterCommit) -> None: ...

    def own_transaction(self) -> AbstractAsyncContextManager[Conn] | None:
        """A short transaction on this (read) connection itself, or None where the back-end has
        no such thing (SQLite's readers: its one writer is elsewhere)."""
        ...

    before_commit: list[Callable[[Any], Awaitable[None]]]
    tx_values: dict[str, Any]
    shared: dict[str, Any]


class Database(Protocol):
    url: str

    @property
    def dialect(self) -> Dialect: ...

    async def connect(self) -> None: ...

    async def close(self) -> None: ...

    def read(self) -> AbstractAsyncContextManager[Conn]: ...

    def transaction(self) -> AbstractAsyncContextManager[Conn]: ...


class CommitQueue:
    """Callbacks to run once the surrounding transaction has committed."""

    def __init__(self) -> None:
        self._callbacks: list[AfterCommit] = []

    def add(self, callback: AfterCommit) -> None:
        self._callbacks.append(callback)

    async def run(self) -> None:
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            result = callback()
            if result is not None:
                await result


class TxState:
    """What both connection types share: the dialect, the on-commit queue of a transaction, and
    values kept for the transaction's lifetime (e.g. audit entries waiting for the commit)."""

    def __init__(self, dialect: Dialect, in_tx: bool, shared: dict[str, Any] | None = None) -> None:
        self.dialect = dialect
        self.in_transaction = in_tx
        # values kept for the database's lifetime in this process, shared by all its connections
        # (hints only: e.g. the ledger's last known chain heads, always checked by the database)
        self.shared: dict[str, Any] = {} if shared is None else shared
        self.commit_queue = CommitQueue()
        self.before_commit: list[Callable[[Any], Awaitable[None]]] = []
        self.tx_values: dict[str, Any] = {}

    async def run_before_commit(self) -> None:
        """Last work inside the transaction (it may still fail and roll everything back)."""
        while self.before_commit:
            await self.before_commit.pop(0)(self)

    def on_commit(self, callback: AfterCommit) -> None:
        if not self.in_transaction:  # pragma: no cover - reads never queue work
            raise RuntimeError("on_commit outside a transaction")
        self.commit_queue.add(callback)


@asynccontextmanager
async def use(db: Database, conn: Conn | None, write: bool = False) -> AsyncIterator[Conn]:
    """Reuse ``conn`` when the caller already holds one (e.g. inside a batch transaction)."""
    if conn is not None:
        yield conn
        return
    ctx = db.transaction() if write else db.read()
    async with ctx as fresh:
        yield fresh

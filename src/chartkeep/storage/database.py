"""The narrow database contract both back-ends implement.

Services never see a driver: they get a ``Conn`` (fetch/execute with dialect placeholders) from
``Database.read()`` or ``Database.transaction()``. A transaction's ``on_commit`` queue runs only
after a successful COMMIT, so live events and caches never see a rolled-back write.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
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

    before_commit: list[Callable[[Any], Awaitable[None]]]
    tx_values: dict[str, Any]


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

    def __init__(self, dialect: Dialect, in_tx: bool) -> None:
        self.dialect = dialect
        self.in_transaction = in_tx
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

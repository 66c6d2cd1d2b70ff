"""Group commit for entries that have no write transaction of their own (reads, failed logins).

A request hands its entries to ``GroupAppender.append`` and waits; one task drains everything
queued meanwhile into a single transaction, so N concurrent reads cost one commit, not N. The
request is answered only after that commit: no read is acknowledged whose audit row is not stored.
"""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

from chartkeep.audit.append import append
from chartkeep.audit.entry import Entry
from chartkeep.storage.database import Database


class GroupAppender:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._queue: list[tuple[list[Entry], asyncio.Future[None]]] = []
        self._task: asyncio.Task[Any] | None = None

    async def append(self, entries: list[Entry]) -> None:
        if not entries:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((entries, future))
        if self._task is None or self._task.done():
            # its own context: the drain is not the request that happened to start it (and holds
            # no connection of that request's: storage.database.holding)
            self._task = asyncio.create_task(self._drain(), context=contextvars.Context())
        await future

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                async with self._db.transaction() as tx:
                    await append(tx, [e for entries, _ in batch for e in entries])
            except asyncio.CancelledError:
                for _, future in batch:
                    future.cancel()
                raise
            except Exception as exc:  # every waiter learns its entry was not stored
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for _, future in batch:
                if not future.done():
                    future.set_result(None)

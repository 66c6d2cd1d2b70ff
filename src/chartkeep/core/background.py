"""Work a request starts and does not wait for (a push's delivery): tracked, so that stopping the
server waits for it a bounded time and then cancels it, and never lost to the garbage collector.
Work another process can resume (a Bulk Data export, whose state is in the database) is
*resumable*: stopping cancels it at once, without the wait, and it hands itself back as it ends."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger("chartkeep.background")


class Background:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self._resumable: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, work: Coroutine[Any, Any, None], name: str, resumable: bool = False) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._tasks.add(task)
        if resumable:
            self._resumable.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._resumable.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())

    async def close(self, grace_seconds: float) -> None:
        """Cancel resumable work at once; let the rest finish for up to ``grace_seconds``, then cancel
        what is left."""
        resumable = set(self._resumable)
        for task in resumable:
            task.cancel()
        for task in resumable:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if not self._tasks:
            return
        pending = set(self._tasks)
        _, late = await asyncio.wait(pending, timeout=grace_seconds)
        for task in late:
            log.warning("stopping: background task %s cancelled", task.get_name())
            task.cancel()
        for task in late:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

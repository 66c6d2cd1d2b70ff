"""``@cloud.job``: ``POST /jobs/<name>`` (master key) runs it in the background, tracked in ``_JobStatus``.

The call is answered at once with the ``_JobStatus`` id in ``X-Parse-Job-Status-Id`` (as Parse);
the row goes ``running`` → ``succeeded`` (``message``: what the job returned, or its last
``req.message(...)``) or ``failed`` (``message``: the error), with ``finishedAt``. Every change of
the row goes through the one write primitive, so the ledger names each. A job has no time limit
(``cloud_timeout`` is for functions and triggers); stopping the server cancels it after
``push_shutdown_grace_seconds`` and leaves its row ``running``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any

from chartkeep.cloud.data import CLOUD
from chartkeep.cloud.declare import UserFn
from chartkeep.cloud.requests import CloudRequest
from chartkeep.cloud.run import invoke
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.core.hooks import Function
from chartkeep.errors import Code, ParseError
from chartkeep.records import commit
from chartkeep.schema.dates import now_ms

log = logging.getLogger("chartkeep.cloud")
STATUS = "_JobStatus"
RUNNING, SUCCEEDED, FAILED = "running", "succeeded", "failed"


class JobRequest(CloudRequest):
    def __init__(self, core: Core, ctx: RequestContext, name: str, params: dict[str, Any], status_id: str) -> None:
        super().__init__(core, ctx, f"job {name}")
        self.job_name = name
        self.job_id = status_id
        self.params = params
        self._writes: list[asyncio.Task[None]] = []

    def message(self, text: str) -> asyncio.Task[None]:
        """Set the ``_JobStatus`` message (await it, or not: the job's end waits for it)."""
        task = asyncio.get_running_loop().create_task(
            _set(self._core, self._ctx, self.job_id, {"message": str(text)}, f"job {self.job_name} reported progress")
        )
        self._writes.append(task)
        return task

    async def settled(self) -> None:
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)


async def _set(core: Core, ctx: RequestContext, status_id: str, changes: dict[str, Any], why: str) -> None:
    async with core.db.transaction() as tx:
        await commit.server_update(core, tx, ctx, STATUS, status_id, changes, why=why)


async def _run(core: Core, ctx: RequestContext, name: str, fn: UserFn, req: JobRequest) -> None:
    try:
        result = await invoke(f"job {name}", fn, req, None)
    except ParseError as exc:
        await req.settled()
        await _set(core, ctx, req.job_id, {"status": FAILED, "message": exc.message, "finishedAt": now_ms()},
                   f"job {name} failed")
        return
    await req.settled()
    done: dict[str, Any] = {"status": SUCCEEDED, "finishedAt": now_ms()}
    if result is not None:
        done["message"] = result if isinstance(result, str) else str(result)
    await _set(core, ctx, req.job_id, done, f"job {name} succeeded")


def job_starter(name: str, fn: UserFn) -> Function[Core]:
    """What ``POST /jobs/<name>`` calls: stores the ``_JobStatus`` row, starts the job; the row's id."""

    async def start(core: Core, ctx: RequestContext, params: dict[str, Any]) -> str:
        ctx = replace(ctx, extra={**ctx.extra, CLOUD: f"job {name}"})
        async with core.db.transaction() as tx:
            status_id = await commit.server_insert(
                core, tx, ctx, STATUS,
                {"jobName": name, "source": "api", "status": RUNNING, "params": params},
                why=f"job {name} started",
            )
        req = JobRequest(core, ctx, name, params, status_id)
        core.background.spawn(_run(core, ctx, name, fn, req), name=f"job {name} {status_id}")
        return status_id

    return start


async def start(core: Core, ctx: RequestContext, name: str, params: dict[str, Any]) -> str:
    if not ctx.is_master:
        raise ParseError(Code.OPERATION_FORBIDDEN, "unauthorized: master key is required")
    starter = core.hooks.jobs.get(name)
    if starter is None:
        raise ParseError(Code.SCRIPT_FAILED, f'Invalid job: "{name}"')
    status_id: str = await starter(core, ctx, params)
    return status_id

"""Calling user code: its time limit, and what its failures become.

``cloud.Error`` (Parse's error) reaches the client with its code; any other exception is 141 with
its message, the trace only in the server's log; a hook that outlasts ``cloud_timeout`` seconds is
cancelled and answered 141 "Script timed out". An ``async def`` runs on the server's event loop; a
plain ``def`` runs in a worker thread (it cannot use the data API, which is asynchronous).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any

from chartkeep.cloud.declare import UserFn
from chartkeep.errors import Code, ParseError

log = logging.getLogger("chartkeep.cloud")
TIMED_OUT = "Script timed out"


async def _call(fn: UserFn, req: Any) -> Any:
    if inspect.iscoroutinefunction(fn):
        return await fn(req)
    result = await asyncio.to_thread(fn, req)
    if inspect.isawaitable(result):
        return await result
    return result


async def invoke(what: str, fn: UserFn, req: Any, timeout: float | None) -> Any:
    """Run ``fn(req)``; ``what`` names it in the log ("function hello", "before_save Patient")."""
    try:
        if timeout:
            return await asyncio.wait_for(_call(fn, req), timeout)
        return await _call(fn, req)
    except ParseError:
        raise
    except TimeoutError:
        log.error("cloud %s: timed out after %s s", what, timeout)
        raise ParseError(Code.SCRIPT_FAILED, TIMED_OUT) from None
    except Exception as exc:  # noqa: BLE001 - user code: any failure is 141, the trace in the log
        log.exception("cloud %s failed", what)
        raise ParseError(Code.SCRIPT_FAILED, str(exc) or type(exc).__name__) from None

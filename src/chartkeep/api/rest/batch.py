"""``POST /batch``: sub-requests through the same route table; ``transaction: true`` makes them
all-or-nothing in one database transaction.

Deviation from Parse Server, on purpose: when a transactional batch fails Parse answers HTTP 500
``Internal server error``; Chartkeep rolls back and answers with the failing sub-request's own
Parse error (e.g. 142 with the field named), so the SDK's ``saveAll`` rejects with a useful error.
"""

from __future__ import annotations

import logging
import posixpath
from typing import Any

from chartkeep.api.rest.router import Handler, Reply, Router
from chartkeep.api.rest.wire import Call
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.core.sizes import Budget
from chartkeep.errors import Code, ParseError
from chartkeep.storage.database import Conn

MAX_REQUESTS = 1000
log = logging.getLogger("chartkeep.api")


def routable(path: Any, prefixes: list[str]) -> str:
    if not isinstance(path, str):
        raise ParseError(Code.INVALID_JSON, f"cannot route batch path {path}")
    for prefix in prefixes:
        if prefix and path.startswith(prefix):
            return posixpath.join("/", path[len(prefix):].lstrip("/"))
    raise ParseError(Code.INVALID_JSON, f"cannot route batch path {path}")


def _sub_requests(body: dict[str, Any]) -> list[dict[str, Any]]:
    requests = body.get("requests")
    if not isinstance(requests, list):
        raise ParseError(Code.INVALID_JSON, "requests must be an array")
    if len(requests) > MAX_REQUESTS:
        raise ParseError(Code.INVALID_JSON, f"a batch holds at most {MAX_REQUESTS} requests")
    for item in requests:
        if not isinstance(item, dict) or not isinstance(item.get("method"), str):
            raise ParseError(Code.INVALID_JSON, "each batch request needs a method and a path")
        if item.get("body") is not None and not isinstance(item.get("body"), dict):
            raise ParseError(Code.INVALID_JSON, "a batch request body must be an object")
    return requests


async def _run_one(
    core: Core, ctx: RequestContext, router: Router, prefixes: list[str], item: dict[str, Any], conn: Conn | None
) -> Any:
    path = routable(item.get("path"), prefixes)
    method = item["method"].upper()
    found = router.match(method, path)
    if path.rstrip("/") == "/batch":
        raise ParseError(Code.INVALID_JSON, "nested batch requests are not allowed")
    if found is None:
        raise ParseError(Code.INVALID_JSON, f"cannot route {method} {path}")
    route, handler, path_params = found
    if route.master_only and not ctx.is_master:
        raise ParseError(Code.OPERATION_FORBIDDEN, "unauthorized: master key is required")
    body = dict(item.get("body") or {})
    params = body if method == "GET" else {}
    sub = Call(method, path, params, {} if method == "GET" else body, creds=None, path_params=path_params)  # type: ignore[arg-type]
    reply = await handler(core, ctx, sub, conn)
    return reply.body


def make_batch(router: Router, prefixes: list[str]) -> Handler:
    async def batch(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
        requests = _sub_requests(call.body)
        budget = Budget(core.settings.max_response_bytes, "The batch's answer")
        if call.body.get("transaction") is True:
            async with core.db.transaction() as tx:
                results = []
                for r in requests:
                    body = await _run_one(core, ctx, router, prefixes, r, tx)
                    budget.spend(body)  # over it, everything rolls back
                    results.append({"success": body})
            return Reply(results)
        results = []
        for item in requests:
            try:
                body = await _run_one(core, ctx, router, prefixes, item, None)
                if item["method"].upper() == "GET":
                    budget.spend(body)  # a read past the budget is answered 116 instead
                else:
                    budget.add(body)  # a write happened: its answer is given
                results.append({"success": body})
            except ParseError as exc:
                results.append({"error": {"code": exc.code, "error": exc.message}})
            except Exception:  # noqa: BLE001 - one broken sub-request must not void the others' results
                log.exception("batch sub-request failed")
                results.append({"error": {"code": Code.INTERNAL_SERVER_ERROR, "error": "Internal server error."}})
        return Reply(results)

    return batch

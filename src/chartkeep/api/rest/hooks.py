"""Parse's ``/hooks`` API (master key): webhook functions and triggers (cloud/webhooks.py)."""

from __future__ import annotations

from chartkeep.api.rest.router import Reply, Router
from chartkeep.api.rest.wire import Call
from chartkeep.cloud import webhooks
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.storage.database import Conn


async def functions(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    if call.method == "GET":
        return Reply(await webhooks.list_functions(core, ctx))
    return Reply(await webhooks.create_function(core, ctx, call.body), 201)


async def function(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    name = call.path_params["functionName"]
    if call.method == "GET":
        return Reply(await webhooks.get_function(core, ctx, name))
    body = {"__op": "Delete"} if call.method == "DELETE" else call.body
    return Reply(await webhooks.update_function(core, ctx, name, body))


async def triggers(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    if call.method == "GET":
        return Reply(await webhooks.list_triggers(core, ctx))
    return Reply(await webhooks.create_trigger(core, ctx, call.body), 201)


async def trigger(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    class_name, name = call.path_params["className"], call.path_params["triggerName"]
    if call.method == "GET":
        return Reply(await webhooks.get_trigger(core, ctx, class_name, name))
    body = {"__op": "Delete"} if call.method == "DELETE" else call.body
    return Reply(await webhooks.update_trigger(core, ctx, class_name, name, body))


def add_routes(r: Router) -> None:
    r.add("/hooks/functions", {"GET": functions, "POST": functions}, master_only=True)
    r.add("/hooks/functions/{functionName}", {"GET": function, "PUT": function, "DELETE": function}, master_only=True)
    r.add("/hooks/triggers", {"GET": triggers, "POST": triggers}, master_only=True)
    r.add("/hooks/triggers/{className}/{triggerName}", {"GET": trigger, "PUT": trigger, "DELETE": trigger},
          master_only=True)

"""``POST /push`` (master key): one use case (devices/push.py); the answer carries the push's
``_PushStatus`` id in ``X-Parse-Push-Status-Id``, where ``Parse.Push.send`` reads it."""

from __future__ import annotations

from chartkeep.api.rest.router import Reply, Router
from chartkeep.api.rest.wire import Call
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.devices import push
from chartkeep.storage.database import Conn


async def send(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    status_id = await push.send_push(core, ctx, call.body)
    return Reply({"result": True}, headers={"X-Parse-Push-Status-Id": status_id})


def add_routes(r: Router) -> None:
    r.add("/push", {"POST": send}, master_only=True)

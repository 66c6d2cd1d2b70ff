"""What apps and administration tools call at start: Parse Config (``GET``/``PUT /config``,
schema_admin/config.py) and ``GET /serverInfo`` (schema_admin/server_info.py)."""

from __future__ import annotations

from chartkeep.api.rest.router import Reply, Router, require_master
from chartkeep.api.rest.wire import Call
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.devices import push
from chartkeep.schema_admin import config, server_info
from chartkeep.storage.database import Conn


async def config_get(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    return Reply(await config.get_config(core, ctx))


async def config_put(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    require_master(ctx)  # 403 Permission denied, as Parse's promiseEnforceMasterKeyAccess
    return Reply(await config.put_config(core, ctx, call.body))


async def info(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    return Reply(server_info.server_info(push.available(core.settings)))


def add_routes(r: Router) -> None:
    r.add("/config", {"GET": config_get, "PUT": config_put})
    r.add("/serverInfo", {"GET": info}, master_only=True)

"""What apps and administration tools (Parse Dashboard) call: Parse Config (``GET``/``PUT /config``,
schema_admin/config.py), ``GET /serverInfo`` (schema_admin/server_info.py), and the jobs and
job schedules (``/cloud_code/jobs``: schema_admin/cloud_code.py); ``/jobs`` and ``/hooks`` are Cloud
Code's (api/rest/handlers.py, api/rest/hooks.py)."""

from __future__ import annotations

from chartkeep.api.rest.router import Handler, Reply, Router, require_master
from chartkeep.api.rest.wire import Call
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.devices import push
from chartkeep.schema_admin import cloud_code, config, server_info
from chartkeep.storage.database import Conn


async def config_get(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    return Reply(await config.get_config(core, ctx))


async def config_put(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    require_master(ctx)  # 403 Permission denied, as Parse's promiseEnforceMasterKeyAccess
    return Reply(await config.put_config(core, ctx, call.body))


async def info(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    return Reply(server_info.server_info(push.available(core.settings)))


async def schedules(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    return Reply(cloud_code.job_schedules())


async def jobs_data(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    return Reply(cloud_code.jobs_data(core.hooks.jobs))


async def schedule(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    return Reply(cloud_code.schedule_job(call.body, core.hooks.jobs))


async def unschedule(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    return Reply(cloud_code.delete_schedule(call.path_params["objectId"]))


def _not_served(feature: str) -> Handler:
    async def refuse(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
        return Reply(server_info.not_served(feature))

    return refuse


def add_routes(r: Router) -> None:
    r.add("/config", {"GET": config_get, "PUT": config_put})
    r.add("/serverInfo", {"GET": info}, master_only=True)
    r.add("/aggregate/{className}", {"GET": _not_served("aggregate")}, master_only=True)
    r.add("/purge/{className}", {"DELETE": _not_served("purge")}, master_only=True)
    r.add("/scriptlog", {"GET": _not_served("scriptlog")}, master_only=True)
    r.add("/cloud_code/jobs", {"GET": schedules, "POST": schedule}, master_only=True)
    r.add("/cloud_code/jobs/data", {"GET": jobs_data}, master_only=True)
    r.add("/cloud_code/jobs/{objectId}", {"PUT": schedule, "DELETE": unschedule}, master_only=True)

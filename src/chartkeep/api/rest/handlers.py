"""Thin handlers: one service call each; they only shape the reply."""

from __future__ import annotations

from chartkeep.accounts import email_verification, login, password_reset, sessions, users
from chartkeep.api.rest import admin
from chartkeep.api.rest import hooks as hook_routes
from chartkeep.api.rest import push as push_routes
from chartkeep.api.rest.ratelimit import RateLimiter, limited, login_limit, signup_limit
from chartkeep.api.rest.router import Handler, Reply, Router
from chartkeep.api.rest.wire import Call
from chartkeep.cloud import jobs as cloud_jobs
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.devices import installations
from chartkeep.errors import Code, ParseError
from chartkeep.records import functions, reads, writes
from chartkeep.schema_admin import schemas
from chartkeep.storage.database import Conn

# Classes whose writes go through a dedicated service rather than the generic pipeline.
USER = "_User"
SESSION = "_Session"
ROLE = "_Role"
INSTALLATION = "_Installation"  # saved by installationId too (devices/installations.py)


def _created(ctx: RequestContext, path: str, body: dict) -> Reply:
    return Reply(body, status=201, headers={"Location": f"{ctx.base_url}{path}/{body['objectId']}"})


async def find(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    class_name = call.path_params["className"]
    if class_name == SESSION and not ctx.is_master:
        return Reply(await sessions.list_sessions(core, ctx))
    return Reply(await reads.find(core, ctx, class_name, call.params, conn))


async def get(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    class_name, object_id = call.path_params["className"], call.path_params["objectId"]
    if class_name == SESSION and not ctx.is_master:
        return Reply(await sessions.get_session(core, ctx, object_id))
    return Reply(await reads.get(core, ctx, class_name, object_id, call.params, conn))


async def create(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    class_name = call.path_params["className"]
    if class_name == USER:
        return _created(ctx, "/users", await users.sign_up(core, ctx, call.body, conn))
    if class_name == SESSION and not ctx.is_master:
        raise ParseError(Code.OPERATION_FORBIDDEN, "Sessions are created by logging in.")
    if class_name == INSTALLATION:
        reply, created = await installations.save_new(core, ctx, call.body, conn)
        return _created(ctx, f"/classes/{class_name}", reply) if created else Reply(reply)
    return _created(ctx, f"/classes/{class_name}", await writes.create(core, ctx, class_name, call.body, conn))


async def update(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    class_name, object_id = call.path_params["className"], call.path_params["objectId"]
    if class_name == USER:
        return Reply(await users.update_user(core, ctx, object_id, call.body, conn))
    if class_name == SESSION and not ctx.is_master:
        raise ParseError(Code.OPERATION_FORBIDDEN, "Sessions cannot be edited.")
    if class_name == INSTALLATION:
        return Reply(await installations.save(core, ctx, object_id, call.body, conn))
    return Reply(await writes.update(core, ctx, class_name, object_id, call.body, conn))


async def delete(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    class_name, object_id = call.path_params["className"], call.path_params["objectId"]
    if class_name == USER:
        await users.delete_user(core, ctx, object_id, conn)
    elif class_name == SESSION and not ctx.is_master:
        await sessions.delete_session(core, ctx, object_id)
    else:
        await writes.delete(core, ctx, class_name, object_id, conn)
    return Reply({})


def _with_class(class_name: str, handler: Handler) -> Handler:
    async def bound(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
        call.path_params = {**call.path_params, "className": class_name}
        return await handler(core, ctx, call, conn)

    return bound


async def sign_up(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    return _created(ctx, "/users", await users.sign_up(core, ctx, call.body, conn))


async def log_in(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    params = call.body if call.body else call.params
    return Reply(await login.log_in(core, ctx, params))


async def request_password_reset(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    return Reply(await password_reset.request_password_reset(core, ctx, call.body))


async def verification_email_request(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    return Reply(await email_verification.request_verification_email(core, ctx, call.body))


async def log_out(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    if ctx.session_token:
        await sessions.revoke_token(core, ctx.session_token, ctx)
    return Reply({})


async def me(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    return Reply(await users.me(core, ctx))


async def sessions_list(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    return Reply(await sessions.list_sessions(core, ctx))


async def session_me(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    return Reply(await sessions.current_session(core, ctx))


async def session_get(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    return Reply(await sessions.get_session(core, ctx, call.path_params["objectId"]))


async def session_delete(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    await sessions.delete_session(core, ctx, call.path_params["objectId"])
    return Reply({})


async def schema_list(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    return Reply(schemas.list_schemas(core))


async def schema_get(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    return Reply(schemas.get_schema(core, call.path_params["className"]))


async def schema_create(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    class_name = call.path_params.get("className") or call.body.get("className")
    if not isinstance(class_name, str) or not class_name:
        raise ParseError(135, "POST /schemas needs a class name.")
    return Reply(await schemas.create_schema(core, class_name, call.body, ctx))


async def schema_update(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    return Reply(await schemas.update_schema(core, call.path_params["className"], call.body, ctx))


async def schema_delete(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    return Reply(await schemas.delete_schema(core, call.path_params["className"], ctx=ctx))


async def function(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    params = call.body if isinstance(call.body, dict) else {}
    return Reply(await functions.call(core, ctx, call.path_params["functionName"], params))


async def job(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    """``POST /jobs/<name>``, or ``POST /jobs`` naming the job in the body as Parse Dashboard's Run does
    (``{"jobName", "input", "when", "description"}``); as in Parse, the whole body is the job's params."""
    params = call.body if isinstance(call.body, dict) else {}
    name = call.path_params.get("jobName", params.get("jobName"))
    if not isinstance(name, str) or not name:
        raise ParseError(Code.SCRIPT_FAILED, "Invalid job: POST /jobs needs a jobName")
    status_id = await cloud_jobs.start(core, ctx, name, params)
    return Reply({}, headers={"X-Parse-Job-Status-Id": status_id})


async def health(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
    return Reply({"status": "ok"})


def _creates_user(call: Call) -> bool:
    return call.path_params.get("className") == USER


def build_router() -> Router:
    r = Router()
    login_limiter, signup_limiter = RateLimiter(login_limit), RateLimiter(signup_limit)  # one pair per app
    r.add("/health", {"GET": health, "POST": health}, public=True)
    r.add("/classes/{className}", {"GET": find, "POST": limited(signup_limiter, create, _creates_user)})
    r.add("/classes/{className}/{objectId}", {"GET": get, "PUT": update, "DELETE": delete})
    r.add("/users/me", {"GET": me})
    r.add("/users", {"GET": _with_class(USER, find), "POST": limited(signup_limiter, sign_up)})
    r.add("/users/{objectId}", {m: _with_class(USER, h) for m, h in (("GET", get), ("PUT", update), ("DELETE", delete))})
    r.add("/roles", {"GET": _with_class(ROLE, find), "POST": _with_class(ROLE, create)})
    r.add("/roles/{objectId}", {m: _with_class(ROLE, h) for m, h in (("GET", get), ("PUT", update), ("DELETE", delete))})
    r.add("/functions/{functionName}", {"POST": function})
    r.add("/jobs", {"POST": job}, master_only=True)
    r.add("/jobs/{jobName}", {"POST": job}, master_only=True)
    r.add("/login", {"GET": limited(login_limiter, log_in), "POST": limited(login_limiter, log_in)})
    r.add("/requestPasswordReset", {"POST": request_password_reset})
    r.add("/verificationEmailRequest", {"POST": verification_email_request})
    r.add("/logout", {"POST": log_out})
    r.add("/sessions/me", {"GET": session_me})
    r.add("/sessions", {"GET": sessions_list})
    r.add("/sessions/{objectId}", {"GET": session_get, "DELETE": session_delete})
    r.add("/schemas", {"GET": schema_list, "POST": schema_create}, master_only=True)
    r.add(
        "/schemas/{className}",
        {"GET": schema_get, "POST": schema_create, "PUT": schema_update, "DELETE": schema_delete},
        master_only=True,
    )
    r.add("/installations", {"GET": _with_class(INSTALLATION, find), "POST": _with_class(INSTALLATION, create)})
    r.add("/installations/{objectId}",
          {m: _with_class(INSTALLATION, h) for m, h in (("GET", get), ("PUT", update), ("DELETE", delete))})
    push_routes.add_routes(r)
    hook_routes.add_routes(r)  # /hooks: webhook functions and triggers
    admin.add_routes(r)  # /config, /serverInfo
    return r

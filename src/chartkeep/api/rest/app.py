"""The Parse REST API as an ASGI app: one dispatcher over the route table, Parse's CORS headers."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlparse

import orjson
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from chartkeep.api.rest.batch import make_batch
from chartkeep.api.rest.errors import error_response, json_response
from chartkeep.api.rest.files import file_routes
from chartkeep.api.rest.handlers import build_router
from chartkeep.api.rest.pages import page_routes
from chartkeep.api.rest.router import require_master
from chartkeep.api.rest.wire import read_call
from chartkeep.auth.resolve import master_key_origin, resolve
from chartkeep.cloud.requests import CONTEXT as CLOUD_CONTEXT
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core

# X-Parse-Master-Key is left out on purpose: a browser page of another origin may never send it
ALLOW_HEADERS = (
    "X-Parse-REST-API-Key, X-Parse-Javascript-Key, X-Parse-Application-Id, "
    "X-Parse-Client-Version, X-Parse-Session-Token, X-Requested-With, X-Parse-Revocable-Session, "
    "X-Parse-Request-Id, Content-Type, Pragma, Cache-Control"
)


def cors_headers(request: Request, master_key_origins: Sequence[str] = ()) -> dict[str, str]:
    """CORS answer headers; ``X-Parse-Master-Key`` is allowed only to an origin the admin listed in
    ``master_key_origins`` (an admin console such as Parse Dashboard)."""
    listed = master_key_origin(request.headers.get("origin"), list(master_key_origins))
    return {
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Methods": "GET,PUT,POST,DELETE,OPTIONS",
        "Access-Control-Allow-Headers": ALLOW_HEADERS + (", X-Parse-Master-Key" if listed else ""),
        "Access-Control-Expose-Headers": "X-Parse-Job-Status-Id, X-Parse-Push-Status-Id",
    }


def rest_routes(core: Core) -> list[Route]:
    settings = core.settings
    mount = settings.mount_path.rstrip("/")
    router = build_router()
    prefixes = [mount]
    if settings.public_url:
        prefixes.insert(0, urlparse(settings.public_url).path.rstrip("/"))
    router.add("/batch", {"POST": make_batch(router, prefixes)})

    async def dispatch(request: Request) -> Response:
        cors = cors_headers(request, settings.master_key_origins)
        if request.method == "OPTIONS":
            return PlainTextResponse("OK", headers=cors)
        path = "/" + request.path_params.get("path", "")
        try:
            call = await read_call(request, path, mount, settings.public_url, settings.max_body_bytes)
            found = router.match(call.method, path)
            if found is None:
                raise _NotFound(call.method, mount + path)
            route, handler, call.path_params = found
            if route.public:
                ctx = RequestContext(settings.app_id)
            else:
                ctx = await resolve(core, call.creds, ignore_session=(path.rstrip("/") == "/login"))
                if route.master_only:
                    require_master(ctx)
            ctx.headers = call.headers
            if call.context:
                ctx.extra[CLOUD_CONTEXT] = dict(call.context)  # Cloud Code triggers' req.context
            reply = await handler(core, ctx, call, None)
        except _NotFound as exc:
            return json_response(orjson.dumps({"error": f"Cannot {exc.method} {exc.path}"}), 404, cors)
        except Exception as exc:  # noqa: BLE001 - the one place errors become responses
            response = error_response(exc)
            response.headers.update(cors)
            return response
        return json_response(orjson.dumps(reply.body), reply.status, {**cors, **reply.headers})

    methods = ["GET", "POST", "PUT", "DELETE", "OPTIONS"]
    return [
        *page_routes(core, mount, cors_headers),  # before the catch-all; OPTIONS falls through to it
        *file_routes(core, mount, lambda r: cors_headers(r, settings.master_key_origins)),  # bytes, not JSON
        Route(mount + "/{path:path}", dispatch, methods=methods),
        Route(mount, dispatch, methods=methods),
    ]


class _NotFound(Exception):
    def __init__(self, method: str, path: str) -> None:
        super().__init__(path)
        self.method, self.path = method, path

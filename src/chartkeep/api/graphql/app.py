"""The ``/graphql`` route: Parse's headers → RequestContext (the REST resolver), then one execution.

``GET /graphql`` from a browser (``Accept: text/html``, no ``query``) shows the GraphiQL explorer
(its files under ``/graphql/assets/``, api/graphql/explorer.py)
unless ``production`` is set; ``GET ?query=`` runs queries; ``POST`` takes
``{"query", "variables", "operationName"}`` as JSON.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from chartkeep.api.graphql.builder import SchemaCache
from chartkeep.api.graphql.execute import Executor, Outcome, request_error
from chartkeep.api.graphql.explorer import Explorer
from chartkeep.api.graphql.state import GraphQLContext, Limiters
from chartkeep.api.rest.app import cors_headers
from chartkeep.api.rest.errors import error_response, json_response
from chartkeep.api.rest.wire import base_url, decode_body, header_credentials, public_headers, read_body
from chartkeep.auth.resolve import resolve
from chartkeep.core.handles import Core
from chartkeep.errors import BodyTooSlow, Code, ParseError, Unauthorized


def _wants_explorer(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "") and "query" not in request.query_params


async def _read_request(request: Request, max_bytes: int) -> tuple[str, dict[str, Any] | None, str | None]:
    if request.method == "GET":
        raw: dict[str, Any] = dict(request.query_params)
        if isinstance(raw.get("variables"), str) and raw["variables"]:
            try:
                raw["variables"] = orjson.loads(raw["variables"])
            except orjson.JSONDecodeError:
                raise ParseError(Code.INVALID_JSON, "variables is not valid JSON") from None
    else:
        raw = decode_body(await read_body(request, max_bytes))
        if not isinstance(raw, dict):
            raise ParseError(Code.INVALID_JSON, "The body is a JSON object: {query, variables, operationName}.")
    query, variables, name = raw.get("query"), raw.get("variables") or None, raw.get("operationName") or None
    if not isinstance(query, str) or not query.strip():
        raise ParseError(Code.INVALID_JSON, "Must provide a query string.")
    if variables is not None and not isinstance(variables, dict):
        raise ParseError(Code.INVALID_JSON, "variables must be a JSON object.")
    if name is not None and not isinstance(name, str):
        raise ParseError(Code.INVALID_JSON, "operationName must be a string.")
    return query, variables, name


def graphql_routes(core: Core) -> list[Route]:
    settings = core.settings
    path = "/" + settings.graphql_path.strip("/")
    mount = settings.mount_path.rstrip("/")
    schemas = SchemaCache(core.registry, core.hooks.functions.keys())
    executor = Executor(settings)
    limiters = Limiters()
    explorer = Explorer(settings, path)

    async def endpoint(request: Request) -> Response:
        cors = cors_headers(request, settings.master_key_origins)
        if request.method == "OPTIONS":
            return PlainTextResponse("OK", headers=cors)
        if request.method == "GET" and _wants_explorer(request) and not settings.production:
            status, page, headers = explorer.page()
            return HTMLResponse(page, status, headers={**cors, **headers})
        try:
            query, variables, name = await _read_request(request, settings.max_body_bytes)
            creds = header_credentials(request, base_url(request, mount, settings.public_url))
            ctx = await resolve(core, creds)
            ctx.headers = public_headers(request)  # Cloud Code's req.headers, credentials removed
        except (Unauthorized, BodyTooSlow) as exc:  # wrong app id/keys: the same 403 as REST; a slow body: 408
            response = error_response(exc)
            response.headers.update(cors)
            return response
        except ParseError as exc:
            return _reply(request_error(exc.message, exc.code), cors)
        gql = GraphQLContext(core, ctx, creds, limiters)
        outcome = await executor.run(schemas.current(), gql, query, variables, name,
                                     query_only=request.method == "GET")
        return _reply(outcome, cors)

    async def asset(request: Request) -> Response:
        """The explorer's files (GraphiQL, React, its own script and style), from this server."""
        assets = None if settings.production else explorer.assets()
        found = assets.get(request.path_params["name"]) if assets else None
        if found is None:
            return PlainTextResponse("Not found", 404)
        # the page names each file with its hash (?v=…): a new file is a new URL
        return Response(found.body, media_type=found.content_type, headers={
            "Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff"})

    return [Route(path, endpoint, methods=["GET", "POST", "OPTIONS"]),
            Route(path + "/assets/{name}", asset, methods=["GET"])]


def _reply(outcome: Outcome, cors: dict[str, str]) -> Response:
    return json_response(orjson.dumps(outcome.body), outcome.status, cors)

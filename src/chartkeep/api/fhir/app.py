"""``/fhir/R4``: FHIR's REST API over the same use cases as the Parse API.

Credentials: ``Authorization: Bearer <session token>`` or ``X-Parse-Session-Token``; the master
key (``X-Parse-Master-Key``) counts only from the master-key IP allow-list, as on the Parse mount.
The application id is the server's own (a FHIR client does not send one). Every answer is
``application/fhir+json``; every error an ``OperationOutcome`` with its HTTP status.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlparse

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from chartkeep import __version__
from chartkeep.api.rest.wire import decode_body, read_body
from chartkeep.auth.resolve import Credentials, resolve
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.errors import BodyTooSlow, Code, ParseError
from chartkeep.fhir import export, service, writes
from chartkeep.fhir.capability import capability_statement
from chartkeep.fhir.outcome import FhirError, from_exception, outcome
from chartkeep.fhir.resources import binary
from chartkeep.fhir.resources.group import member_ids
from chartkeep.fhir.search import FhirFormat
from chartkeep.fhir.smart import bearer, narrow
from chartkeep.fhir.smart.tokens import ACCESS_PREFIX, OAuthError
from chartkeep.ledger.entries import record_refusal

BASE = "/fhir/R4"
MEDIA = "application/fhir+json; charset=utf-8"
log = logging.getLogger("chartkeep.fhir")


CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET,POST,PUT,OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, Accept, X-Parse-Session-Token, X-Parse-Master-Key",
    "Access-Control-Expose-Headers": "Location, ETag, Content-Location",
}


def _reply(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, media_type=MEDIA, headers={**CORS, **(headers or {})})


def _error(error: FhirError) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="chartkeep"'} if error.status == 401 else None
    return _reply(outcome(error), error.status, headers)


def base_url(request: Request, public_url: str | None) -> str:
    if public_url:
        parsed = urlparse(public_url)
        return f"{parsed.scheme}://{parsed.netloc}{BASE}"
    return f"{request.url.scheme}://{request.url.netloc}{BASE}"


def credentials(core: Core, request: Request) -> Credentials:
    headers = request.headers
    token = headers.get("x-parse-session-token")
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        token = value.strip()
    return Credentials(
        app_id=core.settings.app_id,  # the FHIR base belongs to this server's one application
        master_key=headers.get("x-parse-master-key"),
        session_token=token,
        rest_key=core.settings.rest_api_key,  # FHIR clients send no Parse client key
        client_ip=request.client.host if request.client else None,
        base_url=f"{request.url.scheme}://{request.url.netloc}{core.settings.mount_path.rstrip('/')}",
    )


async def authenticate(core: Core, request: Request) -> RequestContext:
    creds = credentials(core, request)
    if not creds.session_token and not creds.master_key:
        raise FhirError(401, "login", "Authentication required: Authorization: Bearer <session token>")
    if creds.session_token and creds.session_token.startswith(ACCESS_PREFIX) and not creds.master_key:
        token, creds.session_token = creds.session_token, None
        ctx = await resolve(core, creds)
        try:
            await bearer.sign_in(core, ctx, token)
        except OAuthError as exc:  # recorded like a session token that names no live session
            await record_refusal(core, ctx, "auth_failed", None, None, ParseError(Code.INVALID_SESSION_TOKEN,
                                 exc.description), metadata={"credential": "smartAccessToken"})
            raise FhirError(401, "login", f"SMART access token refused: {exc.description}") from None
        return ctx
    return await resolve(core, creds)


def fhir_routes(core: Core) -> list[Route]:
    settings = core.settings

    async def dispatch(request: Request) -> Response:
        if request.method == "OPTIONS":  # a browser's preflight (a SMART app in a web page)
            return Response(b"", 204, headers=CORS)
        path = [p for p in request.path_params.get("path", "").split("/") if p]
        base = base_url(request, settings.public_url)
        try:
            if request.method == "GET" and path == ["metadata"]:
                started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                return _reply(capability_statement(base, __version__, started))
            ctx = await authenticate(core, request)
            query = list(request.query_params.multi_items())
            return await _route(core, ctx, request, path, query, base)
        except FhirFormat as exc:
            return _error(FhirError(406, "not-supported", f"_format={exc} is not served: JSON only"))
        except Exception as exc:  # noqa: BLE001 - the one place FHIR errors become responses
            error = from_exception(exc)
            if error is None:
                log.exception("FHIR request failed")
                error = FhirError(500, "exception", "Internal server error")
            response = _error(error)
            if isinstance(exc, BodyTooSlow):  # the rest of the body is never read: close the connection
                response.headers["Connection"] = "close"
            return response

    methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]
    return [Route(BASE + "/{path:path}", dispatch, methods=methods), Route(BASE, dispatch, methods=methods)]


async def _route(core: Core, ctx: RequestContext, request: Request, path: list[str], query: list[tuple[str, str]],
                 base: str) -> Response:
    method = request.method
    if not path:
        raise FhirError(404, "not-supported", "Name a resource type: /fhir/R4/{type}")
    type_name = path[0]
    grant = narrow.grant_of(ctx)
    if grant is not None:
        narrow.check_interaction(grant, method, path, query)
    if path[-1] == "$export" or path[0] in ("$export-status", "$export-file"):
        return await _bulk(core, ctx, request, path, query, base)
    scoped = [] if grant is None else narrow.compartment(grant, service.resource_type(type_name))
    if scoped and len(path) >= 2 and not (len(path) == 2 and path[1] == "_search"):
        assert grant is not None
        await narrow.ensure_visible(core, ctx, grant, service.resource_type(type_name), path[1])
    if method == "GET":
        if len(path) == 1:
            return _reply(await service.find(core, ctx, type_name, query, base, scoped))
        if len(path) == 3 and type_name == "Patient" and path[2] == "$everything":
            return _reply(await service.everything(core, ctx, path[1], query, base))
        if query:
            raise FhirError(400, "invalid", f"{method} {'/'.join(path)} takes no parameters")
        if len(path) == 2 and type_name == "Binary" and binary.wants_content(request.headers.get("accept")):
            url = await binary.download_url(core, ctx, path[1])  # the reader's signed link, as REST gives it
            return Response(b"", 303, headers={**CORS, "Location": url, "Cache-Control": "no-store"})
        if len(path) == 2:
            return _reply(await service.read(core, ctx, type_name, path[1]))
        if len(path) == 3 and path[2] == "_history":
            return _reply(await service.history(core, ctx, type_name, path[1], base))
        if len(path) == 4 and path[2] == "_history":
            return _reply(await service.vread(core, ctx, type_name, path[1], path[3]))
    elif method == "POST" and len(path) == 2 and path[1] == "_search":
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            raise FhirError(415, "not-supported", "POST _search takes application/x-www-form-urlencoded")
        raw = await read_body(request, core.settings.max_body_bytes)
        merged = [*query, *parse_qsl(raw.decode(errors="replace"), keep_blank_values=True)]
        if grant is not None:  # the body's parameters are held to the token's scopes as the URL's are
            narrow.check_interaction(grant, method, path, merged)
        return _reply(await service.find(core, ctx, type_name, merged, base, scoped))
    elif method in ("POST", "PUT") and len(path) == (1 if method == "POST" else 2):
        body = decode_body(await read_body(request, core.settings.max_body_bytes))
        if method == "POST":
            created = await writes.create(core, ctx, type_name, body)
            location = f"{base}/{type_name}/{created['id']}/_history/{created['meta']['versionId']}"
            return _reply(created, 201, {"Location": location, "ETag": f'W/"{created["meta"]["versionId"]}"'})
        updated = await writes.update(core, ctx, type_name, path[1], body)
        return _reply(updated, 200, {"ETag": f'W/"{updated["meta"]["versionId"]}"'})
    service.resource_type(type_name)  # an unknown type is 404 before a 405
    raise FhirError(405, "not-supported", f"{method} /{'/'.join(path)} is not supported")



async def _bulk(core: Core, ctx: RequestContext, request: Request, path: list[str], query: list[tuple[str, str]],
                base: str) -> Response:
    """Bulk Data: kick-off, status (202 with X-Progress, then the manifest), download, cancel."""
    method = request.method
    if path in (["$export"], ["Patient", "$export"]) and method == "GET":
        level = "system" if path == ["$export"] else "patient"
        wanted = export.parse_kickoff(level, query, request.headers.get("prefer"), str(request.url))
        job = await export.start(core, ctx, wanted)
        return Response(b"", 202, headers={**CORS, "Content-Location": f"{base}/$export-status/{job}"})
    if len(path) == 3 and path[0] == "Group" and path[2] == "$export" and method == "GET":
        wanted = export.parse_kickoff("group", query, request.headers.get("prefer"), str(request.url))
        group = await service.read(core, ctx, "Group", path[1])  # 404 for a group the caller may not read
        wanted.members = tuple(member_ids(group))
        job = await export.start(core, ctx, wanted)
        return Response(b"", 202, headers={**CORS, "Content-Location": f"{base}/$export-status/{job}"})
    if len(path) == 2 and path[0] == "$export-status" and method in ("GET", "DELETE"):
        if method == "DELETE":
            await export.cancel(core, ctx, path[1])
            return Response(b"", 202, headers=CORS)
        status, body, progress = await export.status(core, ctx, path[1], base)
        if body is None:
            return Response(b"", status, headers={**CORS, "X-Progress": progress or "", "Retry-After": "2"})
        return Response(orjson.dumps(body), status, media_type="application/json", headers=CORS)
    if len(path) == 3 and path[0] == "$export-file" and method == "GET":
        data = await export.download(core, ctx, path[1], path[2])
        return Response(data, 200, media_type="application/fhir+ndjson", headers=CORS)
    raise FhirError(405, "not-supported", f"{method} /{'/'.join(path)} is not supported")

"""The Parse Files routes, outside the JSON dispatcher (their bodies are bytes):

    POST   /files/{name}          upload: 201 {url, name}, Location: url
    DELETE /files/{name}          master key: 200, empty body (as Parse)
    GET    /files/{appId}/{name}  download through a signed link (files/store.py open_download);
                                  ``Content-Disposition: attachment`` unless browsers display the
                                  type (files/checks.py), always ``nosniff`` and a sandbox CSP

An upload comes in two shapes, as Parse Server takes them: the raw bytes with ``Content-Type`` and
the ``X-Parse-*`` headers (REST clients, the JS SDK's binary upload), or — when no application id
header is sent — a JSON body ``{base64, _ContentType, fileData, _ApplicationId, _SessionToken…}``
(the JS SDK's ``saveBase64``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

import orjson
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from chartkeep.api.rest.body import read_paced
from chartkeep.api.rest.errors import error_response, json_response
from chartkeep.api.rest.wire import BODY_AUTH_KEYS, base_url, header_credentials
from chartkeep.auth.file_links import Link, LinkRefused
from chartkeep.auth.link_principal import context_for_link
from chartkeep.auth.resolve import Credentials, resolve
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.errors import Code, ParseError
from chartkeep.files import store
from chartkeep.files.checks import FileTooLarge, disposition

DOWNLOAD_HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Referrer-Policy": "no-referrer",
}


def _credentials(request: Request, mount: str, public_url: str | None) -> Credentials:
    return header_credentials(request, base_url(request, mount, public_url))


async def _read_capped(request: Request, cap: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > cap:
        raise FileTooLarge(0)
    return await read_paced(request, cap, lambda: FileTooLarge(0))


def _json_upload(raw: bytes, creds: Credentials) -> tuple[bytes, str | None]:
    """The JS SDK's JSON form: credentials and ``_ContentType`` in the body, the bytes in base64."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ParseError(Code.INVALID_JSON, "Invalid JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("base64"), str):
        raise ParseError(Code.FILE_SAVE_ERROR, "Invalid file upload.")
    for key, attr in BODY_AUTH_KEYS.items():
        if body.get(key) is not None and getattr(creds, attr) is None:
            setattr(creds, attr, str(body[key]))
    try:
        data = base64.b64decode(body["base64"].split(",")[-1], validate=True)
    except (binascii.Error, ValueError):
        raise ParseError(Code.FILE_SAVE_ERROR, "Invalid file upload.") from None
    content_type = body.get("_ContentType")
    return data, content_type if isinstance(content_type, str) else None


def file_routes(core: Core, mount: str, cors_headers: Callable[[Request], dict[str, str]]) -> list[Route]:
    settings = core.settings

    def fail(exc: Exception, cors: dict[str, str]) -> Response:
        if isinstance(exc, FileTooLarge):
            body = {"code": exc.code, "error": FileTooLarge(settings.files_max_bytes).message}
            return json_response(orjson.dumps(body), 413, cors)
        if isinstance(exc, LinkRefused):
            return json_response(orjson.dumps({"code": exc.code, "error": exc.message}), 403, cors)
        if isinstance(exc, store.FileNotFound):
            return PlainTextResponse("File not found.", 404, headers=cors)
        response = error_response(exc)
        response.headers.update(cors)
        return response

    async def upload(request: Request) -> Response:
        cors = cors_headers(request)
        try:
            creds = _credentials(request, mount, settings.public_url)
            # the JSON form carries base64 (4/3 of the bytes) plus a few keys
            raw = await _read_capped(request, settings.files_max_bytes * 4 // 3 + 65536)
            if creds.app_id is None and raw[:1] == b"{":
                data, content_type = _json_upload(raw, creds)
            else:
                if len(raw) > settings.files_max_bytes:
                    raise FileTooLarge(settings.files_max_bytes)
                data, content_type = raw, request.headers.get("content-type")
            ctx = await resolve(core, creds)
            reply = await store.upload(core, ctx, request.path_params["name"], data, content_type)
        except Exception as exc:  # noqa: BLE001 - errors become Parse responses here
            return fail(exc, cors)
        return json_response(orjson.dumps(reply), 201, {**cors, "Location": reply["url"]})

    async def delete(request: Request) -> Response:
        cors = cors_headers(request)
        try:
            ctx = await resolve(core, _credentials(request, mount, settings.public_url))
            if not ctx.is_master:
                return json_response(b'{"error":"unauthorized: master key is required"}', 403, cors)
            await store.delete(core, ctx, request.path_params["name"])
        except Exception as exc:  # noqa: BLE001
            return fail(exc, cors)
        return Response(b"", 200, headers=cors)

    async def no_name(request: Request) -> Response:
        return fail(ParseError(Code.INVALID_FILE_NAME, "Filename not provided."), cors_headers(request))

    async def download(request: Request) -> Response:
        cors = cors_headers(request)
        if request.path_params["appId"] != settings.app_id:
            return json_response(b'{"code":119,"error":"Invalid application ID."}', 403, cors)
        ip = request.client.host if request.client else None
        here = base_url(request, mount, settings.public_url)

        token = request.headers.get("x-parse-session-token")

        async def context_for(link: Link) -> RequestContext | None:
            return await context_for_link(core, link, ip, here, token)

        try:
            wanted = store.DownloadRequest(request.path_params["name"], request.query_params, ip)
            found = await store.open_download(core, wanted, context_for)
        except Exception as exc:  # noqa: BLE001
            return fail(exc, cors)
        kind = disposition(found.meta.content_type)
        headers = {**cors, **DOWNLOAD_HEADERS, "Content-Disposition": f'{kind}; filename="{found.meta.name}"'}
        return Response(found.data, 200, headers=headers, media_type=found.meta.content_type)

    return [
        Route(mount + "/files", no_name, methods=["POST"]),
        Route(mount + "/files/{appId}/{name}", download, methods=["GET"]),
        Route(mount + "/files/{name}", upload, methods=["POST"]),
        Route(mount + "/files/{name}", delete, methods=["DELETE"]),
    ]

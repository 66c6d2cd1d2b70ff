"""Reading a Parse REST call off the wire: headers, the JS SDK's JSON-body auth and ``_method``.

The JS SDK sends every call as ``POST`` with ``Content-Type: text/plain`` and a JSON body holding
``_method``, ``_ApplicationId``, ``_SessionToken``… plus, for reads, the query options. Both forms
end up as one ``Call``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.requests import Request

from chartkeep.api.rest.body import read_paced
from chartkeep.api.rest.origins import cross_origin
from chartkeep.auth.resolve import Credentials
from chartkeep.errors import Code, ParseError

BODY_AUTH_KEYS = {
    "_ApplicationId": "app_id",
    "_MasterKey": "master_key",
    "_SessionToken": "session_token",
    "_InstallationId": "installation_id",
    "_JavaScriptKey": "javascript_key",
    "_RestAPIKey": "rest_key",
    "_ClientVersion": "client_version",
}
BODY_DROP_KEYS = ("_RevocableSession", "_ContentType", "_context", "_noBody")


@dataclass(slots=True)
class Call:
    method: str
    path: str  # below the mount, e.g. /classes/Patient/abc
    params: dict[str, Any]  # read options (query string, or body keys of a GET sent as POST)
    body: dict[str, Any]
    creds: Credentials
    path_params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # without credentials (SECRET_HEADERS)
    context: dict[str, Any] = field(default_factory=dict)  # the SDKs' ``context`` option: Cloud Code's req.context


# Headers never handed on (to Cloud Code's req.headers): keys, session tokens, cookies
SECRET_HEADERS = frozenset({"x-parse-master-key", "x-parse-session-token", "x-parse-rest-api-key",
                            "x-parse-javascript-key", "x-parse-client-key", "x-parse-windows-key",
                            "x-parse-dotnet-key", "authorization", "cookie"})


def public_headers(request: Request) -> dict[str, str]:
    return {k: v for k, v in request.headers.items() if k.lower() not in SECRET_HEADERS}


def decode_body(raw: bytes) -> Any:
    if not raw.strip():
        return {}
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ParseError(Code.INVALID_JSON, "Invalid JSON") from None


def base_url(request: Request, mount: str, public_url: str | None) -> str:
    if public_url:
        return public_url.rstrip("/")
    return f"{request.url.scheme}://{request.url.netloc}{mount}"


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The body, at most ``max_bytes`` (142), within the body deadline (``body.py``: 408, code 124)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    return await read_paced(request, max_bytes, lambda: _too_large(max_bytes))


def _too_large(max_bytes: int) -> ParseError:
    return ParseError(Code.OBJECT_TOO_LARGE, f"The request body is larger than {max_bytes} bytes.")


def header_credentials(request: Request, base: str) -> Credentials:
    """The Parse headers of a request (shared with the GraphQL endpoint)."""
    headers = request.headers
    return Credentials(
        app_id=headers.get("x-parse-application-id"),
        master_key=headers.get("x-parse-master-key"),
        session_token=headers.get("x-parse-session-token"),
        installation_id=headers.get("x-parse-installation-id"),
        rest_key=headers.get("x-parse-rest-api-key"),
        javascript_key=headers.get("x-parse-javascript-key") or headers.get("x-parse-client-key"),
        client_ip=request.client.host if request.client else None,
        base_url=base,
        client_version=headers.get("x-parse-client-version"),
        cross_origin=cross_origin(headers.get("origin"), headers.get("host"), base),
        origin=headers.get("origin"),
    )


async def read_call(request: Request, path: str, mount: str, public_url: str | None, max_bytes: int) -> Call:
    creds = header_credentials(request, base_url(request, mount, public_url))
    method = request.method
    body: Any = {}
    if method in ("POST", "PUT", "DELETE"):
        body = decode_body(await read_body(request, max_bytes))
    if not isinstance(body, dict):
        raise ParseError(Code.INVALID_JSON, "Invalid JSON")
    if method == "POST" and isinstance(body.get("_method"), str):
        method = body.pop("_method").upper()
    for key, attr in BODY_AUTH_KEYS.items():
        if key in body:
            value = body.pop(key)
            if getattr(creds, attr) is None and value is not None:
                setattr(creds, attr, str(value))
    context = _cloud_context(body.get("_context"), request.headers.get("x-parse-cloud-context"))
    for key in BODY_DROP_KEYS:
        body.pop(key, None)
    params: dict[str, Any] = dict(request.query_params)
    if method == "GET" and request.method == "POST":
        params = body
        body = {}
    return Call(method=method, path=path, params=params, body=body, creds=creds, headers=public_headers(request),
                context=context)


def _cloud_context(in_body: Any, header: str | None) -> dict[str, Any]:
    """The SDKs send a save's ``context`` as ``_context`` in the body or ``X-Parse-Cloud-Context``."""
    if isinstance(in_body, dict):
        return in_body
    if header:
        try:
            value = orjson.loads(header)
        except orjson.JSONDecodeError:
            raise ParseError(Code.INVALID_JSON, "X-Parse-Cloud-Context is not valid JSON") from None
        if isinstance(value, dict):
            return value
    return {}

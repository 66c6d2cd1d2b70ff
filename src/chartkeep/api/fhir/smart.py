"""SMART on FHIR's endpoints under the FHIR base (App Launch 2.0, standalone launch):

    GET  /fhir/R4/.well-known/smart-configuration   what the server supports (no credentials)
    POST /fhir/R4/auth/register                     an admin registers an app (master key)
    GET  /fhir/R4/auth/authorize                    the sign-in and consent page
    POST /fhir/R4/auth/authorize                    sign in, approve or deny → redirect to the app
    POST /fhir/R4/auth/token                        code → tokens; refresh_token → rotated tokens
    POST /fhir/R4/auth/revoke                       RFC 7009 revocation

The page is plain HTML with no script, style sheet or image of its own, under a CSP that lets its
form post only to this server and be answered by a redirect only to the app's registered URI.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl, unquote, urlparse

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from chartkeep.api.fhir.app import BASE, base_url, credentials
from chartkeep.api.rest.errors import error_response
from chartkeep.api.rest.wire import decode_body, read_body
from chartkeep.auth.resolve import resolve
from chartkeep.core.handles import Core
from chartkeep.errors import ParseError
from chartkeep.fhir.smart import authorize, clients, scopes, tokens
from chartkeep.fhir.smart.clients import Client
from chartkeep.fhir.smart.tokens import OAuthError

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
# the token and revocation endpoints answer a browser app (a public client) of any origin
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "Authorization, Content-Type"}
AUTH = BASE + "/auth"


def configuration(base: str) -> dict[str, object]:
    return {
        "issuer": base,
        "authorization_endpoint": f"{base}/auth/authorize",
        "token_endpoint": f"{base}/auth/token",
        "revocation_endpoint": f"{base}/auth/revoke",
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "response_types_supported": ["code"],
        "scopes_supported": list(scopes.SUPPORTED),
        "code_challenge_methods_supported": ["S256"],
        "capabilities": ["launch-standalone", "client-public", "client-confidential-symmetric",
                         "context-standalone-patient", "permission-offline", "permission-patient",
                         "permission-user"],
    }


def _json(body: object, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json", headers={**NO_STORE, **CORS})


def _oauth_error(error: OAuthError) -> Response:
    headers = {**NO_STORE, **CORS, **({"WWW-Authenticate": 'Basic realm="chartkeep"'} if error.status == 401 else {})}
    return Response(orjson.dumps({"error": error.error, "error_description": error.description}), error.status,
                    media_type="application/json", headers=headers)


def _csp(redirect_uri: str | None) -> str:
    targets = "'self'"
    if redirect_uri:
        parsed = urlparse(redirect_uri)
        targets += f" {parsed.scheme}://{parsed.netloc}"
    return (f"default-src 'none'; form-action {targets}; base-uri 'none'; frame-ancestors 'none'; "
            "img-src 'none'; style-src 'none'; script-src 'none'")


def _page(title: str, body: str, status: int, redirect_uri: str | None = None) -> HTMLResponse:
    e = html.escape
    doc = ('<!doctype html><html lang="en"><head><meta charset="utf-8">'
           '<meta name="viewport" content="width=device-width, initial-scale=1">'
           f"<title>{e(title)}</title></head><body><main><h1>{e(title)}</h1>{body}</main></body></html>")
    headers = {**NO_STORE, "Content-Security-Policy": _csp(redirect_uri), "X-Frame-Options": "DENY",
               "Referrer-Policy": "no-referrer"}
    return HTMLResponse(doc, status, headers=headers)


def _consent(request: authorize.AuthRequest, error: str | None = None, status: int = 200) -> HTMLResponse:
    e = html.escape
    hidden = "".join(f'<input type="hidden" name="{f}" value="{e(request.params.get(f, ""))}">'
                     for f in authorize.FIELDS if request.params.get(f) is not None)
    listed = "".join(f"<li>{e(s)}</li>" for s in request.granted)
    alert = f'<p role="alert">{e(error)}</p>' if error else ""
    patient = ('<p><label>Patient (FHIR Patient id; staff only) <input name="patient" autocomplete="off"></label></p>'
               if scopes.needs_patient(request.granted) else "")
    body = (f"{alert}<p><strong>{e(request.client.name)}</strong> asks to read, on your behalf:</p><ul>{listed}</ul>"
            f'<form method="post" action="{AUTH}/authorize">{hidden}'
            '<p><label>Username <input name="username" autocomplete="username" required></label></p>'
            '<p><label>Password <input name="password" type="password" autocomplete="current-password" required>'
            "</label></p><p><label>One-time code (accounts with two-factor sign-in) "
            '<input name="mfa" inputmode="numeric" autocomplete="one-time-code"></label></p>'
            f"{patient}"
            '<p><button name="decision" value="approve">Sign in and allow</button> '
            '<button name="decision" value="deny" formnovalidate>Deny</button></p></form>')
    return _page("Allow access to your chart", body, status, request.params.get("redirect_uri"))


async def _form(request: Request, core: Core) -> dict[str, str]:
    raw = await read_body(request, core.settings.max_body_bytes)
    return dict(parse_qsl(raw.decode(errors="replace"), keep_blank_values=True))


def _client_auth(request: Request, form: dict[str, str]) -> tuple[str | None, str | None]:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value.strip()).decode()
        except (ValueError, UnicodeDecodeError):
            return None, None
        client_id, _, secret = decoded.partition(":")
        return unquote(client_id), unquote(secret)
    return form.get("client_id"), form.get("client_secret")


async def _authenticated_client(core: Core, request: Request, form: dict[str, str]) -> Client:
    client_id, secret = _client_auth(request, form)
    client = await clients.find(core, client_id)
    if client is None or (client.confidential and not client.secret_matches(secret)):
        raise OAuthError("invalid_client", "unknown client or wrong client secret", 401)
    if not client.confidential and secret:
        raise OAuthError("invalid_client", "a public app has no secret", 401)
    return client


def smart_routes(core: Core) -> list[Route]:
    settings = core.settings

    def ip(request: Request) -> str | None:
        return request.client.host if request.client else None

    async def well_known(request: Request) -> Response:
        body = orjson.dumps(configuration(base_url(request, settings.public_url)))
        return Response(body, 200, media_type="application/json", headers={"Access-Control-Allow-Origin": "*"})

    async def register(request: Request) -> Response:
        try:
            ctx = await resolve(core, credentials(core, request))
            body = decode_body(await read_body(request, settings.max_body_bytes))
            if not isinstance(body, dict):
                raise ParseError(107, "Invalid JSON")
            return _json(await clients.register(core, ctx, body), 201)
        except ParseError as exc:
            return error_response(exc)

    async def authorize_page(request: Request) -> Response:
        base = base_url(request, settings.public_url)
        params = dict(request.query_params) if request.method == "GET" else await _form(request, core)
        try:
            auth = await authorize.check(core, params, base, ip(request))
        except authorize.BadClient as exc:
            return _page("This app cannot sign in here", f"<p>{html.escape(str(exc))}</p>", 400)
        problem = authorize.problems(auth, base)
        if problem is not None:
            await tokens.refused(core, tokens.acting(core, None, ip(request)), problem, auth.client.client_id,
                                 "authorization request")
            return RedirectResponse(auth.redirect(error=problem.error, error_description=problem.description), 302)
        if request.method == "GET":
            return _consent(auth)
        if params.get("decision") != "approve":
            return RedirectResponse(await authorize.deny(core, auth, ip(request)), 302)
        try:
            target = await authorize.approve(core, auth, params, ip(request))
        except authorize.LoginFailed as exc:
            return _consent(auth, str(exc), 400)
        return RedirectResponse(target, 302, headers=NO_STORE)

    async def oauth(request: Request, work: Callable[[Client, dict[str, str]], Awaitable[Response]]) -> Response:
        if request.method == "OPTIONS":  # a browser app's preflight
            return Response(b"", 204, headers=CORS)
        form = await _form(request, core)
        client_id: str | None = form.get("client_id")
        try:
            if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
                raise OAuthError("invalid_request", "the body must be application/x-www-form-urlencoded")
            client = await _authenticated_client(core, request, form)
            client_id = client.client_id
            return await work(client, form)
        except OAuthError as exc:
            await tokens.refused(core, tokens.acting(core, None, ip(request)), exc, client_id,
                                 f"{request.url.path.rsplit('/', 1)[-1]} request")
            return _oauth_error(exc)

    async def token(request: Request) -> Response:
        async def work(client: Client, form: dict[str, str]) -> Response:
            grant_type = form.get("grant_type")
            if grant_type == "authorization_code":
                return _json(await tokens.exchange_code(core, client, form.get("code"), form.get("redirect_uri"),
                                                        form.get("code_verifier"), ip(request)))
            if grant_type == "refresh_token":
                return _json(await tokens.refresh(core, client, form.get("refresh_token"), form.get("scope"),
                                                  ip(request)))
            raise OAuthError("unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
        return await oauth(request, work)

    async def revoke(request: Request) -> Response:
        async def work(client: Client, form: dict[str, str]) -> Response:
            await tokens.revoke(core, client, form.get("token"), ip(request))
            return Response(b"", 200, headers={**NO_STORE, **CORS})
        return await oauth(request, work)

    return [
        Route(BASE + "/.well-known/smart-configuration", well_known, methods=["GET"]),
        Route(AUTH + "/register", register, methods=["POST"]),
        Route(AUTH + "/authorize", authorize_page, methods=["GET", "POST"]),
        Route(AUTH + "/token", token, methods=["POST", "OPTIONS"]),
        Route(AUTH + "/revoke", revoke, methods=["POST", "OPTIONS"]),
    ]

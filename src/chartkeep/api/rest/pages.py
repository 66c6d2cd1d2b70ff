"""The links account emails carry, under the Parse mount as Parse Server's public pages:

    GET  /apps/:appId/verify_email?token=&username=            verify the email
    GET  /apps/:appId/request_password_reset?token=&username=  a form to choose the new password
    POST /apps/:appId/request_password_reset                   token, username, new_password

No application-id header is needed (a browser follows these links); the app id is in the path
(a wrong one: 403 ``unauthorized``). POST accepts form-encoded or JSON bodies. A client that asks
for JSON (``X-Requested-With: XMLHttpRequest`` as Parse's ``req.xhr``, an ``Accept`` or a
``Content-Type`` of ``application/json``) gets Parse's JSON answers: 200 ``"Password successfully
reset"`` or a ``{code, error}`` body; a browser gets small self-contained HTML pages instead of
Parse's redirects to its bundled pages.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from chartkeep.accounts import email_verification, password_reset
from chartkeep.api.rest.errors import error_response, json_response
from chartkeep.api.rest.wire import decode_body, read_body
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.errors import Code, ParseError

NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}  # the URL holds a token


def wants_json(request: Request) -> bool:
    h = request.headers
    return (
        h.get("x-requested-with", "").lower() == "xmlhttprequest"
        or "application/json" in h.get("accept", "")
        or h.get("content-type", "").startswith("application/json")
    )


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    doc = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title></head><body><main><h1>{html.escape(title)}</h1>{body}</main>"
        "</body></html>"
    )
    return HTMLResponse(doc, status_code=status, headers=NO_STORE)


def _reset_form(username: str, token: str, error: str | None = None, status: int = 200) -> HTMLResponse:
    e = html.escape
    message = f'<p role="alert">{e(error)}</p>' if error else ""
    form = (
        f'{message}<form method="post"><input type="hidden" name="username" value="{e(username)}">'
        f'<input type="hidden" name="token" value="{e(token)}">'
        '<label>New password <input type="password" name="new_password" autocomplete="new-password" '
        'required></label> <button type="submit">Reset password</button></form>'
    )
    return _page(f"Reset the password of {username}", form, status)


def _invalid_link() -> HTMLResponse:
    return _page("Invalid link", "<p>This link is invalid or has expired.</p>", 400)


async def _form(request: Request, max_bytes: int) -> dict[str, Any]:
    raw = await read_body(request, max_bytes)
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    body = decode_body(raw)
    if not isinstance(body, dict):
        raise ParseError(Code.INVALID_JSON, "Invalid JSON")
    return body


def page_routes(core: Core, mount: str, cors: Callable[[Request], dict[str, str]]) -> list[Route]:
    """The page routes; ``cors`` gives the API's CORS headers (a JSON client may be a web app)."""
    settings = core.settings

    def with_cors(endpoint: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        async def wrapped(request: Request) -> Response:
            response = await endpoint(request)
            response.headers.update(cors(request))
            return response

        return wrapped

    def _visitor(request: Request) -> RequestContext:
        """Who follows a mailed link: nobody signed in; the link names the user it acts for."""
        return RequestContext(settings.app_id, client_ip=request.client.host if request.client else None)

    def right_app(request: Request) -> bool:
        return request.path_params["appId"] == settings.app_id

    async def verify_email(request: Request) -> Response:
        if not right_app(request):
            return json_response(b'{"error":"unauthorized"}', 403)
        token, username = request.query_params.get("token"), request.query_params.get("username")
        ok = bool(token and username) and await email_verification.verify_email(
            core, _visitor(request), username or "", token or "")
        if wants_json(request):
            if ok:
                return json_response(b"{}", 200, NO_STORE)
            return error_response(ParseError(Code.OTHER_CAUSE, "Invalid verification link."))
        if ok:
            return _page("Email verified", f"<p>The email address of {html.escape(username or '')} is verified.</p>")
        return _invalid_link()

    async def choose_password(request: Request) -> Response:
        if not right_app(request):
            return json_response(b'{"error":"unauthorized"}', 403)
        token, username = request.query_params.get("token"), request.query_params.get("username")
        if not token or not username or not await password_reset.reset_link_valid(core, username, token):
            return _invalid_link()
        return _reset_form(username, token)

    async def reset(request: Request) -> Response:
        if not right_app(request):
            return json_response(b'{"error":"unauthorized"}', 403)
        as_json = wants_json(request)
        username: Any = None
        token: Any = None
        try:
            form = await _form(request, settings.max_body_bytes)
            username, token = form.get("username"), form.get("token")
            await password_reset.reset_password(core, _visitor(request), username, token, form.get("new_password"))
        except ParseError as exc:
            if as_json:
                return error_response(exc)
            if isinstance(username, str) and username and isinstance(token, str) and token:
                return _reset_form(username, token, exc.message, 400)
            return _invalid_link()
        if as_json:
            return json_response(orjson.dumps("Password successfully reset"), 200)
        return _page("Password reset", "<p>Your password has been reset. You can log in with it now.</p>")

    base = mount.rstrip("/") + "/apps/{appId}"
    return [
        Route(base + "/verify_email", with_cors(verify_email), methods=["GET"]),
        Route(base + "/request_password_reset", with_cors(choose_password), methods=["GET"]),
        Route(base + "/request_password_reset", with_cors(reset), methods=["POST"]),
    ]

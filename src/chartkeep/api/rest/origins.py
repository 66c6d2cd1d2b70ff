"""Which browser origins may call the API, and the headers every HTTP answer carries.

``allowed_origins`` (default ``*``, Parse's open CORS) lists the origins a browser page may call
the REST/GraphQL API and open LiveQuery WebSockets from; the server's own origin (the request's
``Host``, or ``public_url``'s behind a proxy) is always allowed. With a list, a CORS answer names the caller's origin only when it is
listed (else no ``Access-Control-Allow-Origin``: the browser refuses the answer), and a WebSocket
handshake from another origin is refused (403) before it is accepted.

The master key is never allowed cross-origin: ``X-Parse-Master-Key`` is not among the headers a
preflight allows, and a request (or LiveQuery ``connect``) that carries the master key with an
``Origin`` other than the server's own — a JS SDK's ``text/plain`` body with ``_MasterKey`` needs
no preflight — is refused with 403 ``unauthorized`` (``auth.resolve``; an ``auth_failed`` entry).

``SecurityHeaders`` (ASGI middleware) adds to every HTTP answer that does not set its own:
``X-Content-Type-Options: nosniff``; ``Cache-Control: no-store`` (answers carry chart data, and no
shared or browser cache may keep them); a Content-Security-Policy on every HTML page
(``HTML_CSP``); and, with ``hsts_seconds`` set (the server is reached over TLS, directly or
behind a proxy), ``Strict-Transport-Security``.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chartkeep.settings import Settings

HTML_CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; "
            "frame-ancestors 'none'")


def _netloc(origin: str) -> str:
    try:
        return urlsplit(origin).netloc.lower()
    except ValueError:
        return ""


def same_origin(origin: str | None, host: str | None) -> bool:
    """``origin`` (a browser's ``Origin`` header) names the server it was sent to (``host``)."""
    return origin is not None and host is not None and _netloc(origin) == host.lower()


def public_host(public_url: str | None) -> str | None:
    """The host:port of ``public_url`` (behind a proxy, the server's own origin as browsers see it)."""
    return _netloc(public_url) or None if public_url else None


def cross_origin(origin: str | None, host: str | None, public_url: str | None = None) -> bool:
    """A browser page of another origin sent this request (no ``Origin``: not a browser's cross-origin
    call). The server's own origin is its ``Host`` or, behind a proxy, ``public_url``'s."""
    if origin is None:
        return False
    return origin == "null" or not (same_origin(origin, host) or same_origin(origin, public_host(public_url)))


def origin_allowed(settings: Settings, origin: str | None, host: str | None) -> bool:
    if origin is None or "*" in settings.allowed_origins or not cross_origin(origin, host, settings.public_url):
        return True
    return origin.rstrip("/").lower() in {o.rstrip("/").lower() for o in settings.allowed_origins}


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers") or ()}


class SecurityHeaders:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            h = _headers(scope)
            if not origin_allowed(self.settings, h.get("origin"), h.get("host")):
                await send({"type": "websocket.close", "code": 1008})  # before accept: HTTP 403
                return
            await self.app(scope, receive, send)  # the same ``send``: LiveTransport needs uvicorn's own
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        h = _headers(scope)
        origin, host = h.get("origin"), h.get("host")
        restrict = "*" not in self.settings.allowed_origins
        allowed = origin_allowed(self.settings, origin, host)
        hsts = self.settings.hsts_seconds

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = _start(message, hsts, restrict, allowed, origin)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _start(message: MutableMapping[str, Any], hsts: int, restrict: bool, allowed: bool,
           origin: str | None) -> MutableMapping[str, Any]:
    raw: list[tuple[bytes, bytes]] = list(message.get("headers") or [])
    names = {k.lower() for k, _ in raw}
    add: list[tuple[bytes, bytes]] = []
    if b"x-content-type-options" not in names:
        add.append((b"x-content-type-options", b"nosniff"))
    if b"cache-control" not in names:
        add.append((b"cache-control", b"no-store"))
    content_type = next((v for k, v in raw if k.lower() == b"content-type"), b"")
    if content_type.startswith(b"text/html") and b"content-security-policy" not in names:
        add.append((b"content-security-policy", HTML_CSP.encode()))
    if hsts > 0 and b"strict-transport-security" not in names:
        add.append((b"strict-transport-security", f"max-age={hsts}; includeSubDomains".encode()))
    if restrict and b"access-control-allow-origin" in names:
        raw = [(k, v) for k, v in raw if k.lower() != b"access-control-allow-origin"]
        if allowed and origin is not None:
            add += [(b"access-control-allow-origin", origin.encode("latin-1")), (b"vary", b"Origin")]
    return {**message, "headers": raw + add}

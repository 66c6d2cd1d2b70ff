"""``GET /metrics``: this process's metrics in Prometheus' text format, for a scraper only.

Who may read it: a request bearing ``Authorization: Bearer <metrics_token>`` (when that setting is
set), or the master key (``X-Parse-Master-Key``) from an address in ``master_key_ips``. Anyone else
gets 403 ``{"error": "unauthorized"}``. ``RequestMetrics`` (ASGI middleware) counts every HTTP
request by route group and status class and times it (``metrics.py``).
"""

from __future__ import annotations

import hmac
import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chartkeep import metrics
from chartkeep.auth.resolve import ip_allowed
from chartkeep.core.handles import Core


class RequestMetrics:
    def __init__(self, app: ASGIApp, mount: str) -> None:
        self.app = app
        self.mount = mount.rstrip("/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def counted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, counted)
        finally:
            metrics.request_done(metrics.route_group(scope["path"], self.mount), status,
                                 time.perf_counter() - started)


def _same(given: str | None, wanted: str | None) -> bool:
    return bool(given) and bool(wanted) and hmac.compare_digest(str(given).encode(), str(wanted).encode())


def metrics_routes(core: Core) -> list[Route]:
    settings = core.settings

    async def endpoint(request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        token = auth[7:] if auth.lower().startswith("bearer ") else None
        by_token = _same(token, settings.metrics_token)
        by_master = (_same(request.headers.get("x-parse-master-key"), settings.master_key)
                     and ip_allowed(request.client.host if request.client else None, settings.master_key_ips))
        if not (by_token or by_master):
            return Response(b'{"error":"unauthorized"}', 403, media_type="application/json; charset=utf-8")
        return Response(metrics.exposition(), 200, media_type=metrics.CONTENT_TYPE,
                        headers={"Cache-Control": "no-store"})

    return [Route("/metrics", endpoint, methods=["GET"])]

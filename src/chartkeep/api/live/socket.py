"""The WebSocket end of LiveQuery: frames in, messages out, on the REST mount path.

Each connection reads frames one at a time and hands them to its ``LiveConnection``; messages
leave through the connection's ``Outlet`` (``outlet``: written straight to the transport under
``chartkeep serve``), so the fan-out never waits on a client, and a client too slow to take its
messages is closed with 1013. A connection that sends no ``connect`` within
``live_query_connect_timeout`` is closed (1008). Frames larger than
``live_query_max_frame_bytes`` and malformed frames are answered with an ``error`` message.
WebSocket pings (``live_query_heartbeat_seconds``) are the server's (uvicorn's) job.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from chartkeep.api.live.outlet import open_outlet
from chartkeep.api.rest.origins import cross_origin
from chartkeep.core.handles import Core
from chartkeep.live import LiveQuery, messages
from chartkeep.live.connection import LiveConnection

log = logging.getLogger("chartkeep.live")

POLICY = 1008  # no connect in time
NORMAL = 1000


def _base_url(ws: WebSocket, mount: str, public_url: str | None) -> str:
    if public_url:
        return public_url.rstrip("/")
    scheme = "https" if ws.url.scheme == "wss" else "http"
    return f"{scheme}://{ws.url.netloc}{mount}"


def live_routes(core: Core, live: LiveQuery) -> list[WebSocketRoute]:
    settings = core.settings
    mount = settings.mount_path.rstrip("/")

    async def endpoint(ws: WebSocket) -> None:
        await ws.accept()
        outlet = open_outlet(ws, settings.live_query_send_buffer_bytes, settings.live_query_send_buffer_total_bytes)
        conn = LiveConnection(live.hub, outlet.send, ws.client.host if ws.client else None,
                              _base_url(ws, mount, settings.public_url),
                              cross_origin(ws.headers.get("origin"), ws.headers.get("host"), settings.public_url),
                              ws.headers.get("origin"))
        code = NORMAL
        try:
            code = await _read(ws, conn)
        finally:
            conn.close()
            await outlet.finish(code)

    async def _read(ws: WebSocket, conn: LiveConnection) -> int:
        """Handle frames until the client leaves (NORMAL) or must be closed (the code)."""
        max_bytes = settings.live_query_max_frame_bytes
        loop = asyncio.get_running_loop()
        next_check = loop.time() + settings.live_query_session_check_seconds
        while True:
            if conn.connected:  # however chatty the client, its sessions are checked on time
                timeout = max(0.0, next_check - loop.time())
            else:
                timeout = settings.live_query_connect_timeout
            try:
                message = await asyncio.wait_for(ws.receive(), timeout)
            except TimeoutError:
                if not conn.connected:
                    conn.send(messages.error(1, f"No connect message within {timeout:g} seconds", False))
                    return POLICY
                next_check = loop.time() + settings.live_query_session_check_seconds
                try:
                    ended = await conn.ended_session()
                except Exception:  # noqa: BLE001 - the database unreachable: check again next time
                    log.exception("LiveQuery: could not check a socket's sessions")
                    continue
                if ended is not None:
                    await conn.end_for_session(*ended)
                    return POLICY
                continue
            except (WebSocketDisconnect, RuntimeError):
                return NORMAL
            if message["type"] == "websocket.disconnect":
                return NORMAL
            data = message.get("text")
            if data is None:
                data = message.get("bytes") or b""
            if len(data) > max_bytes:
                conn.send(messages.error(1, f"Message larger than {max_bytes} bytes", False))
                continue
            try:
                await conn.handle(data)
            except Exception:  # noqa: BLE001 - a bug must cost one message, not the connection
                log.exception("LiveQuery: failed to handle a message")
                conn.send(messages.error(1, "Internal server error.", False))

    routes = [WebSocketRoute(mount or "/", endpoint)]
    if mount:
        routes.append(WebSocketRoute(mount + "/", endpoint))
    return routes

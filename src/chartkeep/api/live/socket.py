"""The WebSocket end of LiveQuery: frames in, messages out, on the REST mount path.

Each connection reads frames one at a time and hands them to its ``LiveConnection``; messages
go out through the connection's own queue and writer task, so the fan-out never waits on a
client. A client whose queue passes ``live_query_send_queue`` messages is too slow: it is
disconnected (close code 1013) and may reconnect and resume. A connection that sends no
``connect`` within ``live_query_connect_timeout`` is closed (1008). Frames larger than
``live_query_max_frame_bytes`` and malformed frames are answered with an ``error`` message.
WebSocket pings (``live_query_heartbeat_seconds``) are the server's (uvicorn's) job.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from chartkeep.live import LiveQuery, messages
from chartkeep.live.connection import LiveConnection
from chartkeep.services.core import Core

log = logging.getLogger("chartkeep.live")


class _Close:
    def __init__(self, code: int) -> None:
        self.code = code


SLOW = _Close(1013)  # too slow to keep up: try again later (and resume)
POLICY = _Close(1008)  # no connect in time
NORMAL = _Close(1000)


def _base_url(ws: WebSocket, mount: str, public_url: str | None) -> str:
    if public_url:
        return public_url.rstrip("/")
    scheme = "https" if ws.url.scheme == "wss" else "http"
    return f"{scheme}://{ws.url.netloc}{mount}"


async def _drain(ws: WebSocket, outbox: asyncio.Queue[bytes | _Close]) -> None:
    with contextlib.suppress(Exception):  # the client went away: the reader sees it too
        while True:
            data = await outbox.get()
            if isinstance(data, _Close):
                await ws.close(code=data.code)
                return
            await ws.send_text(data.decode())


def live_routes(core: Core, live: LiveQuery) -> list[WebSocketRoute]:
    settings = core.settings
    mount = settings.mount_path.rstrip("/")

    async def endpoint(ws: WebSocket) -> None:
        await ws.accept()
        outbox: asyncio.Queue[bytes | _Close] = asyncio.Queue()
        limit = settings.live_query_send_queue
        overflowed = False

        def send(data: bytes) -> None:
            nonlocal overflowed
            if overflowed:
                return
            if outbox.qsize() >= limit:
                overflowed = True
                outbox.put_nowait(SLOW)
                return
            outbox.put_nowait(data)

        conn = LiveConnection(live.hub, send, ws.client.host if ws.client else None, _base_url(ws, mount, settings.public_url))
        writer = asyncio.create_task(_drain(ws, outbox))
        try:
            await _read(ws, conn, outbox)
        finally:
            conn.close()
            if not writer.done():
                if not overflowed:
                    outbox.put_nowait(NORMAL)
                with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(writer, 5)

    async def _read(ws: WebSocket, conn: LiveConnection, outbox: asyncio.Queue[bytes | _Close]) -> None:
        max_bytes = settings.live_query_max_frame_bytes
        while True:
            timeout = None if conn.connected else settings.live_query_connect_timeout
            try:
                message = await asyncio.wait_for(ws.receive(), timeout)
            except TimeoutError:
                conn.send(messages.error(1, f"No connect message within {timeout:g} seconds", False))
                outbox.put_nowait(POLICY)
                return
            except (WebSocketDisconnect, RuntimeError):
                return
            if message["type"] == "websocket.disconnect":
                return
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

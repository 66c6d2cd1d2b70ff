"""How LiveQuery messages leave one connection: framed here, written straight to its transport.

Under ``chartkeep serve`` (uvicorn's sans-I/O WebSocket protocol, pinned in ``serving``) the
``LiveTransport`` middleware names, in the WebSocket scope, the protocol object that carries the
connection. A message is then one final, unmasked text frame (RFC 6455 §5.2; ``frame``) written
to the connection's asyncio transport in the very call that produced it: no task wake-up, no
ASGI send, no framing object per message. At 5,000 subscribers that path *is* the cost of
fan-out (docs/performance.md, "LiveQuery fan-out"). Pings, pongs and close frames stay uvicorn's;
every writer writes whole frames to the same transport, so frames never interleave.

Any other server, or a connection that negotiated permessage-deflate (frames would need
compressing), takes the ASGI path: a queue and a writer task per connection.

Either way a client that leaves more than ``live_query_send_buffer_bytes`` unsent is too slow:
nothing more is written to it and it is closed with 1013 (try again later); it may reconnect and
resume. On the direct path, a close that cannot be written within ``CLOSE_SECONDS`` (the client
reads nothing) aborts the connection, dropping what it never took.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import Callable
from typing import Any, Protocol

from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

try:  # the only WebSocket implementation whose transport the direct path knows how to share
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
except ImportError:  # pragma: no cover - another server: the ASGI path
    WebSocketsSansIOProtocol = None  # type: ignore[assignment,misc]

EXTENSION = "chartkeep.websocket.protocol"
CLOSE_SECONDS = 10.0
SLOW = 1013  # too slow to keep up: try again later (and resume)

_HEAD16 = struct.Struct("!BBH")


def frame(payload: bytes) -> bytes:
    """``payload`` as one final, unmasked text frame (a server's frame, RFC 6455 §5.2)."""
    n = len(payload)
    if n < 126:
        return bytes((0x81, n)) + payload
    if n < 65536:
        return _HEAD16.pack(0x81, 126, n) + payload
    return b"\x81\x7f" + n.to_bytes(8, "big") + payload


class LiveTransport:
    """ASGI middleware: puts uvicorn's protocol object for a WebSocket into its scope's extensions."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and WebSocketsSansIOProtocol is not None:
            owner = getattr(send, "__self__", None)
            if isinstance(owner, WebSocketsSansIOProtocol):
                scope = {**scope, "extensions": {**(scope.get("extensions") or {}), EXTENSION: owner}}
        await self.app(scope, receive, send)


class Outlet(Protocol):
    def send(self, payload: bytes) -> None: ...

    async def finish(self, code: int) -> None: ...


def open_outlet(ws: WebSocket, limit: int) -> Outlet:
    """The outlet for an accepted WebSocket: direct when the server allows it, else queued."""
    owner = (ws.scope.get("extensions") or {}).get(EXTENSION)
    if owner is not None and not owner.conn.extensions:
        return DirectOutlet(ws, owner, limit)
    return QueuedOutlet(ws, limit)


async def _close(ws: WebSocket, code: int, abort: Callable[[], None] | None = None) -> None:
    """Close with ``code``; if that cannot be written in time, ``abort`` the connection."""
    try:
        await asyncio.wait_for(ws.close(code=code), CLOSE_SECONDS)
    except TimeoutError:
        if abort is not None:
            abort()
    except Exception:  # noqa: BLE001,S110 - the client went away first: nothing left to close
        pass


class DirectOutlet:
    """Frames written to the transport by the caller of ``send``."""

    def __init__(self, ws: WebSocket, owner: Any, limit: int) -> None:
        self.ws = ws
        self.owner = owner
        self.transport = owner.transport
        self.limit = limit
        self.open = True
        self._closing: asyncio.Task[None] | None = None

    def send(self, payload: bytes) -> None:
        if not self.open:
            return
        transport = self.transport
        if self.owner.close_sent or transport.is_closing():
            self.open = False
            return
        if transport.get_write_buffer_size() > self.limit:
            self.open = False
            self._closing = asyncio.get_running_loop().create_task(_close(self.ws, SLOW, transport.abort))
            return
        transport.write(frame(payload))

    async def finish(self, code: int) -> None:
        if self._closing is None:
            self.open = False
            self._closing = asyncio.get_running_loop().create_task(_close(self.ws, code, self.transport.abort))
        with contextlib.suppress(asyncio.CancelledError):
            await self._closing


class QueuedOutlet:
    """Messages queued and written by a task of the connection's own, through ASGI ``send``."""

    def __init__(self, ws: WebSocket, limit: int) -> None:
        self.ws = ws
        self.limit = limit
        self.queued = 0  # bytes in the queue
        self.open = True
        self.queue: asyncio.Queue[bytes | int] = asyncio.Queue()
        self._writer = asyncio.get_running_loop().create_task(self._drain())

    def send(self, payload: bytes) -> None:
        if not self.open:
            return
        if self.queued + len(payload) > self.limit:
            self.open = False
            self.queue.put_nowait(SLOW)
            return
        self.queued += len(payload)
        self.queue.put_nowait(payload)

    async def _drain(self) -> None:
        with contextlib.suppress(Exception):  # the client went away: the reader sees it too
            while True:
                item = await self.queue.get()
                if isinstance(item, int):
                    await _close(self.ws, item)
                    return
                self.queued -= len(item)
                await self.ws.send_text(item.decode())

    async def finish(self, code: int) -> None:
        if self.open:
            self.open = False
            self.queue.put_nowait(code)
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(self._writer, CLOSE_SECONDS)

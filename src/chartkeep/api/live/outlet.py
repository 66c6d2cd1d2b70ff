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
resume. All slow clients of the process together may hold ``live_query_send_buffer_total_bytes``
(``BACKLOG``): on the direct path a connection counts from the moment its transport stops taking
bytes as fast as they come (uvicorn's protocol paused writing) until it has caught up again, so
clients that keep up cost nothing to count; the client whose message would pass the total is
closed with 1013 the same way. On the direct path, a close that cannot be written within ``CLOSE_SECONDS`` (the client
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

from chartkeep import metrics

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


class Backlog:
    """Bytes the process's slow LiveQuery clients hold unsent, together, and how many they may."""

    def __init__(self) -> None:
        self.total = 0
        self.limit = 0  # 0: no limit; set from live_query_send_buffer_total_bytes by open_outlet

    def room(self, more: int) -> bool:
        return not self.limit or self.total + more <= self.limit


BACKLOG = Backlog()
metrics.probe("chartkeep_livequery_send_buffer_bytes",
              "Bytes this process's lagging LiveQuery clients hold unsent, together.", lambda: BACKLOG.total)


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


def open_outlet(ws: WebSocket, limit: int, total: int = 0) -> Outlet:
    """The outlet for an accepted WebSocket: direct when the server allows it, else queued."""
    BACKLOG.limit = total
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
        self.counted = 0  # bytes of this connection in BACKLOG (only while it lags)
        self._watch: asyncio.Task[None] | None = None

    def send(self, payload: bytes) -> None:
        if not self.open:
            return
        transport = self.transport
        if self.owner.close_sent or transport.is_closing():
            self.open = False
            return
        size = transport.get_write_buffer_size()
        if size > self.limit:
            self._too_slow()
            return
        data = frame(payload)
        if not self.owner.writable.is_set():  # lagging: its unsent bytes count toward the process's total
            grow = size + len(data) - self.counted
            if not BACKLOG.room(grow):
                self._too_slow()
                return
            BACKLOG.total += grow
            self.counted += grow
            if self._watch is None:
                self._watch = asyncio.get_running_loop().create_task(self._caught_up())
        transport.write(data)

    def _too_slow(self) -> None:
        self.open = False
        self._closing = asyncio.get_running_loop().create_task(_close(self.ws, SLOW, self.transport.abort))

    async def _caught_up(self) -> None:
        """Uncount this connection once its transport takes bytes again (or the connection is gone)."""
        try:
            await self.owner.writable.wait()
        finally:
            BACKLOG.total -= self.counted
            self.counted = 0
            self._watch = None

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
        # a client with nothing queued keeps up; one that lags is refused past the process's total
        if self.queued + len(payload) > self.limit or (self.queued and not BACKLOG.room(len(payload))):
            self.open = False
            self.queue.put_nowait(SLOW)
            return
        self.queued += len(payload)
        BACKLOG.total += len(payload)
        self.queue.put_nowait(payload)

    async def _drain(self) -> None:
        try:
            with contextlib.suppress(Exception):  # the client went away: the reader sees it too
                while True:
                    item = await self.queue.get()
                    if isinstance(item, int):
                        await _close(self.ws, item)
                        return
                    self.queued -= len(item)
                    BACKLOG.total -= len(item)
                    await self.ws.send_text(item.decode())
        finally:
            BACKLOG.total -= self.queued  # what was never sent
            self.queued = 0

    async def finish(self, code: int) -> None:
        if self.open:
            self.open = False
            self.queue.put_nowait(code)
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(self._writer, CLOSE_SECONDS)

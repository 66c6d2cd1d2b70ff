"""HTTP connections one server process holds: header and keep-alive timeouts, a per-IP and a
total cap, and the file-descriptor budget they fit in.

uvicorn closes a kept-alive connection that stays idle after a response, but never one that has
not finished sending its first request's headers: 20,200 idle or half-sent connections once used
up the process's file descriptors and ``/health`` was refused. ``GuardedHttp`` (uvicorn's
httptools protocol) and ``GuardedWebSocket`` (its sans-I/O WebSocket protocol, whose transport
LiveQuery writes to) add, per connection:

* a header deadline: ``http_header_timeout`` seconds from connecting, and from the first byte of
  every later request on the connection, to the end of its headers; then the connection is closed;
* admission: past ``http_max_connections`` open connections in this process, or
  ``http_max_connections_per_ip`` from one client address, a new connection is closed at once.
  A WebSocket keeps its slot until it closes.

The keep-alive timeout is uvicorn's own (``http_keep_alive_timeout``). ``configure`` is called
once per process before it serves (``serving.serve``, ``supervisor.run_worker``); it also raises
the soft ``RLIMIT_NOFILE`` to fit the connections plus ``FD_RESERVE`` for everything else (database
connections, log and data files, Redis), and logs when the hard limit does not allow it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from chartkeep import metrics
from chartkeep.settings import Settings

log = logging.getLogger("chartkeep.connections")
FD_RESERVE = 256  # descriptors beyond the connections: database pool, SQLite files, Redis, logs


@dataclass(slots=True)
class Limits:
    header_timeout: float = 10.0
    max_connections: int = 4096
    max_per_ip: int = 256


class Admission:
    """Open connections of this process, by client address."""

    def __init__(self) -> None:
        self.limits = Limits()
        self.reset()

    def reset(self) -> None:
        self.total = 0
        self.by_ip: dict[str, int] = {}
        self._held: dict[int, str] = {}  # id(transport) -> client address

    def admit(self, transport: Any) -> bool:
        peer = transport.get_extra_info("peername")
        ip = str(peer[0]) if isinstance(peer, tuple) and peer else "unknown"
        if self.total >= self.limits.max_connections or self.by_ip.get(ip, 0) >= self.limits.max_per_ip:
            return False
        self.total += 1
        self.by_ip[ip] = self.by_ip.get(ip, 0) + 1
        self._held[id(transport)] = ip
        return True

    def release(self, transport: Any) -> None:
        ip = self._held.pop(id(transport), None)
        if ip is None:
            return
        self.total -= 1
        left = self.by_ip[ip] - 1
        if left:
            self.by_ip[ip] = left
        else:
            del self.by_ip[ip]


ADMISSION = Admission()
metrics.probe("chartkeep_open_connections", "Open HTTP and WebSocket connections of this process.",
              lambda: ADMISSION.total)


def configure(settings: Settings) -> None:
    ADMISSION.limits = Limits(settings.http_header_timeout, settings.http_max_connections,
                              settings.http_max_connections_per_ip)
    fit_descriptors(settings.http_max_connections + FD_RESERVE)


def fit_descriptors(wanted: int) -> int:
    """Raise the soft open-files limit towards ``wanted`` (never above the hard limit); the soft limit."""
    try:
        import resource
    except ImportError:  # not on this platform
        return wanted
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    if soft != resource.RLIM_INFINITY and soft < wanted:
        log.warning("open-files limit %d is below the %d http_max_connections needs (plus %d); raise the hard "
                    "limit (ulimit -n, LimitNOFILE=) or lower http_max_connections", soft, wanted, FD_RESERVE)
    return int(soft)


class GuardedHttp(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol with admission and a header deadline."""

    _header_timer: asyncio.TimerHandle | None = None
    _admitted = False

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._admitted = ADMISSION.admit(transport)
        if not self._admitted:
            transport.close()  # over a cap: the cheapest answer, before a byte is read
            return
        self._arm()

    def _arm(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(ADMISSION.limits.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()  # a later request on a kept-alive connection has the same deadline

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def handle_websocket_upgrade(self) -> None:
        self._disarm()  # the WebSocket protocol takes the transport, and the slot (released on close)
        super().handle_websocket_upgrade()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._admitted:
            ADMISSION.release(self.transport)
        super().connection_lost(exc)


class GuardedWebSocket(WebSocketsSansIOProtocol):
    """uvicorn's sans-I/O WebSocket protocol that gives back its connection's slot when it closes."""

    def connection_lost(self, exc: Exception | None) -> None:
        ADMISSION.release(self.transport)
        super().connection_lost(exc)

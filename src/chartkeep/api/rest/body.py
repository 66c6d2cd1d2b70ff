"""Reading a request body against a deadline, so a body sent slowly cannot hold a connection.

uvicorn's header deadline (``connections.py``) ends when the headers are in; a client could then
send its body a byte a minute and hold the connection, and the handler waiting for it, for as long
as it liked. Every route that reads a body (REST and its JS SDK form, ``/batch``, GraphQL, file
uploads, FHIR, the account pages) reads it here: the body must be complete within
``http_body_timeout`` seconds from the first read, plus one second per ``http_body_min_rate``
bytes that came — a minimum average rate, so a large upload on a slow line still goes through
while a trickle does not. Past the deadline the request is answered ``408`` with code 124
(``BodyTooSlow``) and ``Connection: close``.

Waiting does not hold the event loop: each chunk is awaited with a deadline (``asyncio.timeout_at``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import ClientDisconnect, Request

from chartkeep.errors import BodyTooSlow
from chartkeep.settings import Settings


@dataclass(frozen=True, slots=True)
class BodyPace:
    timeout: float = 10.0  # http_body_timeout
    min_rate: int = 1024  # http_body_min_rate, bytes per second

    @classmethod
    def of(cls, settings: Settings) -> BodyPace:
        return cls(settings.http_body_timeout, settings.http_body_min_rate)


class _Pace:
    """The pace of this process (``create_app`` sets it from the settings, as ``connections.configure`` does)."""

    current = BodyPace()


def configure(settings: Settings) -> None:
    _Pace.current = BodyPace.of(settings)


async def read_paced(request: Request, cap: int, too_large: Callable[[], Exception]) -> bytes:
    """The whole body, at most ``cap`` bytes (else ``too_large()``), or ``BodyTooSlow`` past the deadline."""
    pace = _Pace.current
    loop = asyncio.get_running_loop()
    started = loop.time()
    chunks: list[bytes] = []
    size = 0
    while True:
        deadline = started + pace.timeout + size / pace.min_rate
        try:
            async with asyncio.timeout_at(deadline):
                message = await request.receive()
        except TimeoutError:
            raise BodyTooSlow(pace.timeout, pace.min_rate) from None
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > cap:
                raise too_large()
            chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)

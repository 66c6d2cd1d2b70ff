"""Connections cannot exhaust the server (issue 21, item 4): idle or half-sent HTTP connections are
closed after a header deadline, kept-alive ones after the keep-alive timeout, and one client
address (or all together) may hold only so many — through the options ``chartkeep serve`` runs
uvicorn with, on a real socket."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import websockets

from chartkeep import connections
from tests.conftest import APP_ID
from tests.processes import chartkeep_in_loop

HEALTH = b"GET /parse/health HTTP/1.1\r\nHost: t\r\n\r\n"


@pytest.fixture
async def port(tmp_path: Any) -> AsyncIterator[int]:
    async with chartkeep_in_loop(tmp_path, http_header_timeout=0.6, http_keep_alive_timeout=0.6,
                                 http_max_connections=8, http_max_connections_per_ip=4) as port:
        yield port


async def open_from(port: int, source: str = "127.0.0.1") -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))


async def closed_within(reader: asyncio.StreamReader, seconds: float) -> float:
    """Seconds until the server closed the connection (everything it sent is read and dropped)."""
    started = time.monotonic()
    while await asyncio.wait_for(reader.read(65536), seconds):
        pass
    return time.monotonic() - started


async def health(port: int, source: str = "127.0.0.1") -> bytes:
    reader, writer = await open_from(port, source)
    writer.write(HEALTH)
    line = await asyncio.wait_for(reader.readline(), 5)
    writer.close()
    return line


async def test_a_silent_connection_is_closed_after_the_header_deadline(port: int) -> None:
    reader, _ = await open_from(port)
    assert 0.4 < await closed_within(reader, 5) < 2.0


async def test_headers_sent_byte_by_byte_do_not_extend_the_deadline(port: int) -> None:
    reader, writer = await open_from(port)
    started = time.monotonic()
    with contextlib.suppress(ConnectionError):
        for byte in b"GET /parse/health HTTP/1.1\r\nHost: slow\r\nX-Pad: " + b"a" * 100:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(0.05)
            if reader.at_eof() or time.monotonic() - started > 3:
                break
    await closed_within(reader, 5)
    assert time.monotonic() - started < 2.0


async def test_an_idle_kept_alive_connection_is_closed(port: int) -> None:
    reader, writer = await open_from(port)
    writer.write(HEALTH)
    assert (await asyncio.wait_for(reader.readline(), 5)).startswith(b"HTTP/1.1 200")
    assert await closed_within(reader, 5) < 2.0


async def test_one_address_may_hold_only_so_many_connections(port: int) -> None:
    held = [await open_from(port) for _ in range(4)]
    refused, _ = await open_from(port)
    assert await closed_within(refused, 2) < 0.3  # closed at once, before a byte
    assert (await health(port, "127.0.0.2")).startswith(b"HTTP/1.1 200")  # another address is served
    for reader, _ in held:  # the idle ones meet their deadline, and the address is served again
        await closed_within(reader, 5)
    assert (await health(port)).startswith(b"HTTP/1.1 200")


async def test_all_addresses_together_are_capped(port: int) -> None:
    held = [await open_from(port, f"127.0.0.{2 + i % 4}") for i in range(8)]
    refused, _ = await open_from(port, "127.0.0.9")
    assert await closed_within(refused, 2) < 0.3
    for reader, _ in held:
        await closed_within(reader, 5)
    assert (await health(port, "127.0.0.9")).startswith(b"HTTP/1.1 200")


async def test_a_websocket_keeps_its_slot_until_it_closes(port: int) -> None:
    sockets = [await websockets.connect(f"ws://127.0.0.1:{port}/parse", ping_interval=None) for _ in range(4)]
    await asyncio.sleep(0.8)  # past the header deadline: an upgraded connection is not cut
    await sockets[0].send(json.dumps({"op": "connect", "applicationId": APP_ID}))
    assert "connected" in await asyncio.wait_for(sockets[0].recv(), 5)
    refused, _ = await open_from(port)
    assert await closed_within(refused, 2) < 0.3
    await sockets[0].close()
    await asyncio.sleep(0.1)
    assert (await health(port)).startswith(b"HTTP/1.1 200")
    for ws in sockets[1:]:
        await ws.close()
    assert connections.ADMISSION.total <= 1

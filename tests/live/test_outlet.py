"""How messages leave a LiveQuery connection (api/live/outlet.py).

Under ``chartkeep serve``'s WebSocket implementation every message is framed by Chartkeep and
written straight to the connection's transport; under any other it goes through ASGI ``send``.
Both must deliver the same bytes, and both must close a client that does not keep up (1013)
without holding up the others.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections import Counter
from typing import Any

import pytest
import websockets
from websockets.frames import Frame, Opcode

from chartkeep.api.live import outlet
from chartkeep.api.live.outlet import DirectOutlet, QueuedOutlet, frame
from tests.conftest import MASTER_KEY
from tests.live.conftest import LiveClient, LiveServer, People
from tests.live.test_events import create, update

SUBS = 50  # subscriptions on the slow connection: each write becomes SUBS events on it
BIG = "x" * 40_000


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65535, 65536, 70_000])
def test_frames_are_the_websocket_librarys_server_frames(size: int) -> None:
    payload = b"{" + b"a" * max(0, size - 2) + b"}" if size >= 2 else b"x" * size
    assert frame(payload) == Frame(Opcode.TEXT, payload).serialize(mask=False, extensions=[])


def subscriptions(server: LiveServer) -> list[Any]:
    return [sub for groups in server.core.live.hub.groups.values() for g in groups.values()
            for subs in g.shapes.values() for sub in subs]


def outlets(server: LiveServer) -> list[type]:
    return sorted({type(sub.send.__self__) for sub in subscriptions(server)}, key=lambda t: t.__name__)


@pytest.mark.parametrize(("ws_impl", "expected"), [("websockets-sansio", DirectOutlet), ("websockets", QueuedOutlet)])
async def test_events_arrive_whole_on_either_path(server: LiveServer, people: People, ws_impl: str,
                                                  expected: type) -> None:
    c = await server.user_client(master=True)
    await c.subscribe(1, "Doc")
    assert outlets(server) == [expected]
    for title in ("short", "m" * 200, BIG):  # one-byte, two-byte and eight-byte frame lengths
        doc = await create(server, {"title": title, "n": 1})
        event = await c.event()
        assert (event["op"], event["object"]["objectId"], event["object"]["title"]) == ("create", doc, title)


async def tiny_buffered_client(server: LiveServer) -> LiveClient:
    """A client whose socket buffers hold almost nothing (no kernel autotuning to hide a stall)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
    host, port = server.ws_url.split("//")[1].split("/")[0].split(":")
    sock.connect((host, int(port)))
    sock.setblocking(False)
    ws = await websockets.connect(server.ws_url, sock=sock, ping_interval=None)
    server.clients.append(ws)
    client = LiveClient(ws)
    await client.connect(masterKey=MASTER_KEY)
    return client


async def slow_and_fast(server: LiveServer, slow: LiveClient | None = None) -> tuple[LiveClient, LiveClient, str]:
    slow = slow or await server.user_client(master=True)
    for i in range(SUBS):
        await slow.subscribe(i + 1, "Doc")
    fast = await server.user_client(master=True)
    await fast.subscribe(1, "Doc")
    doc = await create(server, {"title": BIG, "n": 0})
    assert (await fast.event())["op"] == "create"
    return slow, fast, doc


@pytest.mark.parametrize("ws_impl", ["websockets-sansio", "websockets"])
async def test_a_client_that_stops_reading_is_closed_with_1013_and_others_keep_up(
    server: LiveServer, people: People, ws_impl: str
) -> None:
    server.core.settings.live_query_send_buffer_bytes = 256 * 1024
    slow, fast, doc = await slow_and_fast(server)
    writes = 12  # 12 x 50 x 40 kB = 24 MB for the slow client: more than any socket buffers hold
    for n in range(1, writes + 1):
        await update(server, doc, {"n": n})
        event = await fast.event()  # the fast client gets each event while the slow one lags
        assert (event["op"], event["object"]["n"]) == ("update", n)
    got = 0
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await slow.recv(10)
            got += 1
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013
    assert got < SUBS * (writes + 1)  # what the buffers held when it fell behind, then the close
    await update(server, doc, {"n": 99})  # the fast client is unaffected
    assert (await fast.event())["object"]["n"] == 99


async def test_a_client_that_never_reads_again_is_dropped(server: LiveServer, people: People,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outlet, "CLOSE_SECONDS", 0.5)
    server.core.settings.live_query_send_buffer_bytes = 256 * 1024
    slow, fast, doc = await slow_and_fast(server, await tiny_buffered_client(server))
    # the server's side of that connection buffers little in the kernel too
    held = Counter(sub.send.__self__ for sub in subscriptions(server))
    [slow_outlet] = [o for o, n in held.items() if n == SUBS]
    slow_outlet.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8192)
    slow.ws.transport.pause_reading()  # it reads nothing any more
    n = 0
    deadline = time.monotonic() + 20
    # keep writing until the slow connection is gone from the hub (its close could not be written)
    while len(subscriptions(server)) > 1:
        assert time.monotonic() < deadline, "the stuck client was never dropped"
        n += 1
        await update(server, doc, {"n": n})
        assert (await fast.event())["object"]["n"] == n
        await asyncio.sleep(0.05)
    slow.ws.transport.resume_reading()
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await slow.recv(5)
    assert closed.value.rcvd is None  # aborted: no close frame could be written


async def test_fan_out_in_chunks_delivers_each_event_once(server: LiveServer, people: People) -> None:
    """The hub lets the event loop run between chunks of deliveries; a client that leaves meanwhile
    costs nothing, and every other subscriber still gets every event exactly once."""
    server.core.settings.live_query_fanout_chunk = 1
    clients = [await server.user_client(master=True) for _ in range(4)]
    for c in clients:
        await c.subscribe(1, "Doc")
    doc = await create(server, {"title": "t", "n": 0})
    # one client leaves while the events fan out
    await asyncio.gather(*(update(server, doc, {"n": n}) for n in range(1, 6)), clients[3].ws.close())
    for c in clients[:3]:
        assert (await c.event())["op"] == "create"
        seen = [(await c.event())["object"]["n"] for _ in range(5)]
        assert sorted(seen) == [1, 2, 3, 4, 5] and len(set(seen)) == 5
        await c.nothing(0.3)

"""LiveQuery subscribers for the fan-out bench, in a process of their own.

    python -m ckbench.live_receiver WS_URL APP_ID TOKENS_FILE COUNT OUT_FILE [lean|aiohttp]

Opens COUNT WebSocket connections, each ``connect``s with one of the session tokens (round
robin) and subscribes to ``LiveBench`` (``where: {}``); prints ``READY`` once all are subscribed,
then records, for every event received, the ``seq`` field of the object and the wall-clock
receipt time. On a ``STOP`` line on stdin it waits one second more, writes the records (``seq``
as int32, times as doubles, two arrays) to OUT_FILE and prints the count and the CPU seconds
this process spent between READY and STOP (the client's share of the machine).

Two clients: ``lean`` (the default) is one asyncio protocol per connection — the handshake by
the ``websockets`` library (sans-I/O), then server frames read straight from the socket's bytes
(several per read when they queue up), pings answered, client frames masked by the library; it
costs a few µs of CPU per event, so on two shared cores it measures the server rather than
itself. ``aiohttp`` is a task per connection reading ``ws.receive()`` (12-21 µs per event here),
as a typical Python client would; with it the receiver itself saturates one core near 80k
events/s.
"""

from __future__ import annotations

import asyncio
import re
import sys
import time
from array import array
from pathlib import Path

import aiohttp
import orjson
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

SEQ = re.compile(r'"seq":(\d+)')
SEQ_BYTES = re.compile(rb'"seq":(\d+)')


def client_frame(opcode: Opcode, data: bytes) -> bytes:
    return Frame(opcode, data).serialize(mask=True, extensions=[])


class LeanSubscriber(asyncio.Protocol):
    """One connection: handshake, connect, subscribe, then record every event's seq and time."""

    def __init__(self, url: str, app_id: str, token: str, seqs: array, times: array,
                 ready: asyncio.Queue[int]) -> None:
        self.handshake: ClientProtocol | None = ClientProtocol(parse_uri(url))
        self.app_id, self.token = app_id, token
        self.seqs, self.times, self.ready = seqs, times, ready
        self.buf = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert self.handshake is not None
        self.transport = transport  # type: ignore[assignment]  # uvloop's transports are not asyncio.Transport
        self.handshake.send_request(self.handshake.connect())
        transport.write(b"".join(self.handshake.data_to_send()))

    def send(self, message: dict[str, object]) -> None:
        assert self.transport is not None
        self.transport.write(client_frame(Opcode.TEXT, orjson.dumps(message)))

    def data_received(self, data: bytes) -> None:
        if self.handshake is not None:
            self.handshake.receive_data(data)
            for event in self.handshake.events_received():
                if isinstance(event, Response):
                    if event.status_code != 101:
                        raise RuntimeError(f"handshake refused: {event.status_code}")
                    self.handshake = None  # the server says nothing before our connect: no bytes left over
                    self.send({"op": "connect", "applicationId": self.app_id, "sessionToken": self.token})
            return
        buf = self.buf + data if self.buf else data
        now = time.time()
        i, n = 0, len(buf)
        while n - i >= 2:
            b1 = buf[i + 1] & 0x7F
            j = i + 2
            if b1 == 126:
                if n - j < 2:
                    break
                size = int.from_bytes(buf[j:j + 2], "big")
                j += 2
            elif b1 == 127:
                if n - j < 8:
                    break
                size = int.from_bytes(buf[j:j + 8], "big")
                j += 8
            else:
                size = b1
            if n - j < size:
                break
            opcode = buf[i] & 0x0F
            if opcode == 1:
                found = SEQ_BYTES.search(buf, j, j + size)
                if found:
                    self.seqs.append(int(found.group(1)))
                    self.times.append(now)
                else:
                    self.control(orjson.loads(buf[j:j + size]))
            elif opcode == 9:
                assert self.transport is not None
                self.transport.write(client_frame(Opcode.PONG, buf[j:j + size]))
            elif opcode == 8 and self.transport is not None:
                self.transport.close()
            i = j + size
        self.buf = buf[i:]

    def control(self, message: dict[str, object]) -> None:
        if message.get("op") == "connected":
            self.send({"op": "subscribe", "requestId": 1, "query": {"className": "LiveBench", "where": {}}})
        elif message.get("op") == "subscribed":
            self.ready.put_nowait(1)
        else:
            raise RuntimeError(f"unexpected message: {message}")


async def subscriber(session: aiohttp.ClientSession, url: str, app_id: str, token: str, seqs: array, times: array,
                     ready: asyncio.Queue[int]) -> None:
    async with session.ws_connect(url, max_msg_size=0, heartbeat=None, autoping=True) as ws:
        await ws.send_str(orjson.dumps({"op": "connect", "applicationId": app_id, "sessionToken": token}).decode())
        await ws.receive()
        await ws.send_str(orjson.dumps({"op": "subscribe", "requestId": 1,
                                        "query": {"className": "LiveBench", "where": {}}}).decode())
        reply = await ws.receive()
        if '"subscribed"' not in reply.data:
            raise RuntimeError(f"not subscribed: {reply.data[:200]}")
        await ready.put(1)
        async for msg in ws:
            now = time.time()
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            found = SEQ.search(msg.data)
            if found:
                seqs.append(int(found.group(1)))
                times.append(now)


async def measure(ready: asyncio.Queue[int], count: int) -> float:
    """Wait until ``count`` subscribers are ready, say READY, then return the CPU spent until STOP."""
    for _ in range(count):
        await ready.get()
    print("READY", flush=True)
    cpu0 = time.process_time()
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    await asyncio.sleep(1.0)
    return time.process_time() - cpu0


async def main(url: str, app_id: str, tokens_file: str, count: int, out: str, kind: str = "lean") -> None:
    tokens = [t for t in Path(tokens_file).read_text().split() if t]
    seqs, times = array("i"), array("d")
    ready: asyncio.Queue[int] = asyncio.Queue()
    if kind == "lean":
        loop = asyncio.get_running_loop()
        uri = parse_uri(url)
        transports = []
        for i in range(count):
            transport, _ = await loop.create_connection(
                lambda i=i: LeanSubscriber(url, app_id, tokens[i % len(tokens)], seqs, times, ready), uri.host, uri.port)
            transports.append(transport)
            if i % 200 == 199:
                await asyncio.sleep(0.05)  # do not open thousands of connections in one burst
        cpu = await measure(ready, count)
        for transport in transports:
            transport.close()
    else:
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as session:
            tasks = []
            for i in range(count):
                tasks.append(asyncio.create_task(subscriber(session, url, app_id, tokens[i % len(tokens)], seqs, times,
                                                            ready)))
                if i % 200 == 199:
                    await asyncio.sleep(0.05)  # do not open thousands of connections in one burst
            cpu = await measure(ready, count)
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    with open(out, "wb") as f:
        array("i", [len(seqs)]).tofile(f)
        seqs.tofile(f)
        times.tofile(f)
    print(f"RECEIVED {len(seqs)} {cpu:.3f}", flush=True)


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover
        pass
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], *sys.argv[6:7]))

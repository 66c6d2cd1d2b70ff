"""Statements per operation, counted on the wire: a TCP relay between a server and PostgreSQL.

``pg_stat_statements`` needs ``shared_preload_libraries`` (a PostgreSQL restart), so the bench
counts the frontend messages of the PostgreSQL protocol instead, the same way for every client
library: ``Q`` (a simple query), ``E`` (execute a bound statement: one per statement of the
extended protocol), ``P`` (parse: a statement prepared, or re-parsed when unnamed), ``S`` (sync:
the end of a pipeline, about one round trip). ``statements = Q + E``.

The relay refuses TLS (answers ``N`` to ``SSLRequest``/``GSSENCRequest``), so the client goes on
in clear text, and forwards everything else byte for byte. It adds a hop, so it is used only in
its own short pass (``__main__``: the server restarted on the relay's port), never in the timed
windows.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections import Counter

NEGOTIATIONS = (80877103, 80877104)  # SSLRequest, GSSENCRequest
KINDS = {"Q": "simple_queries", "E": "executes", "P": "parses", "S": "syncs"}


class WireCounter:
    def __init__(self, upstream_host: str = "127.0.0.1", upstream_port: int = 5432) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.counts: Counter[str] = Counter()
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> WireCounter:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(Exception):
            await self._server.wait_closed()

    def snapshot(self) -> Counter[str]:
        return Counter(self.counts)

    def since(self, before: Counter[str]) -> dict[str, int]:
        out = {name: self.counts[k] - before[k] for k, name in KINDS.items()}
        out["statements"] = out["simple_queries"] + out["executes"]
        return out

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        up_writer: asyncio.StreamWriter | None = None
        try:
            while True:  # start-up: length-prefixed messages without a type byte
                head = await reader.readexactly(8)
                length, code = struct.unpack("!ii", head)
                rest = await reader.readexactly(length - 8)
                if code in NEGOTIATIONS:
                    writer.write(b"N")
                    await writer.drain()
                    continue
                break
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
            up_writer.write(head + rest)
            await asyncio.gather(self._count(reader, up_writer), _relay(up_reader, writer))
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            for w in (writer, up_writer):
                if w is not None:
                    with contextlib.suppress(Exception):
                        w.close()
            self._tasks.discard(task)

    async def _count(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        buf = bytearray()
        while data := await reader.read(65536):
            writer.write(data)
            buf += data
            pos = 0
            while len(buf) - pos >= 5:
                size = int.from_bytes(buf[pos + 1 : pos + 5], "big")
                if len(buf) - pos < 1 + size:
                    break
                self.counts[chr(buf[pos])] += 1
                pos += 1 + size
            del buf[:pos]
            await writer.drain()
        writer.close()


async def _relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
    writer.close()


"""The floor of LiveQuery fan-out on this machine: one WebSocket frame written to each of N sockets.

    PYTHONPATH=bench .venv/bin/python -m ckbench.live_floor [--sockets 5000] [--rounds 100] [--bytes 420]

No server, no protocol: a uvloop TCP server accepts N loopback connections from a reader process
(``selectors``, reads and discards), then writes one pre-built text frame of ``--bytes`` to every
transport per round, as Chartkeep's hub does per event, and reports its own user and system CPU
per write. Whatever a LiveQuery server costs per delivery above this is its own; this part is the
kernel's TCP path (on loopback it also runs the receiving socket's side) and the event loop's
``write``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import selectors
import signal
import socket
import time

import uvloop


def frame(size: int) -> bytes:
    body = b'{"op":"update","object":{"x":"' + b"x" * max(0, size - 36) + b'"}}'
    n = len(body)
    return (bytes((0x81, n)) if n < 126 else bytes((0x81, 126)) + n.to_bytes(2, "big")) + body


def read_all(port: int, count: int) -> None:
    """The reader process: open ``count`` connections, read until it is stopped."""
    sel = selectors.DefaultSelector()
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setblocking(False)
        sel.register(sock, selectors.EVENT_READ)
    deadline = time.monotonic() + 600  # in case the parent died
    while time.monotonic() < deadline:
        for key, _ in sel.select(1):
            with contextlib.suppress(BlockingIOError):
                key.fileobj.recv(65536)  # type: ignore[union-attr]
    os._exit(0)


async def run(count: int, rounds: int, size: int) -> None:
    transports: list[asyncio.Transport] = []

    class Accept(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            transports.append(transport)  # type: ignore[arg-type]

    server = await asyncio.get_running_loop().create_server(Accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    pid = os.fork()
    if pid == 0:
        read_all(port, count)
    while len(transports) < count:
        await asyncio.sleep(0.05)
    data = frame(size)
    before = resource.getrusage(resource.RUSAGE_SELF)
    for _ in range(rounds):
        for transport in transports:
            transport.write(data)
        await asyncio.sleep(0.02)
    after = resource.getrusage(resource.RUSAGE_SELF)
    writes = count * rounds
    user = (after.ru_utime - before.ru_utime) / writes * 1e6
    system = (after.ru_stime - before.ru_stime) / writes * 1e6
    print(f"{count} sockets, {len(data)}-byte frames: {user + system:.1f} µs of CPU per write "
          f"(user {user:.1f}, system {system:.1f})")
    os.kill(pid, signal.SIGTERM)
    os.waitpid(pid, 0)
    for transport in transports:
        transport.close()
    server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sockets", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--bytes", type=int, default=420)
    args = parser.parse_args()
    uvloop.install()
    asyncio.run(run(args.sockets, args.rounds, args.bytes))


if __name__ == "__main__":
    main()

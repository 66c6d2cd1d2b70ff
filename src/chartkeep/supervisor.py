"""N worker processes on one port, each accepting on a listening socket of its own (SO_REUSEPORT).

Why not uvicorn's own ``workers``: its supervisor binds one socket that every worker accepts on,
and the kernel hands a new connection to whichever worker wakes first. Clients that keep their
connections open — SDK apps, a reverse proxy's keep-alive pool, the bench — then pile onto one
worker while the others idle (measured with 16 keep-alive connections and two workers: one at
117 % of a core, the other at 1 %). Here the supervisor opens N listening sockets on the port
with ``SO_REUSEPORT`` — one per worker, all before any worker starts — and the kernel spreads
connections over the group by a hash of their addresses, so they are shared evenly whatever the
clients do. Every socket is listening from the start: a connection made while its worker is still
starting (or being replaced) waits in that socket's queue rather than landing on a worker that
happens to be up already.

The supervisor starts N spawned processes (fresh interpreters; the settings travel in the
environment, see ``serving``), worker i accepting on socket i; it starts a new worker on the same
socket when one dies, and on SIGTERM or SIGINT sends SIGTERM to every worker — each finishes its
requests and closes its pools — waits, and returns 0. SIGHUP replaces the workers one at a time
(new code, same sockets: connections arriving meanwhile wait in the socket's queue). A worker that
fails its start-up (uvicorn's exit code 3) stops them all.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import socket
import time
from multiprocessing.process import BaseProcess
from typing import Any

from chartkeep.settings import WORKER_INDEX

log = logging.getLogger("chartkeep.serve")
STARTUP_FAILURE = 3  # uvicorn's exit code when the application cannot start
GRACE_SECONDS = 30.0
BACKLOG = 2048  # uvicorn's default


def listening_socket(host: str, port: int, reuse_port: bool = True) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def port_in_use(host: str, port: int) -> str | None:
    """Bind once without SO_REUSEPORT: another program (or another Chartkeep) on the port fails it,
    where the workers' shared-port sockets would silently join its group."""
    try:
        listening_socket(host, port, reuse_port=False).close()
    except OSError as exc:
        return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    return None


def run_worker(options: dict[str, Any], sock: socket.socket, index: int = 0) -> None:
    """A worker process: uvicorn serving the app on its socket of the port's group. Worker 0 also
    takes the ledger's periodic checkpoints (one process only)."""
    import uvicorn

    os.environ[WORKER_INDEX] = str(index)
    from chartkeep.connections import configure
    from chartkeep.settings import Settings

    configure(Settings.from_worker_env())  # this worker's connection limits and file-descriptor budget
    config = uvicorn.Config("chartkeep.app:worker_app", factory=True, **options)
    uvicorn.Server(config).run(sockets=[sock])


def supervise(options: dict[str, Any], workers: int) -> int:
    busy = port_in_use(options["host"], options["port"])
    if busy:
        log.error(busy)
        return 1
    sockets = [listening_socket(options["host"], options["port"]) for _ in range(workers)]
    for sock in sockets:
        sock.listen(BACKLOG)
    spawn = multiprocessing.get_context("spawn")
    stopping = restarting = False

    def on_signal(signum: int, frame: Any) -> None:
        nonlocal stopping, restarting
        if signum == signal.SIGHUP:
            restarting = True
        else:
            stopping = True

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}

    def start(i: int) -> BaseProcess:
        proc = spawn.Process(target=run_worker, args=(options, sockets[i], i), name=f"chartkeep-worker-{i}")
        proc.start()
        return proc

    code = 0
    procs = [start(i) for i in range(workers)]
    try:
        while not stopping:
            time.sleep(0.2)
            if restarting:
                restarting = False
                for i in range(len(procs)):
                    if not stopping:
                        _stop_all([procs[i]])
                        procs[i] = start(i)
            for i, proc in enumerate(procs):
                if proc.is_alive() or stopping:
                    continue
                if proc.exitcode == STARTUP_FAILURE:
                    log.error("worker %s could not start; stopping", proc.pid)
                    code, stopping = STARTUP_FAILURE, True
                    break
                log.warning("worker %s exited (%s); starting another", proc.pid, proc.exitcode)
                procs[i] = start(i)
    finally:
        _stop_all(procs)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for sock in sockets:
            sock.close()
    return code


def _stop_all(procs: list[BaseProcess]) -> None:
    for proc in procs:
        if proc.is_alive():
            with contextlib.suppress(OSError):
                proc.terminate()  # SIGTERM: uvicorn finishes the open requests, then shuts down
    deadline = time.monotonic() + GRACE_SECONDS
    for proc in procs:
        proc.join(max(0.0, deadline - time.monotonic()))
        if proc.is_alive():
            proc.kill()
            proc.join(5)

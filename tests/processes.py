"""Real servers on real sockets, for the tests that need more than the in-process ASGI client.

``uvicorn_server`` runs an ASGI app under uvicorn inside the test's own event loop, on a free port;
``chartkeep_in_loop`` so runs a fresh Chartkeep with the options ``chartkeep serve`` gives uvicorn
(the connection guards included) — for tests of sockets, deadlines and scraping.

For multi-process tests (workers, Redis scale-out, the ledger), ``serve`` starts a real
``chartkeep serve`` process with the given flags on a free port and stops it (SIGTERM) afterwards;
``healthy`` waits for ``/parse/health``; ``HttpApi`` is the tests' ``Api`` over real HTTP with the
process's application id and master key. Redis tests are skipped locally when Redis is missing and
fail under ``CI=true`` (``require_service``). Other servers a test starts (Parse Dashboard, Parse
Server, Chromium) use ``free_port``, ``answering`` (a URL answers 200 while the process runs) and
``stop`` (SIGTERM, then SIGKILL) the same way.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import redis.asyncio as redis
import uvicorn

from chartkeep import connections
from chartkeep.app import create_app
from chartkeep.serving import uvicorn_options
from chartkeep.settings import Settings
from tests.conftest import APP_ID, MASTER_KEY, Api, require_service, running_core

REDIS_URL = os.environ.get("CHARTKEEP_TEST_REDIS", "redis://127.0.0.1:6379/0")
ROOT = Path(__file__).resolve().parents[1]
MASTER = "process-test-master"


async def need_redis() -> None:
    client = redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        await client.ping()
        reason = None
    except (OSError, redis.RedisError) as exc:
        reason = f"Redis at {REDIS_URL} unreachable: {exc}"
    finally:
        await client.aclose()
    require_service(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def unique_app_id() -> str:
    return "proc-" + secrets.token_hex(4)  # its own Redis channel: parallel runs never mix


@asynccontextmanager
async def uvicorn_server(app: Any, **config: Any) -> AsyncIterator[int]:
    """``app`` served by uvicorn in this event loop (``config``: uvicorn's options): the port it
    listens on. The server is told to exit, and awaited, afterwards."""
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", **config))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():  # it could not start: its error, or why not
            task.result()
            raise AssertionError("uvicorn stopped before it started")
        await asyncio.sleep(0.01)
    try:
        yield int(server.servers[0].sockets[0].getsockname()[1])
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def chartkeep_in_loop(data_dir: Path, **settings: Any) -> AsyncIterator[int]:
    """A fresh Chartkeep (``settings`` on top of the tests' app id and master key, a free port) served
    as ``chartkeep serve`` serves it — uvicorn with ``uvicorn_options`` and the connection admission
    configured — in this event loop: its port. Afterwards the database is closed and the admission
    counts reset for the next test."""
    config = Settings(app_id=APP_ID, master_key=MASTER_KEY, data_dir=data_dir, port=0, log_level="warning",
                      **settings)
    async with running_core(config) as core:
        connections.configure(config)
        try:
            async with uvicorn_server(create_app(config, core), **uvicorn_options(config)) as port:
                yield port
        finally:
            connections.ADMISSION.reset()


@dataclass
class Served:
    host: str
    proc: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def serve(tmp: Path, name: str, *flags: str, app_id: str, redis_url: str | None = REDIS_URL) -> Iterator[Served]:
    port = free_port()
    log_path = tmp / f"{name}.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed below
    argv = [sys.executable, "-m", "chartkeep", "serve", "--host", "127.0.0.1", "--port", str(port),
            "--app-id", app_id, "--master-key", MASTER, "--data-dir", str(tmp / f"{name}-data"), *flags]
    if redis_url:
        argv += ["--redis-url", redis_url]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield Served(f"127.0.0.1:{port}", proc, log_path)
    finally:
        stop(proc, 20)
        log.close()


def stop(proc: subprocess.Popen[bytes], grace: float = 10) -> None:
    """SIGTERM, then SIGKILL if the process has not ended within ``grace`` seconds."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


async def answering(url: str, proc: subprocess.Popen[bytes], log: Path, seconds: float = 30,
                    name: str = "server") -> None:
    """Waits until ``url`` answers 200 while ``proc`` runs. An AssertionError with the end of its
    ``log`` when the process ends first, or when ``seconds`` pass."""
    async with httpx.AsyncClient(trust_env=False) as http:
        for _ in range(int(seconds / 0.1)):
            if proc.poll() is not None:
                raise AssertionError(f"{name} exited ({proc.returncode}): {_tail(log)}")
            try:
                if (await http.get(url)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"{name} did not answer {url} within {seconds} s: {_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:]


async def healthy(served: Served, seconds: float = 30) -> None:
    await answering(f"http://{served.host}/parse/health", served.proc, served.log, seconds)


class HttpApi(Api):
    """``Api`` against a real process: its application id and master key."""

    def __init__(self, client: httpx.AsyncClient, app_id: str) -> None:
        super().__init__(client)
        self.app_id = app_id

    def headers(self, session: str | None = None, master: bool = False, **extra: str) -> dict[str, str]:
        h = super().headers(session, master, **extra)
        h["X-Parse-Application-Id"] = self.app_id
        if master:
            h["X-Parse-Master-Key"] = MASTER
        return h


def http_api(served: Served, app_id: str) -> HttpApi:
    return HttpApi(httpx.AsyncClient(base_url=f"http://{served.host}", timeout=30), app_id)

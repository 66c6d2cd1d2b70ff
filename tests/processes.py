"""Real ``chartkeep serve`` processes for multi-process tests (workers, Redis scale-out, the ledger).

``serve`` starts one with the given flags on a free port and stops it (SIGTERM) afterwards;
``healthy`` waits for ``/parse/health``; ``HttpApi`` is the tests' ``Api`` over real HTTP with the
process's application id and master key. Redis tests are skipped locally when Redis is missing and
fail under ``CI=true`` (``require_service``).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import redis.asyncio as redis

from tests.conftest import Api, require_service

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


async def healthy(served: Served, seconds: float = 30) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(int(seconds / 0.1)):
            if served.proc.poll() is not None:
                raise AssertionError(f"server exited ({served.proc.returncode}): {served.output()[-3000:]}")
            try:
                if (await http.get(f"http://{served.host}/parse/health")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"server not healthy: {served.output()[-3000:]}")


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

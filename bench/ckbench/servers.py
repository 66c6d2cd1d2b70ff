"""Start and stop the servers under test; databases; start-up time and memory."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import aiohttp
import asyncpg
import psutil

REPO = Path(__file__).resolve().parents[2]
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
APP_ID = "bench"
MASTER_KEY = "bench-master-key"


def pg_url(db: str) -> str:
    return f"postgresql://postgres@127.0.0.1:5432/{db}"


async def recreate_database(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


@dataclass
class Server:
    """One server process: ``kind`` is chartkeep-pg, parse-pg or chartkeep-sqlite."""

    kind: str
    port: int
    command: list[str]
    env: dict[str, str]
    cwd: Path
    log_path: Path
    db_name: str | None = None  # PostgreSQL database, for CPU accounting of its backends
    proc: subprocess.Popen[bytes] | None = None
    startup_s: float | None = None
    rss_ready_mb: float | None = None
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/parse"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def rss_mb(self) -> float:
        """Resident memory of the server process and any children, MB."""
        proc = psutil.Process(self.pid)
        total = proc.memory_info().rss
        for child in proc.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                total += child.memory_info().rss
        return total / 1e6

    async def start(self, timeout: float = 60.0) -> float:
        """Start; return seconds from spawn to the first answered ``/parse/health``."""
        if _port_busy(self.port):
            raise RuntimeError(f"port {self.port} is already in use; stop whatever listens there")
        log = self.log_path.open("ab")
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            self.command, cwd=self.cwd, env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT
        )
        url = self.base + "/health"
        async with aiohttp.ClientSession() as session:
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.kind} exited with {self.proc.returncode}; see {self.log_path}")
                try:
                    async with session.get(url) as resp:
                        if resp.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                if time.perf_counter() - started > timeout:
                    raise RuntimeError(f"{self.kind} did not answer {url} within {timeout}s")
                await asyncio.sleep(0.005)
        self.startup_s = time.perf_counter() - started
        self.rss_ready_mb = self.rss_mb()
        return self.startup_s

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def via_port(server: Server, pg_port: int) -> Server:
    """The same server, reaching PostgreSQL on ``pg_port`` (the statement-counting relay)."""
    old, new = "@127.0.0.1:5432/", f"@127.0.0.1:{pg_port}/"
    return replace(
        server,
        command=[part.replace(old, new) for part in server.command],
        env={k: v.replace(old, new) for k, v in server.env.items()},
        proc=None,
    )


def _port_busy(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def chartkeep_server(kind: str, port: int, database_url: str, work: Path, db_name: str | None,
                     workers: int = 1, redis_url: str | None = None) -> Server:
    data_dir = work / f"{kind}-data"
    data_dir.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable, "-m", "chartkeep", "serve",
        "--port", str(port),
        "--database-url", database_url,
        "--data-dir", str(data_dir),
        "--app-id", APP_ID,
        "--master-key", MASTER_KEY,
        "--log-level", "warning",
        # Parse Server has no rate limit by default; the bench logs in from one IP hundreds of times
        # a second, so Chartkeep's per-IP login/sign-up limits are lifted to compare like with like.
        "--login-rate-limit", "100000000",
        "--signup-rate-limit", "100000000",
        # likewise the per-user caps on client-appended AuditEvents (30 a minute, 1,000 a day): the
        # bench's 12-60 clinicians append hundreds a second; Parse Server has no such cap
        "--audit-event-rate-limit", "0",
        "--audit-event-daily-limit", "0",
        # the LiveQuery runs open thousands of connections from this one address
        "--http-max-connections", "100000",
        "--http-max-connections-per-ip", "100000",
    ]  # fmt: skip
    if workers > 1:  # N processes on the port; they share events and invalidations through Redis
        cmd += ["--workers", str(workers), "--redis-url", redis_url or "redis://127.0.0.1:6379/0"]
    elif redis_url:  # one process of several on their own ports (e.g. REST here, LiveQuery there)
        cmd += ["--redis-url", redis_url]
    return Server(kind, port, cmd, {}, REPO, work / f"{kind}.log", db_name)


def sqlite_reset(work: Path) -> str:
    data_dir = work / "chartkeep-sqlite-data"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    return f"sqlite:///{(data_dir / 'bench.db').as_posix()}"


def parse_server(port: int, scratch: Path, work: Path, db_name: str, allow_class_creation: bool) -> Server:
    env = {
        "DATABASE_URI": pg_url(db_name),
        "APP_ID": APP_ID,
        "MASTER_KEY": MASTER_KEY,
        "PORT": str(port),
        "ALLOW_CLASS_CREATION": "1" if allow_class_creation else "0",
    }
    return Server("parse-pg", port, ["node", "server.js"], env, scratch, work / "parse-pg.log", db_name)


def parse_version(scratch: Path) -> str:
    import json

    try:
        return json.loads((scratch / "node_modules/parse-server/package.json").read_text())["version"]
    except OSError:
        return "?"

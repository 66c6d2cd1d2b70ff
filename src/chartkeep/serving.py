"""``chartkeep serve``: one server process, or N worker processes sharing one port.

With ``workers`` > 1, ``supervisor`` starts N worker processes, each listening on the port with a
socket of its own (``SO_REUSEPORT``: the kernel spreads connections evenly over them); it starts a
new worker when one dies and stops them all on SIGTERM or SIGINT (each finishes its requests and
closes its database pool). The start-up work — tables, templates, seed roles, the ledger and its triggers — runs once
here, before any worker starts, so N workers never run DDL against each other; each worker only
loads the class registry. (``initialize`` also takes a PostgreSQL advisory lock, for separate
``chartkeep serve`` processes started together on other hosts.)

Workers are fresh interpreters (not forks): they receive the settings, generated keys included,
through one environment variable of their own process. Every worker connects to Redis
(``redis_url`` is required): LiveQuery events and cache invalidations travel through it, so a
subscriber on any worker gets every event and a logout through one worker is refused by all.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from typing import Any

from chartkeep.connections import GuardedHttp, GuardedWebSocket, configure
from chartkeep.settings import WORKER_SETTINGS, Settings


def refusal(settings: Settings) -> str | None:
    """Why these settings cannot be served, or None."""
    if settings.workers > 1 and not settings.redis_url:
        return (
            f"--workers {settings.workers} needs --redis-url (CHARTKEEP_REDIS_URL): worker processes share "
            "LiveQuery events and session/role/schema invalidations through Redis. Without it a logout "
            "through one worker would still be honoured by the others. Use --workers 1 or set redis_url."
        )
    return None


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    return {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        "access_log": False,
        "proxy_headers": False,
        # uvicorn's httptools protocol plus a header deadline and per-IP / total connection caps
        "http": GuardedHttp,
        "timeout_keep_alive": settings.http_keep_alive_timeout,
        # the WebSocket implementation whose transport LiveQuery writes frames to (api/live/outlet.py),
        # giving back its connection's slot when it closes
        "ws": GuardedWebSocket,
        # LiveQuery heartbeats: ping every N s, drop a client that has not answered N s later
        "ws_ping_interval": settings.live_query_heartbeat_seconds or None,
        "ws_ping_timeout": settings.live_query_heartbeat_seconds or None,
        # frames up to 4x the LiveQuery limit are answered with an error; larger ones close (1009)
        "ws_max_size": 4 * settings.live_query_max_frame_bytes,
        # SDK clients (Node's ws, browsers) offer permessage-deflate; accepting it means one zlib
        # stream per connection and every event compressed once per subscriber
        "ws_per_message_deflate": settings.live_query_compression,
    }


async def prepare(settings: Settings) -> list[str]:
    """The start-up work, once: what every worker would otherwise run at its start."""
    from chartkeep.app import build_core
    from chartkeep.schema_admin.bootstrap import initialize

    core = build_core(settings)
    await core.db.connect()
    try:
        return await initialize(core)
    finally:
        await core.db.close()


def prepare_from_env() -> None:
    """``python -c`` entry of the one-off start-up process (keeps the supervisor small)."""
    from chartkeep.cloud.load import CloudLoadError

    try:
        asyncio.run(prepare(Settings.from_worker_env()))
    except CloudLoadError as exc:  # before any worker starts: the file and line, no trace
        print(exc, file=sys.stderr)
        raise SystemExit(2) from None


def serve(settings: Settings) -> None:
    settings.ensure_master_key()
    settings.ensure_files_key()  # generated once here, so every worker has the same keys
    if settings.workers <= 1:
        import uvicorn

        from chartkeep.app import create_app

        configure(settings)  # connection limits and the file-descriptor budget of this process
        uvicorn.run(create_app(settings), **uvicorn_options(settings))
        return
    os.environ[WORKER_SETTINGS] = settings.model_dump_json()
    # the start-up work in a process of its own: the supervisor never imports the app (≈ 45 MB less)
    done = subprocess.run([sys.executable, "-c", "from chartkeep.serving import prepare_from_env; prepare_from_env()"])
    if done.returncode != 0:
        raise SystemExit(done.returncode)
    from chartkeep.supervisor import supervise

    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s:     %(message)s")
    code = supervise(uvicorn_options(settings), settings.workers)
    if code:
        raise SystemExit(code)

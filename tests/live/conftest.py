"""LiveQuery tests: a real uvicorn server in the test's event loop, real WebSocket clients.

``server`` serves the test's app (SQLite and PostgreSQL, through ``core``) on a free port; REST
calls go over HTTP to it (``server.api``), LiveQuery clients connect with the ``websockets``
library (``await server.client()``), as any Parse LiveQuery client would.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import pytest
import websockets
from argon2 import PasswordHasher

from chartkeep.accounts import passwords
from chartkeep.app import create_app
from tests.access.conftest import User, create_classes, make_role
from tests.conftest import APP_ID, MASTER_KEY, Api
from tests.processes import uvicorn_server


class LiveClient:
    def __init__(self, ws: Any) -> None:
        self.ws = ws

    async def send(self, message: Any) -> None:
        await self.ws.send(message if isinstance(message, str | bytes) else orjson.dumps(message).decode())

    async def recv(self, timeout: float = 5.0) -> dict[str, Any]:
        return dict(orjson.loads(await asyncio.wait_for(self.ws.recv(), timeout)))

    async def ask(self, message: Any) -> dict[str, Any]:
        await self.send(message)
        return await self.recv()

    async def nothing(self, wait: float = 0.4) -> None:
        """Assert that no message arrives within ``wait`` seconds."""
        try:
            got = await asyncio.wait_for(self.ws.recv(), wait)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected message: {got}")

    async def connect(self, **fields: Any) -> dict[str, Any]:
        reply = await self.ask({"op": "connect", "applicationId": APP_ID, **fields})
        assert reply["op"] == "connected", reply
        return reply

    async def subscribe(self, request_id: int, class_name: str, where: dict[str, Any] | None = None, **query: Any
                        ) -> dict[str, Any]:
        extra = {k: query.pop(k) for k in ("sessionToken", "lastEventId") if k in query}
        message = {"op": "subscribe", "requestId": request_id,
                   "query": {"className": class_name, "where": where or {}, **query}, **extra}
        reply = await self.ask(message)
        assert reply["op"] == "subscribed", reply
        return reply

    async def event(self, timeout: float = 5.0) -> dict[str, Any]:
        msg = await self.recv(timeout)
        assert msg["op"] in ("create", "update", "enter", "leave", "delete"), msg
        return msg


@dataclass
class LiveServer:
    core: Any
    http_url: str
    ws_url: str
    api: Api
    clients: list[Any] = field(default_factory=list)

    async def client(self, path: str = "/parse") -> LiveClient:
        ws = await websockets.connect(self.ws_url.rsplit("/parse", 1)[0] + path, ping_interval=None)
        self.clients.append(ws)
        return LiveClient(ws)

    async def user_client(self, token: str | None = None, master: bool = False) -> LiveClient:
        c = await self.client()
        fields: dict[str, Any] = {}
        if token:
            fields["sessionToken"] = token
        if master:
            fields["masterKey"] = MASTER_KEY
        await c.connect(**fields)
        return c


@pytest.fixture
def ws_impl() -> str:
    """uvicorn's WebSocket implementation; ``chartkeep serve``'s unless a test parametrizes it."""
    return "websockets-sansio"


@pytest.fixture
async def server(core: Any, ws_impl: str) -> AsyncIterator[LiveServer]:
    app = create_app(core.settings, core)
    await core.live.start()
    try:
        async with (
            uvicorn_server(app, host="127.0.0.1", port=0, log_level="warning", ws_ping_interval=None, ws=ws_impl,
                           ws_per_message_deflate=core.settings.live_query_compression) as port,
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http,
        ):
            live = LiveServer(core, f"http://127.0.0.1:{port}/parse", f"ws://127.0.0.1:{port}/parse", Api(http))
            try:
                yield live
            finally:
                for ws in live.clients:
                    with contextlib.suppress(Exception):
                        await ws.close()
    finally:
        await core.live.close()


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))


@dataclass
class People:
    alice: User
    bob: User
    carol: User  # holds role Reader (directly) and Lead (inherited)


@pytest.fixture
async def people(server: LiveServer) -> People:
    """``Doc``/``Other`` classes (tests/access) and three users; carol holds Reader and Lead."""
    api = server.api
    await create_classes(api)
    users = []
    for name in ("alice", "bob", "carol"):
        u = await api.signup(name, email=f"{name}@example.com")
        users.append(User(name, u["objectId"], u["sessionToken"]))
    reader = await make_role(api, "Reader", users=[users[2].id])
    await make_role(api, "Lead", roles=[reader])
    return People(*users)

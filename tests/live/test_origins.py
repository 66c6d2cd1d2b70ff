"""LiveQuery WebSockets follow ``allowed_origins``; the master key is refused from another origin."""

from __future__ import annotations

import pytest
import websockets

from tests.conftest import APP_ID, MASTER_KEY
from tests.live.conftest import LiveClient, LiveServer


async def test_websocket_origins_follow_allowed_origins(server: LiveServer) -> None:
    server.core.settings.allowed_origins = ["https://portal.example"]
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        await websockets.connect(server.ws_url, origin="https://evil.example", ping_interval=None)
    assert refused.value.response.status_code == 403
    ws = await websockets.connect(server.ws_url, origin="https://portal.example", ping_interval=None)
    server.clients.append(ws)
    await LiveClient(ws).connect()


async def test_master_key_connect_from_another_origin_is_refused(server: LiveServer) -> None:
    ws = await websockets.connect(server.ws_url, origin="https://evil.example", ping_interval=None)
    server.clients.append(ws)
    reply = await LiveClient(ws).ask({"op": "connect", "applicationId": APP_ID, "masterKey": MASTER_KEY})
    assert (reply["op"], reply["code"], reply["error"]) == ("error", 4, "Key in request is not valid")
    ws = await websockets.connect(server.ws_url, ping_interval=None)  # no Origin: not a browser page
    server.clients.append(ws)
    await LiveClient(ws).connect(masterKey=MASTER_KEY)

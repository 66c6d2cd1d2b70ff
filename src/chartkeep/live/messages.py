"""Server messages of the LiveQuery protocol, byte for byte as Parse Server writes them.

Parse's ``Client._pushEvent`` builds ``{op, clientId, installationId?, requestId?, object?,
original?}`` and ``Client.pushError`` ``{op:"error", error, code, reconnect, requestId}``.
Event messages are assembled from pre-encoded object bodies (each encoded once per event and
field set, see ``render``) so fan-out to many subscribers costs a concatenation each. Chartkeep
appends ``eventId`` to events (the resume extension, docs/livequery.md); clients ignore it.
"""

from __future__ import annotations

import orjson


def error(code: int, message: str, reconnect: bool = True, request_id: int | float | None = None) -> bytes:
    return orjson.dumps({"op": "error", "error": message, "code": code, "reconnect": reconnect, "requestId": request_id})


class Envelope:
    """The per-connection prefix ``{"op":…,"clientId":…,"installationId":…`` of every reply."""

    def __init__(self, client_id: str, installation_id: str | None) -> None:
        self.client_id = client_id
        self.installation_id = installation_id
        tail = orjson.dumps({"clientId": client_id, **({"installationId": installation_id} if installation_id else {})})
        self._tail = tail[1:-1]  # "clientId":"…","installationId":"…"

    def _head(self, op: str) -> bytes:
        return b'{"op":"' + op.encode() + b'",' + self._tail

    def simple(self, op: str, request_id: int | float | None = None, extra: bytes = b"") -> bytes:
        if request_id is None:
            return self._head(op) + extra + b"}"
        return self._head(op) + b',"requestId":' + orjson.dumps(request_id) + extra + b"}"

    def event(self, op: str, request_id: int | float, obj: bytes, original: bytes | None, event_id: str) -> bytes:
        out = self._head(op) + b',"requestId":' + orjson.dumps(request_id) + b',"object":' + obj
        if original is not None:
            out += b',"original":' + original
        return out + b',"eventId":' + orjson.dumps(event_id) + b"}"

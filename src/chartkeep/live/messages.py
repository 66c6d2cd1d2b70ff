"""Server messages of the LiveQuery protocol, byte for byte as Parse Server writes them.

Parse's ``Client._pushEvent`` builds ``{op, clientId, installationId?, requestId?, object?,
original?}`` and ``Client.pushError`` ``{op:"error", error, code, reconnect, requestId}``.
Event messages are assembled from pre-encoded parts: the subscriber's head (kept per subscription
and operation) and the tail (the object bodies, encoded once per event and field set, see
``render``), so fan-out to many subscribers costs one concatenation each. Chartkeep
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

    def event_head(self, op: str, request_id: int | float) -> bytes:
        """``{"op":…,"clientId":…,"requestId":…`` — the per-subscriber part of an event message."""
        return self._head(op) + b',"requestId":' + orjson.dumps(request_id)


def event_tail(obj: bytes, original: bytes | None, event_id: str) -> bytes:
    """``,"object":…,"original":…,"eventId":…}`` — the part of an event message every subscriber of
    one shape shares; an event message is ``Envelope.event_head(…) + event_tail(…)``."""
    out = b',"object":' + obj
    if original is not None:
        out += b',"original":' + original
    return out + b',"eventId":' + orjson.dumps(event_id) + b"}"

"""Client messages of the LiveQuery protocol, checked as Parse Server checks them.

Parse validates each message against JSON schemas (``RequestSchema.js``) with tv4 and answers
the first violation as ``{"op":"error","code":1,"error":<tv4 message>,"reconnect":true}``. The
same rules and messages are written out here: a general check (an object with a known ``op``),
then the operation's own schema (required keys, types, no unknown keys, ``keys``/``watch``
non-empty arrays of unique strings). Chartkeep adds one optional key, ``lastEventId`` on
``subscribe``/``update`` (resume, docs/livequery.md), and accepts ``query.fields``, the name
Parse Server before 5 and the Android SDK give ``keys``.
"""

from __future__ import annotations

from typing import Any

import orjson

OPS = ("connect", "subscribe", "unsubscribe", "update")


class FrameError(Exception):
    """A message that breaks the protocol's schema (Parse's error code 1)."""


Schema = dict[str, Any]

_STRING: Schema = {"type": "string"}
_NUMBER: Schema = {"type": "number"}
_NAMES_ARRAY: Schema = {"type": "array", "items": _STRING, "minItems": 1, "uniqueItems": True}
_QUERY: Schema = {
    "type": "object",
    "properties": {"className": _STRING, "where": {"type": "object"}, "keys": _NAMES_ARRAY, "watch": _NAMES_ARRAY,
                   "fields": _NAMES_ARRAY},
    "required": ["where", "className"],
}
_SUBSCRIBE: Schema = {
    "type": "object",
    "properties": {"op": {}, "requestId": _NUMBER, "query": _QUERY, "sessionToken": _STRING, "lastEventId": _STRING},
    "required": ["op", "requestId", "query"],
}
SCHEMAS: dict[str, Schema] = {
    "connect": {
        "type": "object",
        "properties": {
            "op": {},
            **{k: _STRING for k in ("applicationId", "javascriptKey", "masterKey", "clientKey", "windowsKey",
                                    "restAPIKey", "sessionToken", "installationId")},
        },
        "required": ["op", "applicationId"],
    },
    "subscribe": _SUBSCRIBE,
    "update": _SUBSCRIBE,
    "unsubscribe": {"type": "object", "properties": {"op": {}, "requestId": _NUMBER}, "required": ["op", "requestId"]},
}
_GENERAL: Schema = {"type": "object", "properties": {"op": {"type": "string", "enum": OPS}}, "required": ["op"], "open": True}


def _js_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _check(value: Any, schema: Schema) -> None:
    """Raise the first violation, in tv4's order and words."""
    kind = schema.get("type")
    if kind is not None and _js_type(value) != kind:
        raise FrameError(f"Invalid type: {_js_type(value)} (expected {kind})")
    if "enum" in schema and value not in schema["enum"]:
        raise FrameError(f"No enum match for: {orjson.dumps(value).decode()}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            raise FrameError(f"Array is too short ({len(value)}), minimum {schema['minItems']}")
        if schema.get("uniqueItems"):
            for i, a in enumerate(value):
                for j in range(i + 1, len(value)):
                    if a == value[j]:
                        raise FrameError(f"Array items are not unique (indices {i} and {j})")
        for item in value:
            _check(item, schema.get("items", {}))
    if isinstance(value, dict) and "properties" in schema:
        for name in schema.get("required", ()):
            if name not in value:
                raise FrameError(f"Missing required property: {name}")
        properties = schema["properties"]
        for key, item in value.items():
            if key in properties:
                _check(item, properties[key])
            elif not schema.get("open"):
                raise FrameError("Additional properties not allowed")


def parse_frame(text: str | bytes) -> dict[str, Any]:
    """The message as a dict, or ``FrameError`` with Parse's message."""
    try:
        message = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise FrameError("Invalid JSON") from None
    _check(message, _GENERAL)
    _check(message, SCHEMAS[message["op"]])
    return message

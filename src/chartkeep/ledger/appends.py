"""Clients appending their own events to the ledger (``POST /classes/AuditEvent`` or ``AuditLog``).

The seed's integration flow POSTs events such as ``sign_request``. The client chooses the event
and what it concerns; the server sets who (the session's user), when, from where (client IP) and
marks the entry ``source: client``. A client value for those is overwritten, as the template's
apps set them themselves. The class-level permission ``create`` of the class still applies.

What a client appends stays in the ledger as long as the ledger does: every row is part of the
hash chain, so removing one would break ``audit verify`` for every row after it. So a client's
appends are bounded where they enter instead (docs/limits.md): each event's fields, as JSON, are
at most ``audit_event_max_bytes`` (142 naming the limit), and one user (an anonymous caller: one
IP) may append ``audit_event_rate_limit`` per ``audit_event_rate_window`` and
``audit_event_daily_limit`` per 24 hours (HTTP 429, Parse's code 100, naming the limit). The
master key is not limited.
"""

from __future__ import annotations

from typing import Any

import orjson

from chartkeep.access import clp
from chartkeep.audit.entry import Entry
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.errors import Code, ParseError, TooManyRequests
from chartkeep.ledger import entries
from chartkeep.schema.dates import iso_ms, now_ms
from chartkeep.schema.ids import new_object_id
from chartkeep.storage.database import Conn

SERVER_SET = {"actor", "timestamp", "ipAddress", "createdAt", "updatedAt", "source", "seq", "hash", "prevHash",
              "ACL", "severity", "outcome"}
# class -> {field: (entry attribute, kind)}
FIELDS: dict[str, dict[str, tuple[str, str]]] = {
    "AuditEvent": {"eventType": ("event_type", "str"), "targetClass": ("target_class", "str"),
                   "targetId": ("target_id", "str"), "details": ("details", "str"),
                   "patient": ("patient", "Patient"), "metadata": ("metadata", "dict")},
    "AuditLog": {"action": ("event_type", "str"), "entityType": ("target_class", "str"),
                 "entityId": ("target_id", "str"), "summary": ("details", "str"), "metadata": ("metadata", "dict"),
                 "patient": ("patient", "PatientProfile")},
}
EVENT_FIELD = {"AuditEvent": "eventType", "AuditLog": "action"}
DAY = 86400


def check_size(core: Core, class_name: str, body: dict[str, Any]) -> None:
    """The client's fields as JSON (the server's own are set later) may be at most the setting."""
    limit = core.settings.audit_event_max_bytes
    try:
        size = len(orjson.dumps({k: v for k, v in body.items() if k not in SERVER_SET}))
    except TypeError:
        raise ParseError(Code.INVALID_JSON, f"{class_name}: the event is not valid JSON") from None
    if size > limit:
        raise ParseError(
            Code.VALIDATION_ERROR,
            f"{class_name}: an event may be at most {limit} bytes as JSON (audit_event_max_bytes); this one is {size}",
        )


def check_rate(core: Core, ctx: RequestContext) -> None:
    """Per user, in this process (each of N workers allows 1/N of the limits, as the login limits)."""
    if ctx.is_master:
        return
    settings = core.settings
    who = ctx.user_id or f"ip:{ctx.client_ip or 'unknown'}"
    workers = max(1, settings.workers)
    for name, limit, window, what in (
        ("audit_event_rate_limit", settings.audit_event_rate_limit, settings.audit_event_rate_window,
         f"{settings.audit_event_rate_limit} audit events per {settings.audit_event_rate_window} s"),
        ("audit_event_daily_limit", settings.audit_event_daily_limit, DAY,
         f"{settings.audit_event_daily_limit} audit events per 24 hours"),
    ):
        if limit <= 0:
            continue
        wait = core.audit_quota.take(f"{name}:{who}", max(1, limit // workers), window)
        if wait is not None:
            raise TooManyRequests(wait, f"Too many requests: a user may append at most {what} ({name}).")


def _value(class_name: str, name: str, kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "str":
        if not isinstance(value, str):
            raise ParseError(Code.INCORRECT_TYPE, f"schema mismatch for {class_name}.{name}; expected String")
        return value
    if kind == "dict":
        if not isinstance(value, dict):
            raise ParseError(Code.INCORRECT_TYPE, f"schema mismatch for {class_name}.{name}; expected Object")
        return value
    if not (isinstance(value, dict) and value.get("__type") == "Pointer" and value.get("className") == kind
            and isinstance(value.get("objectId"), str)):
        raise ParseError(Code.INCORRECT_TYPE, f"schema mismatch for {class_name}.{name}; expected Pointer<{kind}>")
    return value["objectId"]


def client_entry(ctx: RequestContext, class_name: str, body: dict[str, Any]) -> Entry:
    fields = FIELDS[class_name]
    values: dict[str, Any] = {}
    for name, raw in body.items():
        if name in SERVER_SET:
            continue
        if name not in fields:
            raise ParseError(Code.INVALID_KEY_NAME, f"{class_name} has no field {name} a client may set.")
        attribute, kind = fields[name]
        values[attribute] = _value(class_name, name, kind, raw)
        if kind in ("Patient", "PatientProfile") and values[attribute]:
            values["patient_class"] = kind
    if not values.get("event_type"):
        raise ParseError(Code.VALIDATION_ERROR, f"{EVENT_FIELD[class_name]} is required")
    event = entries.entry(ctx, values.pop("event_type"), **values)
    event.source = "client"
    return event


async def create(core: Core, ctx: RequestContext, class_name: str, body: dict[str, Any],
                 conn: Conn | None) -> dict[str, Any]:
    schema = core.schema_or_404(class_name)
    clp.require(ctx, schema, "create")
    check_size(core, class_name, body)
    event = client_entry(ctx, class_name, body)
    check_rate(core, ctx)
    event.object_id, event.time = new_object_id(), now_ms()
    await entries.record(core, conn, [event])  # in a batch transaction: committed with it
    return {"objectId": event.object_id, "createdAt": iso_ms(event.time)}

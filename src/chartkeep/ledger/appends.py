"""Clients appending their own events to the ledger (``POST /classes/AuditEvent`` or ``AuditLog``).

The seed's integration flow POSTs events such as ``sign_request``. The client chooses the event
and what it concerns; the server sets who (the session's user), when, from where (client IP) and
marks the entry ``source: client``. A client value for those is overwritten, as the template's
apps set them themselves. The class-level permission ``create`` of the class still applies.
"""

from __future__ import annotations

from typing import Any

from chartkeep.access import clp
from chartkeep.audit.entry import Entry
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.errors import Code, ParseError
from chartkeep.ledger import entries as audit
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
    event = audit.entry(ctx, values.pop("event_type"), **values)
    event.source = "client"
    return event


async def create(core: Core, ctx: RequestContext, class_name: str, body: dict[str, Any],
                 conn: Conn | None) -> dict[str, Any]:
    schema = core.schema_or_404(class_name)
    clp.require(ctx, schema, "create")
    event = client_entry(ctx, class_name, body)
    event.object_id, event.time = new_object_id(), now_ms()
    await audit.record(core, conn, [event])  # in a batch transaction: committed with it
    return {"objectId": event.object_id, "createdAt": iso_ms(event.time)}

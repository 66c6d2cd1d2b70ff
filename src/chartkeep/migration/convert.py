"""Parse REST objects → Chartkeep rows of a class, and the fields a class must gain to hold them.

A value is checked and stored as the class's field type says (schema/codec.py), after the forms
Parse Server's MongoDB layout uses for some types are read as Parse JSON: a File as its name, a
Date as an ISO string, a GeoPoint as ``[longitude, latitude]``. objectId, createdAt and updatedAt
are kept; the ACL becomes the ``_rperm``/``_wperm`` columns as it was, every user and role in it
keeping its access. A ``_User`` keeps its bcrypt ``_hashed_password``; session tokens and auth
data are not imported.
"""

from __future__ import annotations

from typing import Any

from chartkeep.access.acl import acl_to_perms
from chartkeep.errors import Code, ParseError
from chartkeep.schema.codec import decode, decode_date, infer_spec
from chartkeep.schema.dates import now_ms
from chartkeep.schema.model import ClassSchema, FieldSpec, valid_field_name

# Parse Server's own state: not data a team moves (sessions: users sign in again)
SKIPPED_CLASSES = frozenset({"_Session", "_PushStatus", "_JobStatus", "_JobSchedule", "_Hooks", "_GlobalConfig",
                             "_GraphQLConfig", "_Audience", "_Idempotency", "_SCHEMA"})
SPECIAL = ("objectId", "createdAt", "updatedAt", "ACL")
DROPPED = frozenset({"sessionToken", "authData", "password", "__type", "className"})
HIDDEN = {"_User": ("_hashed_password",)}


def parse_json(spec: FieldSpec, raw: Any) -> Any:
    """A value in the form Parse Server's database keeps for ``spec``'s type → Parse JSON."""
    if spec.type == "File" and isinstance(raw, str):
        return {"__type": "File", "name": raw}
    if spec.type == "Date" and isinstance(raw, str):
        return {"__type": "Date", "iso": raw}
    if spec.type == "GeoPoint" and isinstance(raw, list) and len(raw) == 2:
        return {"__type": "GeoPoint", "latitude": raw[1], "longitude": raw[0]}
    return raw


def new_fields(schema: ClassSchema | None, objects: list[dict[str, Any]],
               exported: dict[str, FieldSpec] | None = None) -> dict[str, FieldSpec]:
    """The fields ``objects`` carry that the class does not have: typed as the exported schema
    says (``exported``), else from their first value."""
    known = set(schema.fields) if schema else set()
    found: dict[str, FieldSpec] = {}
    for obj in objects:
        for name, raw in obj.items():
            if name in SPECIAL or name in DROPPED or name.startswith("_") or name in known or name in found:
                continue
            if not valid_field_name(name):
                raise ParseError(Code.INVALID_KEY_NAME, f"invalid field name: {name}")
            spec = (exported or {}).get(name) or infer_spec(raw)
            if spec is not None and spec.type != "Relation":
                found[name] = spec
    return found


def _time(obj: dict[str, Any], name: str) -> Any:
    raw = obj.get(name)
    if raw is None:
        return now_ms()
    return decode_date(raw if isinstance(raw, dict) else {"iso": raw})


def to_row(schema: ClassSchema, obj: dict[str, Any]) -> dict[str, Any]:
    """The row to store (internal values); ParseError for a value its field cannot hold."""
    object_id = obj.get("objectId")
    if not isinstance(object_id, str) or not object_id:
        raise ParseError(Code.MISSING_OBJECT_ID, "an object without an objectId")
    row: dict[str, Any] = {"objectId": object_id, "createdAt": _time(obj, "createdAt"),
                           "updatedAt": _time(obj, "updatedAt")}
    acl = obj.get("ACL")
    if acl is not None:
        row["_rperm"], row["_wperm"] = acl_to_perms(acl)
    for name, raw in obj.items():
        if name in SPECIAL or name in DROPPED or raw is None:
            continue
        if name.startswith("_"):
            if name in HIDDEN.get(schema.name, ()) and isinstance(raw, str):
                row[name] = raw
            continue
        spec = schema.fields.get(name)
        if spec is None or spec.type == "Relation":
            continue  # a relation's pairs come from its _Join file
        row[name] = decode(schema.name, name, spec, parse_json(spec, raw))
    return row

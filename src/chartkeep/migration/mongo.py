"""MongoDB documents as Parse Server stores them → objects in the Parse REST shape.

Parse Server's MongoDB layout: ``_id`` (the objectId), ``_created_at``/``_updated_at``,
``_p_<field>: "Class$objectId"`` (a pointer), ``_acl`` (``{"<principal>": {"r": true, "w": true}}``)
with ``_rperm``/``_wperm`` (the principals who may read / write), ``_hashed_password`` on users,
dates as extended JSON (``{"$date": …}``), numbers as ``{"$numberLong": …}`` and the like. Other
``_`` columns (tokens, lockout counters, auth data, password history, tombstones) are Parse
Server's own state: sessions are not imported (users sign in again), so they are dropped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chartkeep.schema.dates import iso_ms, parse_iso
from chartkeep.schema.model import FieldSpec

KEPT = ("_hashed_password",)  # the bcrypt hash users log in with (argon2id from their next login)


def is_mongo(doc: dict[str, Any]) -> bool:
    return "_id" in doc or "_created_at" in doc or any(k.startswith("_p_") for k in doc)


def _date_iso(value: Any) -> str | None:
    if isinstance(value, dict) and "$date" in value:
        value = value["$date"]
        if isinstance(value, dict) and "$numberLong" in value:
            value = int(value["$numberLong"])
    if isinstance(value, int | float) and not isinstance(value, bool):
        return iso_ms(datetime.fromtimestamp(value / 1000, UTC))
    if isinstance(value, str):
        try:
            return iso_ms(parse_iso(value))
        except ValueError:
            return None
    if isinstance(value, datetime):
        return iso_ms(value)
    return None


def value(raw: Any) -> Any:
    """One extended-JSON value → Parse JSON."""
    if isinstance(raw, dict):
        if "$date" in raw:
            iso = _date_iso(raw)
            return {"__type": "Date", "iso": iso} if iso else raw
        for key in ("$numberLong", "$numberInt"):
            if key in raw:
                return int(raw[key])
        if "$numberDouble" in raw:
            return float(raw["$numberDouble"])
        if "$numberDecimal" in raw:
            return float(raw["$numberDecimal"])
        if "$oid" in raw:
            return raw["$oid"]
        return {k: value(v) for k, v in raw.items()}
    if isinstance(raw, list):
        return [value(v) for v in raw]
    return raw


def _acl(doc: dict[str, Any]) -> dict[str, dict[str, bool]] | None:
    if "_rperm" in doc or "_wperm" in doc:  # what Parse Server queries by: authoritative
        acl: dict[str, dict[str, bool]] = {}
        for principal in doc.get("_rperm") or []:
            acl.setdefault(principal, {})["read"] = True
        for principal in doc.get("_wperm") or []:
            acl.setdefault(principal, {})["write"] = True
        return acl
    stored = doc.get("_acl")
    if isinstance(stored, dict):
        acl = {}
        for principal, grant in stored.items():
            if isinstance(grant, dict):
                acl[principal] = {k: True for k, short in (("read", "r"), ("write", "w")) if grant.get(short)}
        return acl
    return None


def from_mongo(doc: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "_id" in doc:
        out["objectId"] = value(doc["_id"])
    for stored, name in (("_created_at", "createdAt"), ("_updated_at", "updatedAt")):
        if stored in doc:
            out[name] = _date_iso(doc[stored])
    acl = _acl(doc)
    if acl is not None:
        out["ACL"] = acl
    for key, raw in doc.items():
        if key.startswith("_p_"):
            if isinstance(raw, str) and "$" in raw:
                target, object_id = raw.split("$", 1)
                out[key[3:]] = {"__type": "Pointer", "className": target, "objectId": object_id}
            continue
        if key in KEPT:
            out[key] = raw
            continue
        if key.startswith("_"):
            continue
        out[key] = value(raw)
    return out


MONGO_TYPES = {"string": "String", "number": "Number", "boolean": "Boolean", "date": "Date", "object": "Object",
               "array": "Array", "geopoint": "GeoPoint", "file": "File", "bytes": "Bytes", "polygon": "Polygon"}


def _field_type(raw: Any) -> FieldSpec | None:
    if isinstance(raw, dict):  # the REST shape of /schemas: {"type": ..., "targetClass": ...}
        kind = raw.get("type")
        return FieldSpec(kind, raw.get("targetClass")) if isinstance(kind, str) else None
    if not isinstance(raw, str):
        return None
    if raw.startswith("*"):
        return FieldSpec("Pointer", raw[1:])
    if raw.startswith("relation<") and raw.endswith(">"):
        return FieldSpec("Relation", raw[len("relation<"):-1])
    kind = MONGO_TYPES.get(raw)
    return FieldSpec(kind) if kind else None


def schema_types(docs: list[dict[str, Any]]) -> dict[str, dict[str, FieldSpec]]:
    """Parse Server's ``_SCHEMA`` collection (``{"_id": "Class", "field": "string" | "*Target" |
    "relation<Target>", …}``) or a ``GET /schemas`` answer → field types by class."""
    out: dict[str, dict[str, FieldSpec]] = {}
    for doc in docs:
        name = doc.get("_id") or doc.get("className")
        if not isinstance(name, str):
            continue
        fields: dict[str, Any] = doc["fields"] if isinstance(doc.get("fields"), dict) else doc
        found = {}
        for key, raw in fields.items():
            if key.startswith("_") or key in ("objectId", "createdAt", "updatedAt", "ACL", "className"):
                continue
            spec = _field_type(raw)
            if spec is not None:
                found[key] = spec
        out[name] = found
    return out

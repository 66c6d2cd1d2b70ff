"""Parse JSON values ↔ internal values, checked against a field's declared type.

Decoding is where a client's value meets the schema: a mismatch is Parse error 111 with Parse's
own wording (``schema mismatch for Class.field; expected Number but got String``).
Encoding turns stored internal values back into the exact JSON shapes the Parse SDKs expect.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from chartkeep.errors import Code, ParseError
from chartkeep.schema.dates import iso_ms, parse_iso
from chartkeep.schema.model import FieldSpec


def type_label(spec: FieldSpec) -> str:
    return f"{spec.type}<{spec.target_class}>" if spec.target_class else spec.type


def infer_spec(value: Any) -> FieldSpec | None:
    """The field type a value implies (used when the master key adds a field by saving it)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return FieldSpec("Boolean")
    if isinstance(value, (int, float)):
        return FieldSpec("Number")
    if isinstance(value, str):
        return FieldSpec("String")
    if isinstance(value, list):
        return FieldSpec("Array")
    if isinstance(value, dict):
        kind = value.get("__type")
        if kind in ("Pointer", "Relation"):
            target = value.get("className")
            return FieldSpec(kind, target if isinstance(target, str) else None)
        if kind in ("Date", "File", "GeoPoint", "Bytes", "Polygon"):
            return FieldSpec(kind)
        op = value.get("__op")
        if op in ("AddRelation", "RemoveRelation"):
            objs = value.get("objects") or [{}]
            first = objs[0] if isinstance(objs, list) and objs and isinstance(objs[0], dict) else {}
            return FieldSpec("Relation", first.get("className"))
        if op == "Increment":
            return FieldSpec("Number")
        if op in ("Add", "AddUnique", "Remove"):
            return FieldSpec("Array")
        if op == "Delete":
            return None
        return FieldSpec("Object")
    return None


def _mismatch(class_name: str, field: str, spec: FieldSpec, got: FieldSpec | None) -> ParseError:
    got_label = type_label(got) if got else "null"
    return ParseError(
        Code.INCORRECT_TYPE,
        f"schema mismatch for {class_name}.{field}; expected {type_label(spec)} but got {got_label}",
    )


def decode(class_name: str, field: str, spec: FieldSpec, value: Any) -> Any:
    """Check ``value`` against ``spec`` and return the internal value (None stays None)."""
    if value is None:
        return None
    got = infer_spec(value)
    if got is None or got.type != spec.type or (
        spec.type == "Pointer" and got.target_class != spec.target_class
    ):
        raise _mismatch(class_name, field, spec, got)
    kind = spec.type
    if kind in ("String", "Boolean", "Array"):
        return value
    if kind == "Number":
        return value
    if kind == "Object":
        return value
    if kind == "Date":
        return decode_date(value)
    if kind == "Pointer":
        object_id = value.get("objectId")
        if not isinstance(object_id, str) or not object_id:
            raise ParseError(Code.INVALID_POINTER, f"invalid pointer for {field}")
        return object_id
    if kind == "File":
        name = value.get("name")
        if not isinstance(name, str) or not name:
            raise ParseError(Code.INVALID_FILE_NAME, "Invalid file name.")
        return name
    if kind == "Bytes":
        data = value.get("base64")
        try:
            base64.b64decode(data or "", validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise ParseError(Code.INCORRECT_TYPE, f"invalid Bytes for {field}") from None
        return data
    if kind == "GeoPoint":
        return decode_geopoint(value)
    if kind == "Polygon":
        coords = value.get("coordinates")
        if not isinstance(coords, list) or len(coords) < 3:
            raise ParseError(Code.INCORRECT_TYPE, "Polygon must have at least 3 values")
        return coords
    raise _mismatch(class_name, field, spec, got)


def decode_date(value: Any) -> datetime:
    iso = value.get("iso") if isinstance(value, dict) else None
    if not isinstance(iso, str):
        raise ParseError(Code.INCORRECT_TYPE, "invalid date")
    try:
        return parse_iso(iso)
    except ValueError:
        raise ParseError(Code.INCORRECT_TYPE, f"invalid date: {iso}") from None


def _number(n: Any) -> bool:
    return isinstance(n, int | float) and not isinstance(n, bool)


def decode_geopoint(value: dict[str, Any]) -> dict[str, float]:
    lat, lng = value.get("latitude"), value.get("longitude")
    if not (_number(lat) and _number(lng)):
        raise ParseError(Code.INVALID_JSON, "GeoPoint latitude and longitude must be numbers")
    assert isinstance(lat, int | float) and isinstance(lng, int | float)
    if not -90 <= lat <= 90:
        raise ParseError(Code.INVALID_JSON, "GeoPoint latitude out of bounds")
    if not -180 <= lng <= 180:
        raise ParseError(Code.INVALID_JSON, "GeoPoint longitude out of bounds")
    return {"latitude": lat, "longitude": lng}


def encode(spec: FieldSpec, value: Any, files_url: str) -> Any:
    """Internal value → the Parse JSON a client receives."""
    if value is None:
        return None
    kind = spec.type
    if kind == "Date":
        return {"__type": "Date", "iso": iso_ms(value)}
    if kind == "Pointer":
        return {"__type": "Pointer", "className": spec.target_class, "objectId": value}
    if kind == "File":
        return {"__type": "File", "name": value, "url": files_url + value}
    if kind == "Bytes":
        return {"__type": "Bytes", "base64": value}
    if kind == "GeoPoint":
        return {"__type": "GeoPoint", **value}
    if kind == "Polygon":
        return {"__type": "Polygon", "coordinates": value}
    return value

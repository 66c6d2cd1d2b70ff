"""Parse JSON query values → internal values, and the JSON value semantics shared by all back ends.

``json_equal``/``kind`` define equality and type brackets for values that live inside JSON
(Array elements, Object sub-keys); the in-memory matcher and SQLite's helper functions both
use them, and the PostgreSQL spelling (``jsonb`` equality) agrees with them.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import orjson

from chartkeep.errors import Code, ParseError
from chartkeep.schema.dates import iso_ms, parse_iso

# Field types whose column holds a string (comparable, regex-able).
TEXT_TYPES = frozenset({"String", "Pointer", "File", "Bytes"})
# Field types whose top-level column is JSON (equality only).
JSON_COLUMN_TYPES = frozenset({"Object", "GeoPoint", "Polygon"})
# Field types whose sub-keys ("field.a.b") can be queried.
PATH_TYPES = frozenset({"Object", "GeoPoint"})
# The pseudo type of a field the class does not have: it is missing on every object.
UNKNOWN = "Unknown"


class Mismatch(Exception):
    """The value can never equal a value of the field's type (the constraint matches nothing)."""


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def kind(value: Any) -> str:
    """The type bracket of a JSON value: null, bool, number, string, array, object."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, datetime):
        return "date"
    return "object"


def json_equal(a: Any, b: Any) -> bool:
    """Structural equality of JSON values: numbers numerically, booleans never equal numbers."""
    ka, kb = kind(a), kind(b)
    if ka != kb:
        return False
    if ka == "number":
        return float(a) == float(b)
    if ka == "array":
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if ka == "object":
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    return bool(a == b)


def js_str(value: Any) -> str:
    """How JavaScript's ``String(value)`` prints a JSON value (for Parse-compatible messages)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ",".join("" if v is None else js_str(v) for v in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


def json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


def js_truthy(value: Any) -> bool:
    """JavaScript truthiness of a JSON value (``$exists`` takes any value, as Parse does)."""
    if value is None or value is False or value == "":
        return False
    return not (is_number(value) and value == 0)


MAX_JSON_DEPTH = 64


def check_json(where: Any) -> None:
    """Reject what no database can compare, before any recursive work: nesting deeper than
    ``MAX_JSON_DEPTH``, strings with NUL (PostgreSQL text cannot hold one), numbers a double
    cannot hold. Iterative, so hostile input cannot exhaust the stack."""
    stack: list[tuple[Any, int]] = [(where, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise ParseError(Code.INVALID_QUERY, "query is nested too deeply")
        if isinstance(value, dict):
            stack.extend((k, depth + 1) for k in value)
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
        elif isinstance(value, str):
            if "\x00" in value:
                raise ParseError(Code.INVALID_JSON, "bad atom: strings cannot contain NUL characters")
        elif is_number(value):
            try:
                ok = math.isfinite(float(value))
            except OverflowError:
                ok = False
            if not ok:
                raise ParseError(Code.INVALID_JSON, f"bad atom: {value!r} is not a finite double")


def _bad_atom(value: Any) -> ParseError:
    return ParseError(Code.INVALID_JSON, f"bad atom: {json_text(value)}")


def _date(text: Any, original: Any) -> datetime:
    if not isinstance(text, str):
        raise _bad_atom(original)
    try:
        return parse_iso(text)
    except ValueError:
        raise _bad_atom(original) from None


def interior(value: Any) -> Any:
    """Normalise Parse JSON that is compared inside JSON (Array elements, Object sub-keys)."""
    if isinstance(value, list):
        return [interior(v) for v in value]
    if not isinstance(value, dict):
        return value
    t = value.get("__type")
    if t == "Pointer":
        cls, oid = value.get("className"), value.get("objectId")
        if not isinstance(cls, str) or not isinstance(oid, str):
            raise _bad_atom(value)
        return {"__type": "Pointer", "className": cls, "objectId": oid}
    if t == "Date":
        return {"__type": "Date", "iso": iso_ms(_date(value.get("iso"), value))}
    return {k: interior(v) for k, v in value.items()}


def path_value(value: Any) -> Any:
    """A value compared under an Object sub-key: a Parse Date becomes a datetime."""
    value = interior(value)
    if isinstance(value, dict) and value.get("__type") == "Date":
        return parse_iso(value["iso"])
    return value


def is_atom(value: Any) -> bool:
    """Whether Parse accepts the value as a top-level query value (not a plain object or list)."""
    if value is None or isinstance(value, bool | int | float | str):
        return True
    if not isinstance(value, dict):
        return False
    return value.get("__type") in {"Pointer", "Date", "Bytes", "GeoPoint", "Polygon", "File"}


def to_internal(field_type: str, target: str | None, value: Any) -> Any:
    """Decode a non-null Parse JSON atom for a column of ``field_type``; ``Mismatch`` if it can't match."""
    t = value.get("__type") if isinstance(value, dict) else None
    if field_type == "String":
        if isinstance(value, str):
            return value
    elif field_type == "Number":
        if is_number(value):
            return value
    elif field_type == "Boolean":
        if isinstance(value, bool):
            return value
    elif field_type == "Date":
        if t == "Date":
            return _date(value.get("iso"), value)
        if isinstance(value, str):
            try:
                return parse_iso(value)
            except ValueError:
                raise Mismatch from None
    elif field_type == "Pointer":
        if t == "Pointer":
            ptr = interior(value)
            if target is not None and ptr["className"] != target:
                raise Mismatch
            return ptr["objectId"]
        if isinstance(value, str):
            return value
    elif field_type == "File":
        if t == "File" and isinstance(value.get("name"), str):
            return value["name"]
        if isinstance(value, str):
            return value
    elif field_type == "Bytes":
        if t == "Bytes" and isinstance(value.get("base64"), str):
            return value["base64"]
        if isinstance(value, str):
            return value
    elif field_type == "GeoPoint":
        if t == "GeoPoint":
            lat, lng = value.get("latitude"), value.get("longitude")
            if not is_number(lat) or not is_number(lng):
                raise _bad_atom(value)
            return {"latitude": lat, "longitude": lng}
    elif field_type == "Polygon" and t == "Polygon" and isinstance(value.get("coordinates"), list):
        return value["coordinates"]
    raise Mismatch


def check_atom(value: Any, *, top: bool) -> None:
    """Raise Parse's error for a value that is neither an atom nor allowed here."""
    if is_atom(value):
        return
    if top:
        raise ParseError(Code.INVALID_JSON, f"You cannot use {js_str(value)} as a query parameter.")
    raise _bad_atom(value)

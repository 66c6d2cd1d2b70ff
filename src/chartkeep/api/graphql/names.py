"""Names and ids as Parse's GraphQL API spells them.

``_User`` is the type ``User``; a class ``MedicalNote`` gets the queries ``medicalNote`` (get) and
``medicalNotes`` (find) and the mutations ``createMedicalNote``/``updateMedicalNote``/
``deleteMedicalNote``. Object ``id``s are Relay global ids (base64 of ``ClassName:objectId``, the
Parse class name); every place that takes an id also takes a plain objectId, as in Parse.
Cursors are graphql-relay's ``arrayconnection:<offset>`` in base64.
"""

from __future__ import annotations

import base64
import binascii
import re

from chartkeep.errors import Code, ParseError

# Classes never exposed (sessions are listed through REST /sessions; the rest are Parse internals).
HIDDEN_CLASSES = frozenset({
    "_Session", "_Installation", "_Audience", "_Idempotency", "_PushStatus", "_JobStatus", "_GlobalConfig",
})
# Type names the generated schema defines itself; a class with one of these names is left out.
RESERVED_TYPES = frozenset({
    "Query", "Mutation", "Subscription", "Date", "Object", "Any", "Bytes", "File", "GeoPoint", "PageInfo",
    "Viewer", "Node", "CloudCodeFunction", "String", "Int", "Float", "Boolean", "ID",
})
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
CURSOR_PREFIX = "arrayconnection:"


def type_name(class_name: str) -> str:
    name = class_name[1:] if class_name.startswith("_") else class_name
    return name[0].upper() + name[1:]


def lower_first(name: str) -> str:
    return name[0].lower() + name[1:]


def pluralize(word: str) -> str:
    """English plural for the find query (``patients``, ``appointments``, ``signatures``,
    ``crisisInterventionLogs``, ``breakGlassAccesses``, ``categories``)."""
    lower = word.lower()
    if re.search(r"[^aeiou]y$", lower):
        return word[:-1] + "ies"
    if re.search(r"(s|x|z|ch|sh)$", lower):
        return word + "es"
    return word + "s"


def to_global_id(class_name: str, object_id: str) -> str:
    return base64.b64encode(f"{class_name}:{object_id}".encode()).decode()


def from_global_id(value: str, class_name: str) -> str:
    """The objectId in ``value``: a global id of ``class_name`` decoded, anything else as given."""
    try:
        decoded = base64.b64decode(value.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return value
    prefix, _, object_id = decoded.partition(":")
    return object_id if prefix == class_name and object_id else value


def to_cursor(offset: int) -> str:
    return base64.b64encode(f"{CURSOR_PREFIX}{offset}".encode()).decode()


def from_cursor(cursor: str, what: str) -> int:
    try:
        decoded = base64.b64decode(cursor.encode(), validate=True).decode()
        if decoded.startswith(CURSOR_PREFIX):
            offset = int(decoded[len(CURSOR_PREFIX):])
            if offset >= 0:
                return offset
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise ParseError(Code.INVALID_QUERY, f"{what} is not a valid cursor")

"""The in-memory shape of a Parse class schema.

A ``ClassSchema`` is what every layer consults to know a field's type: the REST layer to decode
Parse JSON, the query compiler to type comparisons, storage to pick a column type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

FIELD_TYPES = frozenset(
    {
        "String",
        "Number",
        "Boolean",
        "Date",
        "Object",
        "Array",
        "Pointer",
        "Relation",
        "File",
        "Bytes",
        "GeoPoint",
        "Polygon",
        "ACL",
    }
)

# Fields every class has; they are managed by the server and never declared by a client.
DEFAULT_FIELDS: dict[str, str] = {
    "objectId": "String",
    "createdAt": "Date",
    "updatedAt": "Date",
    "ACL": "ACL",
}

CLASS_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
SYSTEM_CLASSES = frozenset({
    "_User", "_Session", "_Role", "_Installation", "_PushStatus", "_GlobalConfig", "_Audience", "_Idempotency",
    "_JobStatus", "_Hooks",
})
FIELD_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def valid_class_name(name: str) -> bool:
    return name in SYSTEM_CLASSES or bool(CLASS_NAME_RE.match(name))


def valid_field_name(name: str) -> bool:
    return bool(FIELD_NAME_RE.match(name))


@dataclass(frozen=True, slots=True)
class FieldSpec:
    type: str
    target_class: str | None = None  # Pointer / Relation
    required: bool = False
    default: Any = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        if self.target_class is not None:
            out["targetClass"] = self.target_class
        if self.required:
            out["required"] = True
        if self.default is not None:
            out["defaultValue"] = self.default
        return out


@dataclass(slots=True)
class ClassSchema:
    name: str
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    clp: dict[str, Any] = field(default_factory=dict)
    indexes: dict[str, Any] = field(default_factory=dict)

    def field_type(self, name: str) -> str | None:
        spec = self.fields.get(name)
        if spec is not None:
            return spec.type
        return DEFAULT_FIELDS.get(name)

    def spec(self, name: str) -> FieldSpec | None:
        spec = self.fields.get(name)
        if spec is None and name in DEFAULT_FIELDS:
            return FieldSpec(DEFAULT_FIELDS[name])
        return spec

    def column_fields(self) -> dict[str, FieldSpec]:
        """Declared fields that own a column (Relations live in join tables)."""
        return {n: s for n, s in self.fields.items() if s.type != "Relation"}

    def to_json(self) -> dict[str, Any]:
        fields = {n: {"type": t} for n, t in DEFAULT_FIELDS.items()}
        for n, s in self.fields.items():
            fields[n] = s.to_json()
        return {
            "className": self.name,
            "fields": fields,
            "classLevelPermissions": self.clp,
            "indexes": self.indexes or {"_id_": {"_id": 1}},
        }


class SchemaLookup(Protocol):
    """Read access to the live class registry."""

    def get(self, class_name: str) -> ClassSchema | None: ...


def field_from_json(data: dict[str, Any]) -> FieldSpec:
    return FieldSpec(
        type=data["type"],
        target_class=data.get("targetClass"),
        required=bool(data.get("required", False)),
        default=data.get("defaultValue"),
    )


def class_from_json(data: dict[str, Any]) -> ClassSchema:
    fields = {
        name: field_from_json(spec)
        for name, spec in (data.get("fields") or {}).items()
        if name not in DEFAULT_FIELDS
    }
    return ClassSchema(
        name=data["className"],
        fields=fields,
        clp=dict(data.get("classLevelPermissions") or {}),
        indexes=dict(data.get("indexes") or {}),
    )

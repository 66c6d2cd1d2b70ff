"""Create/update ``fields`` inputs → the Parse REST JSON body the write services take.

Only the shape changes here (a pointer's ``{link: id}`` becomes ``{"__type": "Pointer", ...}``,
a relation's ``{add: [...]}`` an ``AddRelation`` op); every rule about the values — types,
required fields, clinical rules, ACLs — is the write pipeline's, exactly as for REST.
"""

from __future__ import annotations

from typing import Any

from chartkeep.api.graphql.names import from_global_id
from chartkeep.errors import Code, ParseError
from chartkeep.schema.model import ClassSchema


def pointer(class_name: str, object_id: str) -> dict[str, str]:
    return {"__type": "Pointer", "className": class_name, "objectId": from_global_id(object_id, class_name)}


def to_parse_body(fields: dict[str, Any] | None, schema: ClassSchema) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for name, value in (fields or {}).items():
        spec = schema.fields.get(name)
        if spec is None or value is None:
            body[name] = value
        elif spec.type == "Pointer" and "link" in value:
            target = spec.target_class or ""
            body[name] = None if value["link"] is None else pointer(target, value["link"])
        elif spec.type == "Relation":
            body[name] = _relation_op(value, spec.target_class or "", name)
        elif spec.type == "GeoPoint":
            body[name] = {"__type": "GeoPoint", **value}
        elif spec.type == "Bytes" and isinstance(value, str):
            body[name] = {"__type": "Bytes", "base64": value}
        else:
            body[name] = value
    return body


def _relation_op(value: dict[str, Any], target: str, name: str) -> dict[str, Any]:
    ops = [(op, ids) for op, ids in value.items() if ids is not None]
    if len(ops) != 1:
        raise ParseError(Code.INVALID_JSON, f"{name}: give one of add or remove")
    op, ids = ops[0]
    return {"__op": "AddRelation" if op == "add" else "RemoveRelation", "objects": [pointer(target, i) for i in ids]}

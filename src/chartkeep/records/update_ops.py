"""Parse's update operators (``{"__op": ...}``) applied to a field's current internal value."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from chartkeep.errors import Code, ParseError
from chartkeep.schema.model import FieldSpec

OPS = frozenset({"Increment", "Add", "AddUnique", "Remove", "Delete", "AddRelation", "RemoveRelation", "Batch"})


@dataclass(slots=True)
class RelationChange:
    add: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)


def is_op(value: Any) -> bool:
    return isinstance(value, dict) and "__op" in value


def _identity(value: Any) -> Any:
    if isinstance(value, dict) and value.get("__type") in ("Pointer", "Object") and "objectId" in value:
        return ("pointer", value.get("className"), value["objectId"])
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def _objects(op: dict[str, Any], name: str) -> list[Any]:
    objects = op.get("objects")
    if not isinstance(objects, list):
        raise ParseError(Code.INVALID_JSON, f"objects to {name} must be an array")
    return objects


def _relation_ids(op: dict[str, Any], spec: FieldSpec, name: str) -> list[str]:
    ids = []
    for obj in _objects(op, name):
        if not isinstance(obj, dict) or obj.get("__type") != "Pointer" or not isinstance(obj.get("objectId"), str):
            raise ParseError(Code.INVALID_JSON, f"{name}: objects must be pointers")
        if spec.target_class and obj.get("className") != spec.target_class:
            raise ParseError(
                Code.INCORRECT_TYPE, f"Trying to add a relation to {obj.get('className')} on a relation to "
                f"{spec.target_class}",
            )
        ids.append(obj["objectId"])
    return ids


def apply(field_name: str, spec: FieldSpec, op: dict[str, Any], current: Any) -> Any:
    """The new internal value, or a RelationChange for Relation fields."""
    kind = op.get("__op")
    if kind not in OPS:
        raise ParseError(Code.INVALID_JSON, f"The operation {kind} is not supported")
    if kind == "Delete":
        return None
    if spec.type == "Relation":
        return _relation(field_name, spec, op)
    if kind == "Increment":
        amount = op.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, (int, float)):
            raise ParseError(Code.INVALID_JSON, "incrementing must provide a number")
        if spec.type != "Number":
            raise ParseError(Code.INCORRECT_TYPE, f"Cannot increment a field that is not a number: {field_name}")
        base = current if isinstance(current, (int, float)) and not isinstance(current, bool) else 0
        return base + amount
    if kind in ("Add", "AddUnique", "Remove"):
        if spec.type != "Array":
            raise ParseError(
                Code.INCORRECT_TYPE,
                f"schema mismatch for field {field_name}; expected {spec.type} but got Array",
            )
        items = list(current) if isinstance(current, list) else []
        objects = _objects(op, kind)
        if kind == "Add":
            return items + objects
        if kind == "AddUnique":
            seen = {_identity(v) for v in items}
            for obj in objects:
                key = _identity(obj)
                if key not in seen:
                    seen.add(key)
                    items.append(obj)
            return items
        drop = {_identity(v) for v in objects}
        return [v for v in items if _identity(v) not in drop]
    raise ParseError(Code.INVALID_JSON, f"The operation {kind} is not supported on {spec.type}")


def _relation(field_name: str, spec: FieldSpec, op: dict[str, Any]) -> RelationChange:
    kind = op["__op"]
    change = RelationChange()
    if kind == "AddRelation":
        change.add = _relation_ids(op, spec, kind)
    elif kind == "RemoveRelation":
        change.remove = _relation_ids(op, spec, kind)
    elif kind == "Batch":
        ops = op.get("ops")
        if not isinstance(ops, list):
            raise ParseError(Code.INVALID_JSON, "Batch ops must be an array")
        for sub in ops:
            if not isinstance(sub, dict) or sub.get("__op") not in ("AddRelation", "RemoveRelation"):
                raise ParseError(Code.INVALID_JSON, "Batch ops must be AddRelation or RemoveRelation")
            part = _relation(field_name, spec, sub)
            change.add += part.add
            change.remove += part.remove
    else:
        raise ParseError(Code.INCORRECT_TYPE, f"The operation {kind} is not supported on a Relation")
    return change

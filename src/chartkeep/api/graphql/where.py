"""GraphQL ``where`` inputs → Parse REST ``where`` objects, as Parse's GraphQL transformer does.

The result is handed to the same read service as a REST query (``records/reads.py``), so it goes
through the one Parse where → query IR → SQL path with the caller's access filter AND-ed in.

* ``OR``/``AND``/``NOR`` → ``$or``/``$and``/``$nor``;
* ``id`` → ``objectId`` (global ids decoded);
* ``equalTo``… → ``$eq``…; ``matchesRegex``/``options`` → ``$regex``/``$options``;
  ``inQueryKey``/``notInQueryKey`` → ``$select``/``$dontSelect``; ``contains`` → ``$all``;
* a pointer field's ``have``/``haveNot`` → ``$inQuery``/``$notInQuery`` on the target class,
  ``exists`` → ``$exists``;
* an Object field's ``{key, value}`` → a constraint on ``field.key``.
"""

from __future__ import annotations

from typing import Any

from chartkeep.api.graphql.names import from_global_id
from chartkeep.errors import Code, ParseError
from chartkeep.schema.model import ClassSchema, SchemaLookup

OPS = {
    "equalTo": "$eq",
    "notEqualTo": "$ne",
    "lessThan": "$lt",
    "lessThanOrEqualTo": "$lte",
    "greaterThan": "$gt",
    "greaterThanOrEqualTo": "$gte",
    "in": "$in",
    "notIn": "$nin",
    "exists": "$exists",
    "matchesRegex": "$regex",
    "options": "$options",
    "inQueryKey": "$select",
    "notInQueryKey": "$dontSelect",
    "containedBy": "$containedBy",
    "contains": "$all",
}
LOGICAL = {"OR": "$or", "AND": "$and", "NOR": "$nor"}


def to_parse_where(where: dict[str, Any] | None, schema: ClassSchema, registry: SchemaLookup) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in (where or {}).items():
        if value is None:
            continue
        if key in LOGICAL:
            out[LOGICAL[key]] = [to_parse_where(item, schema, registry) for item in value if item is not None]
            continue
        field = "objectId" if key == "id" else key
        spec = schema.fields.get(field)
        if spec is not None and spec.type == "Pointer":
            out[field] = _pointer(value, spec.target_class or "", registry)
        elif spec is not None and spec.type == "Object":
            _object_constraints(out, field, value)
        else:
            out[field] = _constraints(value, schema.name if field == "objectId" else None)
    return out


def _constraints(value: dict[str, Any], id_class: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for op, arg in value.items():
        if arg is None and op != "equalTo":
            continue
        if id_class is not None:
            arg = _ids(arg, id_class)
        if op in ("inQueryKey", "notInQueryKey"):
            arg = {"key": arg["key"], "query": dict(arg["query"])}
        out[OPS[op]] = arg
    return out


def _ids(arg: Any, class_name: str) -> Any:
    if isinstance(arg, str):
        return from_global_id(arg, class_name)
    if isinstance(arg, list):
        return [from_global_id(v, class_name) if isinstance(v, str) else v for v in arg]
    return arg


def _pointer(value: dict[str, Any], target: str, registry: SchemaLookup) -> dict[str, Any]:
    out: dict[str, Any] = {}
    target_schema = registry.get(target)
    for op, arg in value.items():
        if arg is None:
            continue
        if op == "exists":
            out["$exists"] = arg
        elif op in ("have", "haveNot"):
            if target_schema is None:
                raise ParseError(Code.INVALID_QUERY, f"Class {target} does not exist.")
            inner = to_parse_where(arg, target_schema, registry)
            out["$inQuery" if op == "have" else "$notInQuery"] = {"where": inner, "className": target}
    return out


def _object_constraints(out: dict[str, Any], field: str, value: dict[str, Any]) -> None:
    for op, arg in value.items():
        if arg is None:
            continue
        if op == "exists":
            out.setdefault(field, {})["$exists"] = arg
        elif op in ("inQueryKey", "notInQueryKey"):
            out.setdefault(field, {})[OPS[op]] = {"key": arg["key"], "query": dict(arg["query"])}
        elif isinstance(arg, dict):
            out.setdefault(f"{field}.{arg['key']}", {})[OPS[op]] = arg["value"]
        elif isinstance(arg, list):
            for item in arg:
                out.setdefault(f"{field}.{item['key']}", {}).setdefault(OPS[op], []).append(item["value"])

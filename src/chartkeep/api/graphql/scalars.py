"""Scalars and the shared types every generated schema uses.

``Date`` is ISO-8601 text out and in (a Parse ``{"__type": "Date", "iso": ...}`` object is accepted
too); ``Object`` is a JSON object; ``Any`` is any JSON value. Values reach the services in Parse's
REST JSON shape, so the write pipeline decodes and validates them exactly as for REST.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLField,
    GraphQLFloat,
    GraphQLID,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLString,
    StringValueNode,
    ValueNode,
    value_from_ast_untyped,
)

from chartkeep.schema.dates import iso_ms


def _serialize_date(value: Any) -> str:
    if isinstance(value, dict) and isinstance(value.get("iso"), str):
        return value["iso"]
    if isinstance(value, datetime):
        return iso_ms(value)
    if isinstance(value, str):
        return value
    raise TypeError(f"Date cannot represent {value!r}")


def _parse_date(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return {"__type": "Date", "iso": value}
    if isinstance(value, dict) and value.get("__type") == "Date" and isinstance(value.get("iso"), str):
        return value
    raise TypeError("Date is an ISO-8601 string, e.g. 2026-01-05T10:00:00.000Z")


def _parse_date_literal(node: ValueNode, variables: dict[str, Any] | None = None) -> Any:
    if isinstance(node, StringValueNode):
        return _parse_date(node.value)
    return _parse_date(value_from_ast_untyped(node, variables))


def _parse_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError("Object is a JSON object")
    return value


def _parse_object_literal(node: ValueNode, variables: dict[str, Any] | None = None) -> Any:
    return _parse_object(value_from_ast_untyped(node, variables))


def _any_literal(node: ValueNode, variables: dict[str, Any] | None = None) -> Any:
    return value_from_ast_untyped(node, variables)


DATE = GraphQLScalarType(
    "Date", description="An instant, ISO-8601 text in UTC with milliseconds (Parse's Date).",
    serialize=_serialize_date, parse_value=_parse_date, parse_literal=_parse_date_literal,
)
OBJECT = GraphQLScalarType(
    "Object", description="A JSON object.", serialize=_parse_object, parse_value=_parse_object,
    parse_literal=_parse_object_literal,
)
ANY = GraphQLScalarType(
    "Any", description="Any JSON value.", serialize=lambda v: v, parse_value=lambda v: v, parse_literal=_any_literal,
)

FILE_INFO = GraphQLObjectType("FileInfo", {
    "name": GraphQLField(GraphQLNonNull(GraphQLString)),
    "url": GraphQLField(GraphQLString),
}, description="A file field's value: its name and (signed) URL.")
GEO_POINT = GraphQLObjectType("GeoPoint", {
    "latitude": GraphQLField(GraphQLNonNull(GraphQLFloat)),
    "longitude": GraphQLField(GraphQLNonNull(GraphQLFloat)),
})
GEO_POINT_INPUT = GraphQLInputObjectType("GeoPointInput", {
    "latitude": GraphQLInputField(GraphQLNonNull(GraphQLFloat)),
    "longitude": GraphQLInputField(GraphQLNonNull(GraphQLFloat)),
})
PAGE_INFO = GraphQLObjectType("PageInfo", {
    "hasNextPage": GraphQLField(GraphQLNonNull(GraphQLBoolean)),
    "hasPreviousPage": GraphQLField(GraphQLNonNull(GraphQLBoolean)),
    "startCursor": GraphQLField(GraphQLString),
    "endCursor": GraphQLField(GraphQLString),
})

# ---- where inputs of one field, by type (Parse's names and operators) ----

SUBQUERY = GraphQLInputObjectType("SubqueryInput", {
    "className": GraphQLInputField(GraphQLNonNull(GraphQLString)),
    "where": GraphQLInputField(GraphQLNonNull(OBJECT), description="A Parse REST where object."),
})
SELECT = GraphQLInputObjectType("SelectInput", {
    "query": GraphQLInputField(GraphQLNonNull(SUBQUERY)),
    "key": GraphQLInputField(GraphQLNonNull(GraphQLString)),
})
KEY_VALUE = GraphQLInputObjectType("KeyValueInput", {
    "key": GraphQLInputField(GraphQLNonNull(GraphQLString)),
    "value": GraphQLInputField(GraphQLNonNull(ANY)),
})


def _where_input(name: str, value: Any, *, order: bool = True, lists: bool = True, regex: bool = False,
                 arrays: bool = False) -> GraphQLInputObjectType:
    fields: dict[str, GraphQLInputField] = {
        "equalTo": GraphQLInputField(value),
        "notEqualTo": GraphQLInputField(value),
    }
    if order:
        for op in ("lessThan", "lessThanOrEqualTo", "greaterThan", "greaterThanOrEqualTo"):
            fields[op] = GraphQLInputField(value)
    if lists:
        fields["in"] = GraphQLInputField(GraphQLList(value))
        fields["notIn"] = GraphQLInputField(GraphQLList(value))
    fields["exists"] = GraphQLInputField(GraphQLBoolean)
    if regex:
        fields["matchesRegex"] = GraphQLInputField(GraphQLString)
        fields["options"] = GraphQLInputField(GraphQLString)
    if arrays:
        fields["containedBy"] = GraphQLInputField(GraphQLList(ANY))
        fields["contains"] = GraphQLInputField(GraphQLList(ANY))
    fields["inQueryKey"] = GraphQLInputField(SELECT)
    fields["notInQueryKey"] = GraphQLInputField(SELECT)
    return GraphQLInputObjectType(name, fields)


ID_WHERE = _where_input("IdWhereInput", GraphQLID)
STRING_WHERE = _where_input("StringWhereInput", GraphQLString, regex=True)
NUMBER_WHERE = _where_input("NumberWhereInput", GraphQLFloat)
BOOLEAN_WHERE = _where_input("BooleanWhereInput", GraphQLBoolean, order=False, lists=False)
DATE_WHERE = _where_input("DateWhereInput", DATE)
ARRAY_WHERE = _where_input("ArrayWhereInput", ANY, arrays=True)
OBJECT_WHERE = _where_input("ObjectWhereInput", KEY_VALUE)
EXISTS_WHERE = GraphQLInputObjectType("ExistsWhereInput", {"exists": GraphQLInputField(GraphQLBoolean)})

WHERE_BY_TYPE: dict[str, GraphQLInputObjectType] = {
    "String": STRING_WHERE,
    "Number": NUMBER_WHERE,
    "Boolean": BOOLEAN_WHERE,
    "Date": DATE_WHERE,
    "Array": ARRAY_WHERE,
    "Object": OBJECT_WHERE,
    "Bytes": EXISTS_WHERE,
    "File": EXISTS_WHERE,
    "GeoPoint": EXISTS_WHERE,
    "Polygon": EXISTS_WHERE,
}

TYPE_NAMES = frozenset(
    t.name for t in (DATE, OBJECT, ANY, FILE_INFO, GEO_POINT, GEO_POINT_INPUT, PAGE_INFO, SUBQUERY, SELECT, KEY_VALUE,
                     ID_WHERE, EXISTS_WHERE, *WHERE_BY_TYPE.values())
)

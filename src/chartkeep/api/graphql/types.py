"""Per class: its object type, connection, where/order inputs and create/update inputs.

Types refer to each other through thunks (a note's ``author`` is a ``User``, whose pointers may
lead back), so the whole set is declared first and resolved when graphql-core builds the schema.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLEnumValue,
    GraphQLField,
    GraphQLFloat,
    GraphQLID,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLString,
)

from chartkeep.api.graphql import scalars
from chartkeep.api.graphql.names import (
    HIDDEN_CLASSES,
    RESERVED_TYPES,
    lower_first,
    pluralize,
    to_global_id,
    type_name,
)
from chartkeep.schema.model import ClassSchema, FieldSpec

log = logging.getLogger("chartkeep.graphql")
OWN_FIELDS = frozenset({"id", "objectId", "createdAt", "updatedAt", "ACL"})
SORTABLE = frozenset({"String", "Number", "Boolean", "Date", "Pointer"})
SCALAR_OUT: dict[str, GraphQLOutputType] = {
    "String": GraphQLString, "Number": GraphQLFloat, "Boolean": GraphQLBoolean, "Date": scalars.DATE,
    "Object": scalars.OBJECT, "Array": scalars.ANY, "File": scalars.FILE_INFO, "GeoPoint": scalars.GEO_POINT,
    "Polygon": scalars.ANY, "Bytes": GraphQLString, "ACL": scalars.OBJECT,
}
SCALAR_IN: dict[str, Any] = {
    "String": GraphQLString, "Number": GraphQLFloat, "Boolean": GraphQLBoolean, "Date": scalars.DATE,
    "Object": scalars.OBJECT, "Array": scalars.ANY, "File": scalars.ANY, "GeoPoint": scalars.GEO_POINT_INPUT,
    "Polygon": scalars.ANY, "Bytes": GraphQLString, "ACL": scalars.OBJECT,
}
SUFFIXES = ("", "Connection", "Edge", "WhereInput", "RelationWhereInput", "Order", "PointerInput",
            "RelationInput")


@dataclass
class ClassTypes:
    schema: ClassSchema
    name: str  # GraphQL type name (User for _User)
    get_name: str  # medicalNote
    find_name: str  # medicalNotes
    object: GraphQLObjectType = field(init=False)
    connection: GraphQLObjectType = field(init=False)
    where: GraphQLInputObjectType = field(init=False)
    pointer_where: GraphQLInputObjectType = field(init=False)
    order: GraphQLEnumType = field(init=False)
    pointer_input: GraphQLInputObjectType = field(init=False)
    relation_input: GraphQLInputObjectType = field(init=False)
    create_fields: GraphQLInputObjectType = field(init=False)
    update_fields: GraphQLInputObjectType = field(init=False)


def visible_fields(schema: ClassSchema) -> dict[str, FieldSpec]:
    return {n: s for n, s in schema.fields.items() if n not in OWN_FIELDS and n != "password"}


class TypeBank:
    """Every exposed class's types, keyed by Parse class name."""

    def __init__(self, classes: list[ClassSchema]) -> None:
        self.classes: dict[str, ClassTypes] = {}
        used: set[str] = set(RESERVED_TYPES) | scalars.TYPE_NAMES
        queries: set[str] = set()
        for schema in sorted(classes, key=lambda c: (not c.name.startswith("_"), c.name)):
            if schema.name in HIDDEN_CLASSES:
                continue
            name = type_name(schema.name)
            names = {name + s for s in SUFFIXES} | {f"{verb}{name}{s}" for verb in ("Create", "Update", "Delete")
                                                    for s in ("FieldsInput", "Input", "Payload")}
            get_name = lower_first(name)
            find_name = pluralize(get_name)
            if names & used or {get_name, find_name} & queries or get_name == find_name:
                log.warning("class %s left out of the GraphQL schema: its names are taken", schema.name)
                continue
            used |= names
            queries |= {get_name, find_name}
            self.classes[schema.name] = ClassTypes(schema, name, get_name, find_name)
        self.type_names = used
        for types in self.classes.values():
            self._build(types)

    def _build(self, t: ClassTypes) -> None:
        schema, name = t.schema, t.name
        t.object = GraphQLObjectType(name, lambda: self._output_fields(t), description=f"The {schema.name} class.")
        edge = GraphQLObjectType(f"{name}Edge", lambda: {
            "node": GraphQLField(GraphQLNonNull(t.object)),
            "cursor": GraphQLField(GraphQLNonNull(GraphQLString)),
        })
        t.connection = GraphQLObjectType(f"{name}Connection", lambda: {
            "edges": GraphQLField(GraphQLNonNull(GraphQLList(GraphQLNonNull(edge)))),
            "pageInfo": GraphQLField(GraphQLNonNull(scalars.PAGE_INFO)),
            "count": GraphQLField(GraphQLNonNull(GraphQLInt), description="Matching objects, every page."),
        })
        t.where = GraphQLInputObjectType(f"{name}WhereInput", lambda: self._where_fields(t))
        t.pointer_where = GraphQLInputObjectType(f"{name}RelationWhereInput", lambda: {
            "have": GraphQLInputField(t.where, description="The pointed-to object matches (Parse $inQuery)."),
            "haveNot": GraphQLInputField(t.where, description="It does not (Parse $notInQuery)."),
            "exists": GraphQLInputField(GraphQLBoolean),
        })
        t.order = GraphQLEnumType(f"{name}Order", self._order_values(schema))
        t.pointer_input = GraphQLInputObjectType(f"{name}PointerInput", {
            "link": GraphQLInputField(GraphQLID, description="A global id or an objectId; null unsets."),
        })
        t.relation_input = GraphQLInputObjectType(f"{name}RelationInput", {
            "add": GraphQLInputField(GraphQLList(GraphQLNonNull(GraphQLID))),
            "remove": GraphQLInputField(GraphQLList(GraphQLNonNull(GraphQLID))),
        })
        t.create_fields = GraphQLInputObjectType(f"Create{name}FieldsInput", lambda: self._input_fields(t))
        t.update_fields = GraphQLInputObjectType(f"Update{name}FieldsInput", lambda: self._input_fields(t))

    def _output_fields(self, t: ClassTypes) -> dict[str, GraphQLField]:
        class_name = t.schema.name
        fields: dict[str, GraphQLField] = {
            "id": GraphQLField(GraphQLNonNull(GraphQLID), resolve=lambda obj, _info: to_global_id(
                class_name, obj["objectId"]), description="The Relay global id."),
            "objectId": GraphQLField(GraphQLNonNull(GraphQLID)),
            "createdAt": GraphQLField(scalars.DATE),
            "updatedAt": GraphQLField(scalars.DATE),
            "ACL": GraphQLField(scalars.OBJECT, description="Parse's ACL JSON."),
        }
        for fname, spec in visible_fields(t.schema).items():
            if spec.type == "Relation":
                continue
            if spec.type == "Pointer":
                target = self.classes.get(spec.target_class or "")
                fields[fname] = GraphQLField(target.object if target else scalars.OBJECT)
            elif spec.type == "Bytes":
                fields[fname] = GraphQLField(GraphQLString, resolve=_bytes_resolver(fname))
            elif spec.type in SCALAR_OUT:
                fields[fname] = GraphQLField(SCALAR_OUT[spec.type])
        return fields

    def _where_fields(self, t: ClassTypes) -> dict[str, GraphQLInputField]:
        fields: dict[str, GraphQLInputField] = {
            "id": GraphQLInputField(scalars.ID_WHERE),
            "objectId": GraphQLInputField(scalars.ID_WHERE),
            "createdAt": GraphQLInputField(scalars.DATE_WHERE),
            "updatedAt": GraphQLInputField(scalars.DATE_WHERE),
        }
        for fname, spec in visible_fields(t.schema).items():
            if spec.type == "Pointer":
                target = self.classes.get(spec.target_class or "")
                fields[fname] = GraphQLInputField(target.pointer_where if target else scalars.EXISTS_WHERE)
            elif spec.type in scalars.WHERE_BY_TYPE:
                fields[fname] = GraphQLInputField(scalars.WHERE_BY_TYPE[spec.type])
        listed = GraphQLList(GraphQLNonNull(t.where))
        fields.update({op: GraphQLInputField(listed) for op in ("OR", "AND", "NOR")})
        return fields

    @staticmethod
    def _order_values(schema: ClassSchema) -> dict[str, GraphQLEnumValue]:
        values: dict[str, GraphQLEnumValue] = {}
        names = ["id", "objectId", "createdAt", "updatedAt"]
        names += [n for n, s in visible_fields(schema).items() if s.type in SORTABLE]
        for n in names:
            key = "objectId" if n == "id" else n
            values[f"{n}_ASC"] = GraphQLEnumValue(key)
            values[f"{n}_DESC"] = GraphQLEnumValue(f"-{key}")
        return values

    def _input_fields(self, t: ClassTypes) -> dict[str, GraphQLInputField]:
        fields: dict[str, GraphQLInputField] = {"ACL": GraphQLInputField(scalars.OBJECT)}
        if t.schema.name == "_User":
            fields["password"] = GraphQLInputField(GraphQLString)
        for fname, spec in visible_fields(t.schema).items():
            target = self.classes.get(spec.target_class or "")
            if spec.type == "Pointer":
                fields[fname] = GraphQLInputField(target.pointer_input if target else scalars.OBJECT)
            elif spec.type == "Relation":
                if target is not None:
                    fields[fname] = GraphQLInputField(target.relation_input)
            elif spec.type in SCALAR_IN:
                fields[fname] = GraphQLInputField(SCALAR_IN[spec.type])
        return fields


def _bytes_resolver(fname: str) -> Callable[[dict[str, Any], Any], str | None]:
    def resolve(obj: dict[str, Any], _info: Any) -> str | None:
        value = obj.get(fname)
        return value.get("base64") if isinstance(value, dict) else value

    return resolve

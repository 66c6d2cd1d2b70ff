"""The typed query IR: what a Parse ``where`` (or a FHIR search, or an access rule) means.

Every node has plain two-valued semantics over one object (see ``matcher.py``); the SQL
compiler (``sql.py``) preserves them, NULLs included. Values are *internal* values
(``storage/dialect.py``): a Date is an aware datetime, a Pointer an objectId string. Values
that live inside JSON (Array elements, Object sub-keys) stay Parse JSON, normalised by
``values.interior`` (Pointer dicts reduced to their three keys, Date ``iso`` in ``...mmmZ``
form); a Date compared under an Object sub-key is a datetime.

Semantics follow MongoDB/Parse Server (its reference back end and the JS SDK's matcher):

- a missing field is ``None``; ``IsNull`` is "missing or JSON null", ``Exists`` is "present";
- comparisons are type-bracketed: a number is only ever less than a number, a string than a
  string, a date than a date; a comparison across types is false;
- negation is ``Not``: ``$ne``/``$nin`` become ``Not(...)`` and so match missing values.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any, Literal, TypeAlias

from chartkeep.schema.model import ClassSchema

CompareOp = Literal["eq", "lt", "lte", "gt", "gte"]


@dataclass(frozen=True, slots=True)
class FieldRef:
    """A column, or a sub-key path inside a JSON column (``"obj.a.b"`` → name="obj", path=("a","b")).

    ``type`` is the column's Parse type (``objectId`` is a String). ``target`` is a Pointer's or
    Relation's target class.
    """

    name: str
    type: str
    path: tuple[str, ...] = ()
    target: str | None = None

    @property
    def dotted(self) -> str:
        return ".".join((self.name, *self.path))


@dataclass(frozen=True, slots=True)
class TrueNode:
    pass


@dataclass(frozen=True, slots=True)
class FalseNode:
    pass


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Node


@dataclass(frozen=True, slots=True)
class Exists:
    """The field is present (for a JSON sub-key: the key exists, even with a null value)."""

    field: FieldRef


@dataclass(frozen=True, slots=True)
class IsNull:
    """The field is missing, or (under a JSON sub-key) holds JSON null."""

    field: FieldRef


@dataclass(frozen=True, slots=True)
class Compare:
    """``field <op> value`` with a non-null value of the field's kind (type-bracketed)."""

    field: FieldRef
    op: CompareOp
    value: Any


@dataclass(frozen=True, slots=True)
class In:
    """A scalar column's value is one of ``values`` (non-empty, no None)."""

    field: FieldRef
    values: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class ArrayAny:
    """An Array field has at least one element equal to one of ``values`` (Parse JSON)."""

    field: FieldRef
    values: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class ArrayAll:
    """An Array field has, for each of ``values``, an element equal to it (``$all``)."""

    field: FieldRef
    values: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class ArrayContainedBy:
    """Every element of an Array field is one of ``values``; a missing array matches."""

    field: FieldRef
    values: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Regex:
    """A string value (for an Array: some string element) matches ``pattern``.

    ``pattern`` is already free of Parse's ``\\Q...\\E`` quoting and valid for Python ``re``;
    ``flags`` is a subset of ``"imsx"``.
    """

    field: FieldRef
    pattern: str
    flags: str = ""


@dataclass(frozen=True, slots=True)
class SubQuery:
    """Rows of another (or the same) class; ``where`` already includes the caller's access scope."""

    schema: ClassSchema
    where: Node

    def __hash__(self) -> int:  # ClassSchema is mutable; identity of the class is its name
        return hash((self.schema.name, self.where))


@dataclass(frozen=True, slots=True)
class InQuery:
    """``$inQuery``: the field (Pointer, objectId, or an Array of pointers) refers to a row of ``sub``."""

    field: FieldRef
    sub: SubQuery


@dataclass(frozen=True, slots=True)
class Select:
    """``$select``: the field's value equals ``key`` of some row of ``sub``."""

    field: FieldRef
    sub: SubQuery
    key: FieldRef


@dataclass(frozen=True, slots=True)
class RelatedTo:
    """``$relatedTo``: objectId is in ``owner_class``'s Relation ``key`` of object ``owner_id``."""

    owner_class: str
    owner_id: str
    key: str


@dataclass(frozen=True, slots=True)
class InRelation:
    """Querying a Relation field: this object's Relation ``field`` holds one of ``related``.

    ``related`` is a tuple of objectIds or a ``SubQuery`` over the relation's target class.
    """

    owner_class: str
    field: str
    related: tuple[str, ...] | SubQuery


@dataclass(frozen=True, slots=True)
class AclReadable:
    """``_rperm`` is NULL (public) or shares an entry with ``principals`` (``"*"`` is implied)."""

    principals: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AclWritable:
    """As ``AclReadable``, on ``_wperm``."""

    principals: tuple[str, ...]


Node: TypeAlias = (
    TrueNode
    | FalseNode
    | And
    | Or
    | Not
    | Exists
    | IsNull
    | Compare
    | In
    | ArrayAny
    | ArrayAll
    | ArrayContainedBy
    | Regex
    | InQuery
    | Select
    | RelatedTo
    | InRelation
    | AclReadable
    | AclWritable
)

TRUE = TrueNode()
FALSE = FalseNode()
# Nodes whose truth needs other rows: the matcher asks a resolver for them.
UNRESOLVED = (InQuery, Select, RelatedTo, InRelation)


def and_(*items: Node) -> Node:
    """Conjunction with constant folding and flattening."""
    out: list[Node] = []
    for item in items:
        if isinstance(item, FalseNode):
            return FALSE
        if isinstance(item, TrueNode):
            continue
        out.extend(item.items if isinstance(item, And) else (item,))
    if not out:
        return TRUE
    return out[0] if len(out) == 1 else And(tuple(out))


def or_(*items: Node) -> Node:
    """Disjunction with constant folding and flattening."""
    out: list[Node] = []
    for item in items:
        if isinstance(item, TrueNode):
            return TRUE
        if isinstance(item, FalseNode):
            continue
        out.extend(item.items if isinstance(item, Or) else (item,))
    if not out:
        return FALSE
    return out[0] if len(out) == 1 else Or(tuple(out))


def not_(item: Node) -> Node:
    if isinstance(item, TrueNode):
        return FALSE
    if isinstance(item, FalseNode):
        return TRUE
    if isinstance(item, Not):
        return item.item
    return Not(item)


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, subqueries included, parents before children."""
    yield node
    if isinstance(node, And | Or):
        for item in node.items:
            yield from walk(item)
    elif isinstance(node, Not):
        yield from walk(node.item)
    else:
        for f in fields(node):
            value = getattr(node, f.name)
            if isinstance(value, SubQuery):
                yield from walk(value.where)


def unresolved(node: Node) -> Iterator[Node]:
    """The nodes a matcher resolver must answer (outside subqueries, which SQL evaluates)."""
    if isinstance(node, And | Or):
        for item in node.items:
            yield from unresolved(item)
    elif isinstance(node, Not):
        yield from unresolved(node.item)
    elif isinstance(node, UNRESOLVED):
        yield node


def field_refs(node: Node) -> Iterator[FieldRef]:
    """The fields a tree reads on its own class (not inside subqueries)."""
    if isinstance(node, And | Or):
        for item in node.items:
            yield from field_refs(item)
    elif isinstance(node, Not):
        yield from field_refs(node.item)
    elif hasattr(node, "field") and isinstance(node.field, FieldRef):
        yield node.field


__all__ = [
    "FieldRef",
    "TrueNode",
    "FalseNode",
    "And",
    "Or",
    "Not",
    "Exists",
    "IsNull",
    "Compare",
    "In",
    "ArrayAny",
    "ArrayAll",
    "ArrayContainedBy",
    "Regex",
    "SubQuery",
    "InQuery",
    "Select",
    "RelatedTo",
    "InRelation",
    "AclReadable",
    "AclWritable",
    "Node",
    "TRUE",
    "FALSE",
    "UNRESOLVED",
    "and_",
    "or_",
    "not_",
    "walk",
    "unresolved",
    "field_refs",
]

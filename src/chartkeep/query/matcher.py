"""Evaluate an IR tree against one object in memory (LiveQuery, after-save checks, tests).

``obj`` is the internal-value dict of one object: ``objectId``, ``createdAt``, ``updatedAt``,
``_rperm``, ``_wperm`` and the fields (a missing key or ``None`` means the field is unset).

``InQuery``, ``Select``, ``RelatedTo`` and ``InRelation`` need other rows. Give ``matches`` a
``resolver``: called with such a node, it returns the collection of values the node tests
membership in — objectIds of ``sub``'s rows (InQuery), ``key`` values of ``sub``'s rows as
internal values (Select), related objectIds (RelatedTo), owning objectIds (InRelation).
``sql.compile_values(node, dialect)`` gives the SQL that computes that collection. Without a
resolver such a node raises ``Unresolved`` (unless the field it tests is missing, which
decides it without other rows).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any

from chartkeep.query import ir
from chartkeep.query.regex import search
from chartkeep.query.values import JSON_COLUMN_TYPES, is_number, json_equal, kind
from chartkeep.schema.dates import iso_ms

Resolver = Callable[[ir.Node], Collection[Any]]
_MISSING = object()


class Unresolved(NotImplementedError):
    """A node that needs other rows was matched without a resolver."""


def matches(node: ir.Node, obj: dict[str, Any], resolver: Resolver | None = None) -> bool:
    return _Matcher(obj, resolver).eval(node)


def _lookup(obj: dict[str, Any], ref: ir.FieldRef) -> Any:
    """The field's value; for a sub-key path, ``_MISSING`` when a key is absent."""
    value = obj.get(ref.name)
    if not ref.path:
        return value
    for key in ref.path:
        if not isinstance(value, dict) or key not in value:
            return _MISSING
        value = value[key]
    return value


def _absent(value: Any) -> bool:
    return value is None or value is _MISSING


def _ordered(a: Any, op: str, b: Any) -> bool:
    if op == "eq":
        return bool(a == b)
    if op == "lt":
        return bool(a < b)
    if op == "lte":
        return bool(a <= b)
    if op == "gt":
        return bool(a > b)
    return bool(a >= b)


def _scalar_compare(x: Any, op: str, v: Any) -> bool:
    """Type-bracketed comparison of two non-null scalars (numbers as doubles, as stored)."""
    if is_number(v):
        return is_number(x) and _ordered(float(x), op, float(v))
    if isinstance(v, bool):
        return isinstance(x, bool) and _ordered(x, op, v)
    if isinstance(v, str):
        return isinstance(x, str) and _ordered(x, op, v)
    if isinstance(v, datetime):
        return isinstance(x, datetime) and _ordered(x, op, v)
    return False


def _path_compare(x: Any, op: str, v: Any) -> bool:
    """A comparison under an Object sub-key: x is Parse JSON, v a path value."""
    if isinstance(v, datetime):
        if isinstance(x, dict) and x.get("__type") == "Date" and isinstance(x.get("iso"), str):
            return _ordered(x["iso"], op, iso_ms(v))
        return False
    if kind(v) in ("object", "array", "bool"):
        return op == "eq" and json_equal(x, v)
    return _scalar_compare(x, op, v)


class _Matcher:
    def __init__(self, obj: dict[str, Any], resolver: Resolver | None) -> None:
        self.obj = obj
        self.resolver = resolver

    def resolve(self, node: ir.Node) -> Collection[Any]:
        if self.resolver is None:
            raise Unresolved(f"{type(node).__name__} needs a resolver to be matched in memory")
        return self.resolver(node)

    def eval(self, node: ir.Node) -> bool:
        method = getattr(self, "_" + type(node).__name__)
        return bool(method(node))

    def _TrueNode(self, node: ir.TrueNode) -> bool:
        return True

    def _FalseNode(self, node: ir.FalseNode) -> bool:
        return False

    def _And(self, node: ir.And) -> bool:
        return all(self.eval(item) for item in node.items)

    def _Or(self, node: ir.Or) -> bool:
        return any(self.eval(item) for item in node.items)

    def _Not(self, node: ir.Not) -> bool:
        return not self.eval(node.item)

    def _Exists(self, node: ir.Exists) -> bool:
        value = _lookup(self.obj, node.field)
        return value is not _MISSING if node.field.path else value is not None

    def _IsNull(self, node: ir.IsNull) -> bool:
        return _absent(_lookup(self.obj, node.field))

    def _Compare(self, node: ir.Compare) -> bool:
        ref, x = node.field, _lookup(self.obj, node.field)
        if _absent(x):
            return False
        if ref.path or ref.type not in (*JSON_COLUMN_TYPES, "Array"):
            return (
                _path_compare(x, node.op, node.value) if ref.path else _scalar_compare(x, node.op, node.value)
            )
        return node.op == "eq" and json_equal(x, node.value)

    def _In(self, node: ir.In) -> bool:
        x = _lookup(self.obj, node.field)
        return not _absent(x) and any(_scalar_compare(x, "eq", v) for v in node.values)

    def _elements(self, ref: ir.FieldRef) -> list[Any] | None:
        x = _lookup(self.obj, ref)
        return x if isinstance(x, list) else None

    def _ArrayAny(self, node: ir.ArrayAny) -> bool:
        elems = self._elements(node.field) or []
        return any(json_equal(e, v) for e in elems for v in node.values)

    def _ArrayAll(self, node: ir.ArrayAll) -> bool:
        elems = self._elements(node.field)
        if elems is None:
            return False
        return all(any(json_equal(e, v) for e in elems) for v in node.values)

    def _ArrayContainedBy(self, node: ir.ArrayContainedBy) -> bool:
        elems = self._elements(node.field) or []
        return all(any(json_equal(e, v) for v in node.values) for e in elems)

    def _Regex(self, node: ir.Regex) -> bool:
        x = _lookup(self.obj, node.field)
        if node.field.type == "Array" and not node.field.path:
            candidates = x if isinstance(x, list) else []
        else:
            candidates = [x]
        return any(isinstance(c, str) and search(node.pattern, node.flags, c) for c in candidates)

    def _InQuery(self, node: ir.InQuery) -> bool:
        x = _lookup(self.obj, node.field)
        if _absent(x):
            return False
        ids = self.resolve(node)
        if isinstance(x, list):
            cls = node.sub.schema.name
            return any(
                isinstance(e, dict)
                and e.get("__type") == "Pointer"
                and e.get("className") == cls
                and e.get("objectId") in ids
                for e in x
            )
        return isinstance(x, str) and x in ids

    def _Select(self, node: ir.Select) -> bool:
        x = _lookup(self.obj, node.field)
        if _absent(x):
            return False
        return any(v is not None and _scalar_compare(x, "eq", v) for v in self.resolve(node))

    def _RelatedTo(self, node: ir.RelatedTo) -> bool:
        return self.obj.get("objectId") in self.resolve(node)

    def _InRelation(self, node: ir.InRelation) -> bool:
        return self.obj.get("objectId") in self.resolve(node)

    def _acl(self, perms: Any, principals: tuple[str, ...]) -> bool:
        if perms is None:
            return True
        return "*" in perms or any(p in perms for p in principals)

    def _AclReadable(self, node: ir.AclReadable) -> bool:
        return self._acl(self.obj.get("_rperm"), node.principals)

    def _AclWritable(self, node: ir.AclWritable) -> bool:
        return self._acl(self.obj.get("_wperm"), node.principals)

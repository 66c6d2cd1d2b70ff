"""Parse ``where`` JSON → IR (``parse_where``).

Keys, ``$and``/``$or``/``$nor``, ``$relatedTo``, Relation fields and subqueries are handled
here; one field's operators in ``constraints.py``. A field the class does not have is missing
on every object, so its constraint is decided here (``TRUE``/``FALSE``) without SQL, as Parse
answers such queries without an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from chartkeep.errors import Code, ParseError
from chartkeep.query import ir
from chartkeep.query.constraints import is_constraint, parse_field
from chartkeep.query.matcher import matches
from chartkeep.query.values import PATH_TYPES, UNKNOWN, check_json, js_str, js_truthy
from chartkeep.schema.model import ClassSchema, SchemaLookup, valid_class_name

Scope = Callable[[str], ir.Node | None]

KEY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$")
MAX_DEPTH = 16
_LOGICAL = ("$and", "$or", "$nor")


def parse_where(
    class_name: str,
    where: dict[str, Any] | None,
    schemas: SchemaLookup,
    scope: Scope | None = None,
) -> ir.Node:
    """Turn a Parse ``where`` object into IR for ``class_name``.

    ``scope(class_name)`` returns the access filter for rows of a class the query reads through
    a subquery (``$inQuery``, ``$notInQuery``, ``$select``, ``$dontSelect``, ``$inQuery`` on a
    Relation); it is AND-ed into each subquery. The caller ANDs its own filter into the result.
    A class that does not exist is treated as one without fields (every object lacks them).
    Raises ``ParseError`` for a malformed query.
    """
    schema = schemas.get(class_name) or ClassSchema(class_name)
    check_json(where)
    return _Parser(schemas, scope).parse(schema, {} if where is None else where, 0)


class _Parser:
    def __init__(self, schemas: SchemaLookup, scope: Scope | None) -> None:
        self.schemas = schemas
        self.scope = scope
        self.depth = 0

    # --- SubQueries protocol (used by constraints) ------------------------------------------

    def subquery(self, class_name: Any, where: Any) -> ir.SubQuery | None:
        """A scoped subquery, or None when the class does not exist (it has no rows)."""
        if not isinstance(class_name, str) or not valid_class_name(class_name):
            raise ParseError(Code.INVALID_CLASS_NAME, f"Invalid classname: {js_str(class_name)}")
        schema = self.schemas.get(class_name)
        node = self.parse(schema or ClassSchema(class_name), where, self.depth + 1)
        if schema is None:
            return None
        scope = self.scope(class_name) if self.scope is not None else None
        return ir.SubQuery(schema, ir.and_(node, scope) if scope is not None else node)

    def key_ref(self, class_name: str, key: str) -> ir.FieldRef | None:
        schema = self.schemas.get(class_name)
        spec = schema.spec(key) if schema is not None else None
        if spec is None or spec.type in ("Relation", "ACL"):
            return None
        return ir.FieldRef(key, spec.type, (), spec.target_class)

    # --- where objects ----------------------------------------------------------------------

    def parse(self, schema: ClassSchema, where: Any, depth: int) -> ir.Node:
        if depth > MAX_DEPTH:
            raise ParseError(Code.INVALID_QUERY, "query is nested too deeply")
        if not isinstance(where, dict):
            raise ParseError(Code.INVALID_QUERY, "where must be a JSON object")
        if "ACL" in where:
            raise ParseError(Code.INVALID_QUERY, "Cannot query on ACL.")
        saved, self.depth = self.depth, depth
        try:
            return ir.and_(*(self._key(schema, key, value) for key, value in where.items()))
        finally:
            self.depth = saved

    def _key(self, schema: ClassSchema, key: str, value: Any) -> ir.Node:
        if key in _LOGICAL:
            return self._logical(schema, key, value)
        if key == "$relatedTo":
            return self._related_to(schema, value)
        if not isinstance(key, str) or not KEY_RE.match(key):
            raise ParseError(Code.INVALID_KEY_NAME, f"Invalid key name: {key}")
        root, *path = key.split(".")
        spec = schema.spec(root)
        if spec is not None and spec.type == "Relation" and not path:
            return self._relation(schema, root, spec.target_class, value)
        if spec is None or spec.type == "Relation" or (path and spec.type not in PATH_TYPES):
            # Every object lacks this field: decide the constraint against a missing value.
            node = parse_field(ir.FieldRef(root, UNKNOWN, tuple(path)), value, self)
            return ir.TRUE if matches(node, {}) else ir.FALSE
        ref = ir.FieldRef(root, spec.type, tuple(path), spec.target_class)
        return parse_field(ref, value, self)

    def _logical(self, schema: ClassSchema, op: str, value: Any) -> ir.Node:
        if op == "$nor" and not (isinstance(value, list) and value):
            raise ParseError(Code.INVALID_QUERY, "Bad $nor format - use an array of at least 1 value.")
        if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
            raise ParseError(Code.INVALID_QUERY, f"Bad {op} format - use an array value.")
        items = [self.parse(schema, v, self.depth + 1) for v in value]
        if op == "$and":
            return ir.and_(*items)
        if op == "$or":
            return ir.or_(*items)
        return ir.not_(ir.or_(*items))

    def _related_to(self, schema: ClassSchema, value: Any) -> ir.Node:
        obj = value.get("object") if isinstance(value, dict) else None
        key = value.get("key") if isinstance(value, dict) else None
        if (
            not isinstance(obj, dict)
            or not isinstance(obj.get("className"), str)
            or not isinstance(obj.get("objectId"), str)
            or not isinstance(key, str)
        ):
            raise ParseError(Code.INVALID_QUERY, "improper usage of $relatedTo")
        owner = self.schemas.get(obj["className"])
        spec = owner.fields.get(key) if owner is not None else None
        if spec is None or spec.type != "Relation" or spec.target_class != schema.name:
            return ir.FALSE  # no such relation: it relates nothing
        return ir.RelatedTo(obj["className"], obj["objectId"], key)

    def _relation(self, schema: ClassSchema, field: str, target: str | None, value: Any) -> ir.Node:
        """A Relation field: ``{"rel": pointer}``, ``$in``/``$nin``/``$ne``, ``$(not)InQuery``."""

        def ids(items: Any) -> tuple[str, ...]:
            if not isinstance(items, list):
                raise ParseError(Code.INVALID_JSON, "bad $in value")
            return tuple(
                p["objectId"] for p in items if isinstance(p, dict) and isinstance(p.get("objectId"), str)
            )

        def rel(related: tuple[str, ...] | ir.SubQuery | None) -> ir.Node:
            if related is None or related == ():
                return ir.FALSE
            return ir.InRelation(schema.name, field, related)

        if isinstance(value, dict) and value.get("__type") == "Pointer":
            return rel(ids([value]))
        if not is_constraint(value):
            return ir.FALSE  # Parse: any other constraint on a Relation matches nothing
        nodes: list[ir.Node] = []
        for op, arg in value.items():
            if op == "$in":
                nodes.append(rel(ids(arg)))
            elif op == "$nin":
                nodes.append(ir.not_(rel(ids(arg))))
            elif op == "$ne":
                nodes.append(ir.not_(rel(ids([arg]))))
            elif op in ("$inQuery", "$notInQuery"):
                if (
                    not isinstance(arg, dict)
                    or not js_truthy(arg.get("where"))
                    or not js_truthy(arg.get("className"))
                ):
                    raise ParseError(Code.INVALID_QUERY, f"improper usage of {op}")
                sub = self.subquery(arg["className"], arg["where"])
                if sub is not None and sub.schema.name != target:
                    sub = None
                node = rel(sub)
                nodes.append(ir.not_(node) if op == "$notInQuery" else node)
        return ir.and_(*nodes) if nodes else ir.FALSE

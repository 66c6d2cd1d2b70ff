"""One field's constraint (``{"f": value}`` or ``{"f": {"$op": ...}}``) → IR.

Error codes and messages are Parse Server's (its Mongo transform and DatabaseController).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from chartkeep.errors import Code, ParseError
from chartkeep.query import ir
from chartkeep.query.regex import OPTIONS_RE, prepare
from chartkeep.query.reltime import relative_time
from chartkeep.query.values import (
    JSON_COLUMN_TYPES,
    TEXT_TYPES,
    UNKNOWN,
    Mismatch,
    check_atom,
    interior,
    js_str,
    js_truthy,
    path_value,
    to_internal,
)
from chartkeep.schema.dates import now_ms

# Operators Parse knows but Chartkeep does not evaluate (yet): a clear 108, not a wrong answer.
UNSUPPORTED = frozenset(
    {
        "$text",
        "$nearSphere",
        "$maxDistance",
        "$maxDistanceInRadians",
        "$maxDistanceInMiles",
        "$maxDistanceInKilometers",
        "$within",
        "$geoWithin",
        "$geoIntersects",
    }
)
_ORDER_OPS: dict[str, ir.CompareOp] = {"$lt": "lt", "$lte": "lte", "$gt": "gt", "$gte": "gte"}
# Types a $select key may be compared with, per outer field type.
_SELECT_COMPATIBLE = {
    "String": {"String"},
    "Pointer": {"Pointer", "String"},
    "Number": {"Number"},
    "Boolean": {"Boolean"},
    "Date": {"Date"},
    "File": {"File", "String"},
    "Bytes": {"Bytes", "String"},
}


class SubQueries(Protocol):
    """What the constraint parser needs from the where parser to build subqueries."""

    def subquery(self, class_name: Any, where: Any) -> ir.SubQuery | None: ...

    def key_ref(self, schema_name: str, key: str) -> ir.FieldRef | None: ...


def is_constraint(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and all(k.startswith("$") for k in value)


def parse_field(ref: ir.FieldRef, value: Any, subs: SubQueries) -> ir.Node:
    if value is None:
        return ir.IsNull(ref)
    if is_constraint(value):
        return _Constraint(ref, value, subs).parse()
    return equals(ref, value, top=True)


def _loose(ref: ir.FieldRef) -> bool:
    """Values compared inside JSON: any JSON value is allowed, nothing is a type error."""
    return bool(ref.path) or ref.type == UNKNOWN


def equals(ref: ir.FieldRef, value: Any, *, top: bool) -> ir.Node:
    """``field == value`` for a non-null value (Parse's equality, array containment included)."""
    if _loose(ref):
        if not ref.path:  # a field the class lacks: Parse still rejects what is not an atom
            check_atom(value, top=top)
        return ir.Compare(ref, "eq", path_value(value))
    if ref.type == "Array":
        if isinstance(value, list):
            if top:
                check_atom(value, top=True)
            return ir.Compare(ref, "eq", interior(value))  # $eq with an array: the whole array
        return ir.ArrayAny(ref, (interior(value),))
    if ref.type in JSON_COLUMN_TYPES and value == {}:
        return ir.Compare(ref, "eq", {})
    check_atom(value, top=top)
    try:
        return ir.Compare(ref, "eq", to_internal(ref.type, ref.target, value))
    except Mismatch:
        return ir.FALSE


def _flatten(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        out.extend(v if isinstance(v, list) else (v,))
    return out


def in_list(ref: ir.FieldRef, values: list[Any]) -> ir.Node:
    """``$in``: null in the list matches a missing field; other values as equality would."""
    nodes: list[ir.Node] = [ir.IsNull(ref)] if None in values else []
    present = [v for v in values if v is not None]
    if ref.type == "Array" and not ref.path:
        if present:
            nodes.append(ir.ArrayAny(ref, tuple(interior(v) for v in present)))
        return ir.or_(*nodes)
    if _loose(ref) or ref.type in JSON_COLUMN_TYPES:
        return ir.or_(*nodes, *(equals(ref, v, top=False) for v in present))
    decoded: list[Any] = []
    for v in present:
        check_atom(v, top=False)
        try:
            decoded.append(to_internal(ref.type, ref.target, v))
        except Mismatch:
            continue
    if decoded:
        nodes.append(ir.In(ref, tuple(decoded)))
    return ir.or_(*nodes)


def _require_list(op: str, value: Any, message: str | None = None) -> list[Any]:
    if not isinstance(value, list):
        raise ParseError(Code.INVALID_JSON, message or f"bad {op} value")
    return value


class _Constraint:
    def __init__(self, ref: ir.FieldRef, spec: dict[str, Any], subs: SubQueries) -> None:
        self.ref = ref
        self.spec = spec
        self.subs = subs

    def parse(self) -> ir.Node:
        nodes: list[ir.Node] = []
        for op, arg in self.spec.items():
            handler = self._handlers.get(op)
            if handler is not None:
                nodes.append(handler(self, op, arg))
            elif op == "$options":
                continue  # read with $regex
            elif op in UNSUPPORTED:
                raise ParseError(Code.COMMAND_UNAVAILABLE, f"the {op} constraint is not supported")
            else:
                raise ParseError(Code.INVALID_JSON, f"bad constraint: {op}")
        return ir.and_(*nodes)

    # --- equality ---------------------------------------------------------------------------

    def _eq(self, op: str, arg: Any) -> ir.Node:
        self._no_relative_time(arg)
        return ir.IsNull(self.ref) if arg is None else equals(self.ref, arg, top=False)

    def _ne(self, op: str, arg: Any) -> ir.Node:
        return ir.not_(self._eq(op, arg))

    def _in(self, op: str, arg: Any) -> ir.Node:
        return in_list(self.ref, _flatten(_require_list(op, arg)))

    def _nin(self, op: str, arg: Any) -> ir.Node:
        return ir.not_(in_list(self.ref, _flatten(_require_list(op, arg))))

    def _exists(self, op: str, arg: Any) -> ir.Node:
        self._no_relative_time(arg)
        node = ir.Exists(self.ref)
        return node if js_truthy(arg) else ir.not_(node)

    # --- order ------------------------------------------------------------------------------

    def _order(self, op: str, arg: Any) -> ir.Node:
        cmp = _ORDER_OPS[op]
        ref = self.ref
        if isinstance(arg, dict) and "$relativeTime" in arg:
            return ir.Compare(ref, cmp, self._relative_time(op, arg["$relativeTime"]))
        if arg is None:  # only null <= null: $lte/$gte null match what null matches
            return ir.IsNull(ref) if cmp in ("lte", "gte") else ir.FALSE
        if _loose(ref):
            value = path_value(arg)
            if isinstance(value, bool | dict | list):
                return ir.FALSE
            return ir.Compare(ref, cmp, value)
        check_atom(arg, top=False)
        if ref.type in (*JSON_COLUMN_TYPES, "Array"):
            return ir.FALSE
        try:
            return ir.Compare(ref, cmp, to_internal(ref.type, ref.target, arg))
        except Mismatch:
            return ir.FALSE

    # --- arrays -----------------------------------------------------------------------------

    def _all(self, op: str, arg: Any) -> ir.Node:
        values = _require_list(op, arg)
        regexes = [isinstance(v, dict) and "$regex" in v for v in values]
        if any(regexes):
            if not all(regexes):
                raise ParseError(
                    Code.INVALID_JSON,
                    "All $all values must be of regex type or none: " + js_str(values),
                )
            return ir.and_(*(self._regex_node(v.get("$regex"), v.get("$options")) for v in values))
        if not values:
            return ir.FALSE
        ref = self.ref
        if ref.type == "Array" and not ref.path:
            return ir.ArrayAll(ref, tuple(interior(v) for v in values))
        if ref.path:
            raise ParseError(Code.COMMAND_UNAVAILABLE, "$all is not supported on Object sub-keys")
        return ir.and_(*(ir.IsNull(ref) if v is None else equals(ref, v, top=False) for v in values))

    def _contained_by(self, op: str, arg: Any) -> ir.Node:
        values = _require_list(op, arg, "bad $containedBy: should be an array")
        ref = self.ref
        if ref.type == "Array" and not ref.path:
            return ir.ArrayContainedBy(ref, tuple(interior(v) for v in values))
        if ref.path:
            raise ParseError(Code.COMMAND_UNAVAILABLE, "$containedBy is not supported on Object sub-keys")
        return ir.TRUE  # Mongo: a value that is not an array has no element outside the list

    # --- regex ------------------------------------------------------------------------------

    def _regex(self, op: str, arg: Any) -> ir.Node:
        return self._regex_node(arg, self.spec.get("$options"))

    def _regex_node(self, pattern: Any, options: Any) -> ir.Node:
        if not isinstance(pattern, str):
            raise ParseError(Code.INVALID_JSON, f"bad regex: {js_str(pattern)}")
        if options is None:
            options = ""
        elif not isinstance(options, str) or not OPTIONS_RE.match(options):
            raise ParseError(Code.INVALID_QUERY, f"Bad $options value for query: {js_str(options)}")
        text, flags = prepare(pattern, options)
        ref = self.ref
        if _loose(ref) or ref.type in TEXT_TYPES or ref.type == "Array":
            return ir.Regex(ref, text, flags)
        return ir.FALSE

    # --- subqueries -------------------------------------------------------------------------

    def _in_query(self, op: str, arg: Any) -> ir.Node:
        if (
            not isinstance(arg, dict)
            or not js_truthy(arg.get("where"))
            or not js_truthy(arg.get("className"))
        ):
            raise ParseError(Code.INVALID_QUERY, f"improper usage of {op}")
        sub = self.subs.subquery(arg["className"], arg["where"])
        node = self._in_query_node(sub)
        return ir.not_(node) if op == "$notInQuery" else node

    def _in_query_node(self, sub: ir.SubQuery | None) -> ir.Node:
        ref = self.ref
        if sub is None or ref.path or ref.type not in ("Pointer", "String", "Array"):
            return ir.FALSE
        if ref.type == "Pointer" and ref.target not in (None, sub.schema.name):
            return ir.FALSE
        return ir.InQuery(ref, sub)

    def _select(self, op: str, arg: Any) -> ir.Node:
        query = arg.get("query") if isinstance(arg, dict) else None
        key = arg.get("key") if isinstance(arg, dict) else None
        if not isinstance(query, dict) or not query.get("className") or not key or len(arg) != 2:
            raise ParseError(Code.INVALID_QUERY, f"improper usage of {op}")
        if not isinstance(key, str) or "." in key:
            raise ParseError(Code.COMMAND_UNAVAILABLE, f"{op} on a nested key is not supported")
        sub = self.subs.subquery(query["className"], query.get("where") or {})
        node = self._select_node(sub, key)
        return ir.not_(node) if op == "$dontSelect" else node

    def _select_node(self, sub: ir.SubQuery | None, key: str) -> ir.Node:
        ref = self.ref
        key_ref = self.subs.key_ref(sub.schema.name, key) if sub is not None else None
        if sub is None or key_ref is None or ref.path or ref.type not in _SELECT_COMPATIBLE:
            return ir.FALSE
        if key_ref.type not in _SELECT_COMPATIBLE[ref.type]:
            return ir.FALSE
        if ref.type == key_ref.type == "Pointer" and ref.target != key_ref.target:
            return ir.FALSE
        return ir.Select(ref, sub, key_ref)

    # --- helpers ----------------------------------------------------------------------------

    def _relative_time(self, op: str, text: Any) -> datetime:
        if self.ref.path or self.ref.type not in ("Date", UNKNOWN):
            raise ParseError(Code.INVALID_JSON, "$relativeTime can only be used with Date field")
        try:
            if not isinstance(text, str):
                raise ValueError(f"'{js_str(text)}' is not a string.")
            return relative_time(text, now_ms())
        except (ValueError, OverflowError) as exc:
            raise ParseError(Code.INVALID_JSON, f"bad $relativeTime ({op}) value. {exc}") from None

    @staticmethod
    def _no_relative_time(arg: Any) -> None:
        if isinstance(arg, dict) and "$relativeTime" in arg:
            raise ParseError(
                Code.INVALID_JSON,
                "$relativeTime can only be used with the $lt, $lte, $gt, and $gte operators",
            )

    _handlers: dict[str, Callable[[_Constraint, str, Any], ir.Node]] = {
        "$eq": _eq,
        "$ne": _ne,
        "$in": _in,
        "$nin": _nin,
        "$exists": _exists,
        "$lt": _order,
        "$lte": _order,
        "$gt": _order,
        "$gte": _order,
        "$all": _all,
        "$containedBy": _contained_by,
        "$regex": _regex,
        "$inQuery": _in_query,
        "$notInQuery": _in_query,
        "$select": _select,
        "$dontSelect": _select,
    }

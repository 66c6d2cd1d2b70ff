"""IR leaves spelled for SQLite (JSON1 functions; ``REGEXP`` from ``sqlite_functions``, run by RE2).

A JSON value's type is read with ``json_type`` / ``json_each.type``, because ``json_extract``
flattens ``true`` to 1 and JSON null to SQL NULL. Elements are addressed through the
column and ``json_each.fullkey`` (never by re-parsing ``json_each.value``, which is not JSON
for a string element).
"""

from __future__ import annotations

from typing import Any

from chartkeep.query import ir
from chartkeep.query.regex import re2_pattern
from chartkeep.query.sql_base import SqlCompiler
from chartkeep.query.values import JSON_COLUMN_TYPES, json_text, kind
from chartkeep.schema.dates import iso_ms

_OPS = {"eq": "=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}


def _path(keys: tuple[str, ...]) -> str:
    return "$" + "".join(f'."{k}"' for k in keys)


class SqliteCompiler(SqlCompiler):
    # --- expressions ------------------------------------------------------------------------

    def elements(self, column: str) -> str:
        return f"json_each(CASE WHEN json_type({column}) = 'array' THEN {column} END)"

    def _element_match(self, col: str, a: str, values: tuple[Any, ...]) -> str:
        """SQL true when json_each row ``a`` (over ``col``) equals one of ``values``."""
        texts = [v for v in values if kind(v) == "string"]
        numbers = [v for v in values if kind(v) == "number"]
        parts: list[str] = []
        if texts:
            marks = ", ".join(self.p(v) for v in texts)
            parts.append(f"({a}.type = 'text' AND {a}.value IN ({marks}))")
        if numbers:
            marks = ", ".join(self.p(float(v)) for v in numbers)
            parts.append(f"({a}.type IN ('integer', 'real') AND {a}.value IN ({marks}))")
        for name, probe in (("true", True), ("false", False), ("null", None)):
            if any(v is probe for v in values):
                parts.append(f"({a}.type = '{name}')")
        for v in values:
            if kind(v) in ("object", "array"):
                parts.append(self.json_eq(col, f"{a}.fullkey", v))
        return "(" + " OR ".join(parts) + ")" if parts else "(1 = 0)"

    def json_eq(self, doc: str, path: str, v: Any) -> str:
        """SQL true when the JSON node at ``path`` (a SQL text expression) of ``doc`` equals ``v``.

        Structural, like ``values.json_equal``: objects key by key whatever the key order,
        numbers numerically. Object keys are bound as parameters and matched through
        ``json_each``, so any key text is safe.
        """
        t = f"json_type({doc}, {path})"
        k = kind(v)
        if k in ("null", "bool"):
            return f"({t} = '{json_text(v)}')"
        if k == "number":
            return f"({t} IN ('integer', 'real') AND json_extract({doc}, {path}) = {self.p(float(v))})"
        if k == "string":
            return f"({t} = 'text' AND json_extract({doc}, {path}) = {self.p(v)})"
        if k == "array":
            parts = [f"{t} = 'array'", f"json_array_length({doc}, {path}) = {len(v)}"]
            parts += [self.json_eq(doc, f"{path} || '[{i}]'", item) for i, item in enumerate(v)]
            return "(" + " AND ".join(parts) + ")"
        parts = [f"{t} = 'object'", f"(SELECT count(*) FROM json_each({doc}, {path})) = {len(v)}"]
        for key, item in v.items():
            x = self.alias("j")
            key_mark = self.p(key)
            parts.append(
                f"EXISTS (SELECT 1 FROM json_each({doc}, {path}) AS {x} "
                f"WHERE {x}.key = {key_mark} AND {self._member_eq(x, item)})"
            )
        return "(" + " AND ".join(parts) + ")"

    def _member_eq(self, x: str, v: Any) -> str:
        """json_each row ``x`` equals ``v``."""
        k = kind(v)
        if k in ("null", "bool"):
            return f"({x}.type = '{json_text(v)}')"
        if k == "number":
            return f"({x}.type IN ('integer', 'real') AND {x}.value = {self.p(float(v))})"
        if k == "string":
            return f"({x}.type = 'text' AND {x}.value = {self.p(v)})"
        doc = f"(CASE WHEN {x}.type IN ('object', 'array') THEN {x}.value END)"
        return self.json_eq(doc, "'$'", v)

    # --- leaves -----------------------------------------------------------------------------

    def _Exists(self, node: ir.Exists, qual: str) -> str:
        col = self.col(qual, node.field.name)
        if node.field.path:
            return f"(json_type({col}, '{_path(node.field.path)}') IS NOT NULL)"
        return f"({col} IS NOT NULL)"

    def _IsNull(self, node: ir.IsNull, qual: str) -> str:
        col = self.col(qual, node.field.name)
        if node.field.path:
            return f"(COALESCE(json_type({col}, '{_path(node.field.path)}'), 'null') = 'null')"
        return f"({col} IS NULL)"

    def _Compare(self, node: ir.Compare, qual: str) -> str:
        ref, op, v = node.field, _OPS[node.op], node.value
        col = self.col(qual, ref.name)
        if ref.path:
            return self._path_compare(col, ref.path, op, v)
        if ref.type in JSON_COLUMN_TYPES or ref.type == "Array":
            return self.json_eq(col, "'$'", v)
        return f"({col} {op} {self.p(self.dialect.to_db(ref.type, v))})"

    def _path_compare(self, col: str, path: tuple[str, ...], op: str, v: Any) -> str:
        p = _path(path)
        t, e = f"json_type({col}, '{p}')", f"json_extract({col}, '{p}')"
        k = kind(v)
        if k == "date":
            is_date = f"json_extract({col}, '{_path((*path, '__type'))}') = 'Date'"
            iso = f"json_extract({col}, '{_path((*path, 'iso'))}')"
            return f"((CASE WHEN {is_date} THEN {iso} END) {op} {self.p(iso_ms(v))})"
        if k == "bool":
            return f"({t} = '{'true' if v else 'false'}')"
        if k in ("object", "array"):
            return self.json_eq(col, f"'{p}'", v)
        if k == "number":
            return f"((CASE WHEN {t} IN ('integer', 'real') THEN {e} END) {op} {self.p(float(v))})"
        return f"((CASE WHEN {t} = 'text' THEN {e} END) {op} {self.p(v)})"

    def _In(self, node: ir.In, qual: str) -> str:
        ref = node.field
        marks = ", ".join(self.p(self.dialect.to_db(ref.type, v)) for v in node.values)
        return f"({self.col(qual, ref.name)} IN ({marks}))"

    def _ArrayAny(self, node: ir.ArrayAny, qual: str) -> str:
        a = self.alias("e")
        col = self.col(qual, node.field.name)
        return f"EXISTS (SELECT 1 FROM {self.elements(col)} AS {a} WHERE {self._element_match(col, a, node.values)})"

    def _ArrayAll(self, node: ir.ArrayAll, qual: str) -> str:
        parts = [self._ArrayAny(ir.ArrayAny(node.field, (v,)), qual) for v in node.values]
        return "(" + " AND ".join(parts) + ")"

    def _ArrayContainedBy(self, node: ir.ArrayContainedBy, qual: str) -> str:
        a = self.alias("e")
        col = self.col(qual, node.field.name)
        match = self._element_match(col, a, node.values)
        return f"(NOT EXISTS (SELECT 1 FROM {self.elements(col)} AS {a} WHERE ({match}) IS NOT TRUE))"

    def _Regex(self, node: ir.Regex, qual: str) -> str:
        ref = node.field
        col = self.col(qual, ref.name)
        pattern = self.p(re2_pattern(node.pattern, node.flags))
        if ref.type == "Array" and not ref.path:
            a = self.alias("e")
            return (
                f"EXISTS (SELECT 1 FROM {self.elements(col)} AS {a} "
                f"WHERE {a}.type = 'text' AND {a}.value REGEXP {pattern})"
            )
        if ref.path:
            p = _path(ref.path)
            return f"((CASE WHEN json_type({col}, '{p}') = 'text' THEN json_extract({col}, '{p}') END) REGEXP {pattern})"
        return f"({col} REGEXP {pattern})"

    def _InQuery(self, node: ir.InQuery, qual: str) -> str:
        ref = node.field
        col = self.col(qual, ref.name)
        if ref.type == "Array":
            a = self.alias("e")

            def member(key: str) -> str:
                return f"json_extract({col}, {a}.fullkey || '.{key}')"

            cls = self.p(node.sub.schema.name)
            return (
                f"EXISTS (SELECT 1 FROM {self.elements(col)} AS {a} WHERE {a}.type = 'object' "
                f"AND {member('__type')} = 'Pointer' AND {member('className')} = {cls} "
                f"AND {member('objectId')} IN ({self.sub_select(node.sub, 'objectId')}))"
            )
        return f"({col} IN ({self.sub_select(node.sub, 'objectId')}))"

    def id_list(self, ids: tuple[str, ...]) -> str:
        return f"SELECT value FROM json_each({self.p(json_text(list(ids)))})"

    # --- order ------------------------------------------------------------------------------

    def order_expr(self, ref: ir.FieldRef, qual: str) -> str:
        col = self.col(qual, ref.name)
        return f"json_extract({col}, '{_path(ref.path)}')" if ref.path else col

    def order_suffix(self, descending: bool) -> str:
        return "DESC" if descending else "ASC"

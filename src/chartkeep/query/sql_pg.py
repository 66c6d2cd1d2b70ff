"""IR leaves spelled for PostgreSQL (asyncpg binds; explicit casts on every parameter).

JSON parameters are sent as text and cast (``$n::text::jsonb``), so they do not depend on a
jsonb codec being installed on the connection. String order is ``COLLATE "C"`` (code point
order, as Python, SQLite and MongoDB compare strings).
"""

from __future__ import annotations

from typing import Any

from chartkeep.query import ir
from chartkeep.query.regex import pg_pattern
from chartkeep.query.sql_base import SqlCompiler
from chartkeep.query.values import JSON_COLUMN_TYPES, TEXT_TYPES, json_text, kind
from chartkeep.schema.dates import iso_ms

_OPS = {"eq": "=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
_CASTS = {
    "String": "text",
    "Pointer": "text",
    "File": "text",
    "Bytes": "text",
    "Number": "float8",
    "Boolean": "boolean",
    "Date": "timestamptz",
}


class PostgresCompiler(SqlCompiler):
    # --- expressions ------------------------------------------------------------------------

    def expr(self, ref: ir.FieldRef, qual: str) -> str:
        """The column, or the jsonb at a sub-key path (``->`` walks objects only, as Mongo does)."""
        out = self.col(qual, ref.name)
        if ref.path:
            out = "(" + out + "".join(f" -> '{key}'" for key in ref.path) + ")"
        return out

    def elements(self, column: str) -> str:
        return f"jsonb_array_elements(CASE WHEN jsonb_typeof({column}) = 'array' THEN {column} END)"

    def jsonb(self, value: Any) -> str:
        return f"{self.p(json_text(value))}::text::jsonb"

    def typed(self, field_type: str, value: Any) -> str:
        return f"{self.p(self.dialect.to_db(field_type, value))}::{_CASTS[field_type]}"

    # --- leaves -----------------------------------------------------------------------------

    def _Exists(self, node: ir.Exists, qual: str) -> str:
        return f"({self.expr(node.field, qual)} IS NOT NULL)"

    def _IsNull(self, node: ir.IsNull, qual: str) -> str:
        e = self.expr(node.field, qual)
        if node.field.path:
            return f"({e} IS NULL OR jsonb_typeof({e}) = 'null')"
        return f"({e} IS NULL)"

    def _Compare(self, node: ir.Compare, qual: str) -> str:
        ref, op, v = node.field, _OPS[node.op], node.value
        e = self.expr(ref, qual)
        if ref.path:
            return self._path_compare(e, op, v)
        if ref.type in JSON_COLUMN_TYPES or ref.type == "Array":
            return f"({e} = {self.jsonb(v)})"
        if ref.type in TEXT_TYPES and op != "=":
            return f'({e} COLLATE "C" {op} {self.typed(ref.type, v)})'
        return f"({e} {op} {self.typed(ref.type, v)})"

    def _path_compare(self, e: str, op: str, v: Any) -> str:
        k = kind(v)
        if k == "date":
            return (
                f"((CASE WHEN {e} ->> '__type' = 'Date' THEN {e} ->> 'iso' END) COLLATE \"C\" "
                f"{op} {self.p(iso_ms(v))}::text)"
            )
        if op == "=":
            return f"({e} = {self.jsonb(v)})"
        if k == "number":
            return (
                f"((CASE WHEN jsonb_typeof({e}) = 'number' THEN ({e})::float8 END) "
                f"{op} {self.p(float(v))}::float8)"
            )
        return (
            f"((CASE WHEN jsonb_typeof({e}) = 'string' THEN {e} #>> '{{}}' END) COLLATE \"C\" "
            f"{op} {self.p(v)}::text)"
        )

    def _In(self, node: ir.In, qual: str) -> str:
        ref = node.field
        values = [self.dialect.to_db(ref.type, v) for v in node.values]
        return f"({self.expr(ref, qual)} = ANY({self.p(values)}::{_CASTS[ref.type]}[]))"

    def _ArrayAny(self, node: ir.ArrayAny, qual: str) -> str:
        col = self.expr(node.field, qual)
        if len(node.values) == 1 and kind(node.values[0]) not in ("object", "array"):
            return f"({col} @> {self.jsonb(list(node.values))})"
        a = self.alias("e")
        return (
            f"EXISTS (SELECT 1 FROM {self.elements(col)} AS {a}(v) "
            f"WHERE {a}.v IN (SELECT jsonb_array_elements({self.jsonb(list(node.values))})))"
        )

    def _ArrayAll(self, node: ir.ArrayAll, qual: str) -> str:
        col = self.expr(node.field, qual)
        if all(kind(v) not in ("object", "array") for v in node.values):
            return f"({col} @> {self.jsonb(list(node.values))})"
        parts = [self._ArrayAny(ir.ArrayAny(node.field, (v,)), qual) for v in node.values]
        return "(" + " AND ".join(parts) + ")"

    def _ArrayContainedBy(self, node: ir.ArrayContainedBy, qual: str) -> str:
        col = self.expr(node.field, qual)
        a = self.alias("e")
        return (
            f"(NOT EXISTS (SELECT 1 FROM {self.elements(col)} AS {a}(v) "
            f"WHERE {a}.v NOT IN (SELECT jsonb_array_elements({self.jsonb(list(node.values))}))))"
        )

    def _Regex(self, node: ir.Regex, qual: str) -> str:
        ref = node.field
        e = self.expr(ref, qual)
        pattern = f"{self.p(pg_pattern(node.pattern, node.flags))}::text"
        if ref.type == "Array" and not ref.path:
            a = self.alias("e")
            return (
                f"EXISTS (SELECT 1 FROM {self.elements(e)} AS {a}(v) "
                f"WHERE jsonb_typeof({a}.v) = 'string' AND ({a}.v #>> '{{}}') ~ {pattern})"
            )
        if ref.path:
            return f"((CASE WHEN jsonb_typeof({e}) = 'string' THEN {e} #>> '{{}}' END) ~ {pattern})"
        return f"({e} ~ {pattern})"

    def _InQuery(self, node: ir.InQuery, qual: str) -> str:
        ref = node.field
        e = self.expr(ref, qual)
        if ref.type == "Array":
            a = self.alias("e")
            cls = self.p(node.sub.schema.name)
            return (
                f"EXISTS (SELECT 1 FROM {self.elements(e)} AS {a}(v) "
                f"WHERE {a}.v ->> '__type' = 'Pointer' AND {a}.v ->> 'className' = {cls}::text "
                f"AND {a}.v ->> 'objectId' IN ({self.sub_select(node.sub, 'objectId')}))"
            )
        return f"({e} IN ({self.sub_select(node.sub, 'objectId')}))"

    def id_list(self, ids: tuple[str, ...]) -> str:
        return f"SELECT unnest({self.p(list(ids))}::text[])"


    # --- order ------------------------------------------------------------------------------

    def order_expr(self, ref: ir.FieldRef, qual: str) -> str:
        e = self.expr(ref, qual)
        return f'{e} COLLATE "C"' if not ref.path and ref.type in TEXT_TYPES else e

    def order_suffix(self, descending: bool) -> str:
        return "DESC NULLS LAST" if descending else "ASC NULLS FIRST"

"""How each Parse field type is stored, per SQL dialect.

Internal values (what services, the query IR and the matcher work with):

=========  ==========================================  =====================  ==================
type       internal Python value                       PostgreSQL column      SQLite column
=========  ==========================================  =====================  ==================
String     str                                         text                   TEXT
Number     int | float                                 double precision       REAL
Boolean    bool                                        boolean                INTEGER (0/1)
Date       datetime, tz-aware UTC, millisecond precision timestamptz          TEXT ISO ``...mmmZ``
Pointer    objectId str (class from the schema)        text                   TEXT
Object     dict (Parse JSON inside)                    jsonb                  TEXT (JSON)
Array      list (Parse JSON elements)                  jsonb                  TEXT (JSON)
File       file name str                               text                   TEXT
Bytes      base64 str                                  text                   TEXT
GeoPoint   {"latitude": f, "longitude": f}             jsonb                  TEXT (JSON)
Polygon    [[lat, lng], ...]                           jsonb                  TEXT (JSON)
=========  ==========================================  =====================  ==================

ACLs live in ``_rperm`` / ``_wperm``: PostgreSQL ``text[]``, SQLite JSON text; NULL means public.
Relations live in join tables ``"_Join:{field}:{Class}"`` (``owningId``, ``relatedId``).
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

import orjson

from chartkeep.schema.dates import iso_ms, parse_iso

JSON_TYPES = frozenset({"Object", "Array", "GeoPoint", "Polygon"})
MAX_SAFE_INT = 2**53


def quote(identifier: str) -> str:
    """Quote an identifier (identifiers are validated before they get here)."""
    return '"' + identifier.replace('"', '""') + '"'


def join_table(class_name: str, field_name: str) -> str:
    return f"_Join:{field_name}:{class_name}"


def number_out(value: float | int) -> int | float:
    """Numbers are stored as doubles; integral values come back as int (as JSON/JS prints them)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < MAX_SAFE_INT:
        return int(value)
    return value


def with_public(principals: list[str] | tuple[str, ...]) -> list[str]:
    """``*`` always applies; duplicates dropped, order kept."""
    return ["*", *(p for p in dict.fromkeys(principals) if p != "*")]


class Params:
    """Collects bind values; ``add`` returns the placeholder to splice into the SQL."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.values: list[Any] = []

    def add(self, value: Any) -> str:
        self.values.append(value)
        return self.dialect.placeholder(len(self.values))


class Dialect:
    """Base: the SQL spelling and value conversion one database needs."""

    name: str = ""
    perm_type: str = ""
    json_type: str = ""

    def placeholder(self, index: int) -> str:  # 1-based position
        raise NotImplementedError

    def column_type(self, field_type: str) -> str:
        raise NotImplementedError

    def to_db(self, field_type: str, value: Any) -> Any:
        raise NotImplementedError

    def from_db(self, field_type: str, raw: Any) -> Any:
        raise NotImplementedError

    def perm_to_db(self, perms: list[str] | None) -> Any:
        raise NotImplementedError

    def perm_from_db(self, raw: Any) -> list[str] | None:
        raise NotImplementedError

    def perm_overlap(self, column: str, principals: list[str], params: Params) -> str:
        """SQL true when the permission column (an SQL expression) is NULL (public) or shares a
        principal. The one spelling of an ACL test: row writes, gets, includes and finds use it."""
        raise NotImplementedError


class PostgresDialect(Dialect):
    name = "postgresql"
    _types = {
        "String": "text",
        "Number": "double precision",
        "Boolean": "boolean",
        "Date": "timestamptz",
        "Pointer": "text",
        "Object": "jsonb",
        "Array": "jsonb",
        "File": "text",
        "Bytes": "text",
        "GeoPoint": "jsonb",
        "Polygon": "jsonb",
    }

    perm_type = "text[]"
    json_type = "jsonb"

    def placeholder(self, index: int) -> str:
        return f"${index}"

    def column_type(self, field_type: str) -> str:
        return self._types[field_type]

    def to_db(self, field_type: str, value: Any) -> Any:
        if value is None:
            return None
        if field_type == "Number":
            return float(value)
        return value  # asyncpg takes datetime / bool / str natively; jsonb via the orjson codec

    def from_db(self, field_type: str, raw: Any) -> Any:
        if raw is None:
            return None
        if field_type == "Number":
            return number_out(raw)
        if field_type == "Date":
            return raw.astimezone(UTC)
        return raw

    def perm_to_db(self, perms: list[str] | None) -> Any:
        return perms

    def perm_from_db(self, raw: Any) -> list[str] | None:
        return list(raw) if raw is not None else None

    def perm_overlap(self, column: str, principals: list[str], params: Params) -> str:
        return f"({column} IS NULL OR {column} && {params.add(with_public(principals))}::text[])"


class SqliteDialect(Dialect):
    name = "sqlite"
    _types = {
        "String": "TEXT",
        "Number": "REAL",
        "Boolean": "INTEGER",
        "Date": "TEXT",
        "Pointer": "TEXT",
        "Object": "TEXT",
        "Array": "TEXT",
        "File": "TEXT",
        "Bytes": "TEXT",
        "GeoPoint": "TEXT",
        "Polygon": "TEXT",
    }

    perm_type = "TEXT"
    json_type = "TEXT"

    def placeholder(self, index: int) -> str:
        return "?"

    def column_type(self, field_type: str) -> str:
        return self._types[field_type]

    def to_db(self, field_type: str, value: Any) -> Any:
        if value is None:
            return None
        if field_type == "Date":
            return iso_ms(value)
        if field_type in JSON_TYPES:
            return orjson.dumps(value).decode()
        if field_type == "Boolean":
            return 1 if value else 0
        if field_type == "Number":
            return float(value)
        return value

    def from_db(self, field_type: str, raw: Any) -> Any:
        if raw is None:
            return None
        if field_type == "Date":
            return parse_iso(raw)
        if field_type in JSON_TYPES:
            return orjson.loads(raw)
        if field_type == "Boolean":
            return bool(raw)
        if field_type == "Number":
            return number_out(raw)
        return raw

    def perm_to_db(self, perms: list[str] | None) -> Any:
        return None if perms is None else orjson.dumps(perms).decode()

    def perm_from_db(self, raw: Any) -> list[str] | None:
        return None if raw is None else orjson.loads(raw)

    def perm_overlap(self, column: str, principals: list[str], params: Params) -> str:
        listed = params.add(orjson.dumps(with_public(principals)).decode())
        return (
            f"({column} IS NULL OR EXISTS (SELECT 1 FROM json_each({column}) AS __perm "
            f"WHERE __perm.value IN (SELECT value FROM json_each({listed}))))"
        )


def dialect_for(url: str) -> Dialect:
    if url.startswith("sqlite"):
        return SqliteDialect()
    if url.startswith(("postgresql", "postgres")):
        return PostgresDialect()
    raise ValueError(f"unsupported database URL: {url!r} (use sqlite:///path or postgresql://...)")

"""Query tests: a small schema, and one real database per backend (SQLite file, PostgreSQL schema).

``backend`` is parametrized over SQLite and PostgreSQL; every test that runs SQL runs on both.
PostgreSQL cases use a private schema in the machine's ``test`` database; when PostgreSQL is
unreachable they fail under ``CI=true`` and are skipped with the reason otherwise.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
from collections.abc import AsyncIterator, Iterable
from typing import Any

import asyncpg
import orjson
import pytest

from chartkeep.query import ir
from chartkeep.query.parse import Scope, parse_where
from chartkeep.query.sql import compile_select
from chartkeep.query.sqlite_functions import register_sqlite_functions
from chartkeep.schema.model import ClassSchema, FieldSpec
from chartkeep.storage.dialect import Dialect, PostgresDialect, SqliteDialect, join_table, quote
from tests.conftest import PG_URL, require_service
from tests.query.data import FANS, ITEMS, TEAMS, USERS, D


class Schemas:
    """A SchemaLookup over a dict."""

    def __init__(self, classes: Iterable[ClassSchema]) -> None:
        self.classes = {c.name: c for c in classes}

    def get(self, class_name: str) -> ClassSchema | None:
        return self.classes.get(class_name)


def make_schemas() -> Schemas:
    f = FieldSpec
    return Schemas(
        [
            ClassSchema(
                "Item",
                {
                    "name": f("String"),
                    "n": f("Number"),
                    "flag": f("Boolean"),
                    "when": f("Date"),
                    "owner": f("Pointer", "_User"),
                    "tags": f("Array"),
                    "meta": f("Object"),
                    "file": f("File"),
                    "loc": f("GeoPoint"),
                    "fans": f("Relation", "_User"),
                    "label": f("String"),
                },
            ),
            ClassSchema("_User", {"username": f("String"), "age": f("Number"), "team": f("Pointer", "Team")}),
            ClassSchema("Team", {"title": f("String"), "lead": f("Pointer", "_User"), "size": f("Number")}),
        ]
    )


SCHEMAS = make_schemas()


def internal_row(schema: ClassSchema, obj: dict[str, Any]) -> dict[str, Any]:
    """Fill the columns a row always has."""
    row = {"createdAt": D("2024-01-01T00:00:00"), "updatedAt": D("2024-01-01T00:00:00"), **obj}
    row.setdefault("_rperm", None)
    row.setdefault("_wperm", None)
    return row


class Backend:
    name: str
    dialect: Dialect

    async def execute(self, sql: str, params: list[Any] | None = None) -> None:
        raise NotImplementedError

    async def fetch_column(self, sql: str, params: list[Any]) -> list[Any]:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    # --- shared ---

    async def create(self, schemas: Schemas) -> None:
        d = self.dialect
        perm = "text[]" if d.name == "postgresql" else "TEXT"
        for schema in schemas.classes.values():
            cols = [
                '"objectId" text PRIMARY KEY',
                f'"createdAt" {d.column_type("Date")}',
                f'"updatedAt" {d.column_type("Date")}',
                f'"_rperm" {perm}',
                f'"_wperm" {perm}',
            ]
            for name, spec in schema.column_fields().items():
                cols.append(f"{quote(name)} {d.column_type(spec.type)}")
            await self.execute(f"CREATE TABLE {quote(schema.name)} ({', '.join(cols)})")
            for name, spec in schema.fields.items():
                if spec.type == "Relation":
                    table = quote(join_table(schema.name, name))
                    await self.execute(f'CREATE TABLE {table} ("owningId" text, "relatedId" text)')

    async def insert(self, schema: ClassSchema, obj: dict[str, Any]) -> None:
        row = internal_row(schema, obj)
        d = self.dialect
        names, values = [], []
        for name, value in row.items():
            if name in ("_rperm", "_wperm"):
                values.append(d.perm_to_db(value))
            else:
                values.append(d.to_db(schema.field_type(name) or "String", value))
            names.append(quote(name))
        marks = ", ".join(d.placeholder(i + 1) for i in range(len(values)))
        await self.execute(f"INSERT INTO {quote(schema.name)} ({', '.join(names)}) VALUES ({marks})", values)

    async def insert_all(self, schema: ClassSchema, objs: Iterable[dict[str, Any]]) -> None:
        for obj in objs:
            await self.insert(schema, obj)

    async def relate(self, owner: str, field: str, owning: str, related: str) -> None:
        d = self.dialect
        table = quote(join_table(owner, field))
        marks = f"{d.placeholder(1)}, {d.placeholder(2)}"
        await self.execute(
            f'INSERT INTO {table} ("owningId", "relatedId") VALUES ({marks})', [owning, related]
        )

    async def run(self, schema: ClassSchema, node: ir.Node, **kw: Any) -> list[str]:
        sql, params = compile_select(schema, node, self.dialect, **kw)
        sql = re.sub(r"^SELECT .*? FROM ", f'SELECT {quote(schema.name)}."objectId" FROM ', sql, count=1)
        return [str(v) for v in await self.fetch_column(sql, params)]

    async def find(
        self,
        where: dict[str, Any],
        class_name: str = "Item",
        scope: Scope | None = None,
        schemas: Schemas = SCHEMAS,
        **kw: Any,
    ) -> list[str]:
        """Parse, compile and run; returns objectIds (sorted unless an order is given)."""
        node = parse_where(class_name, where, schemas, scope)
        schema = schemas.get(class_name)
        assert schema is not None
        ids = await self.run(schema, node, **kw)
        return ids if kw.get("order") else sorted(ids)


class SqliteBackend(Backend):
    name = "sqlite"

    def __init__(self, path: str) -> None:
        self.dialect = SqliteDialect()
        self.conn = sqlite3.connect(path, isolation_level=None)
        register_sqlite_functions(self.conn)

    async def execute(self, sql: str, params: list[Any] | None = None) -> None:
        self.conn.execute(sql, params or [])

    async def fetch_column(self, sql: str, params: list[Any]) -> list[Any]:
        return [r[0] for r in self.conn.execute(sql, params).fetchall()]

    async def close(self) -> None:
        self.conn.close()


class PostgresBackend(Backend):
    name = "postgresql"

    def __init__(self, conn: asyncpg.Connection, admin: asyncpg.Connection, pg_schema: str) -> None:
        self.dialect = PostgresDialect()
        self.conn = conn
        self.admin = admin
        self.pg_schema = pg_schema

    async def execute(self, sql: str, params: list[Any] | None = None) -> None:
        await self.conn.execute(sql, *(params or []))

    async def fetch_column(self, sql: str, params: list[Any]) -> list[Any]:
        return [r[0] for r in await self.conn.fetch(sql, *params)]

    async def close(self) -> None:
        await self.conn.close()
        await self.admin.execute(f'DROP SCHEMA "{self.pg_schema}" CASCADE')
        await self.admin.close()


async def open_postgres() -> PostgresBackend:
    try:
        admin = await asyncpg.connect(PG_URL, timeout=3)
    except (OSError, asyncpg.PostgresError) as exc:
        require_service(f"PostgreSQL at {PG_URL} unreachable: {exc}")
        raise
    pg_schema = "q_" + secrets.token_hex(6)
    await admin.execute(f'CREATE SCHEMA "{pg_schema}"')
    conn = await asyncpg.connect(PG_URL, server_settings={"search_path": pg_schema})
    dumps = lambda v: orjson.dumps(v).decode()  # noqa: E731 - the storage layer's jsonb codec
    await conn.set_type_codec("jsonb", encoder=dumps, decoder=orjson.loads, schema="pg_catalog")
    return PostgresBackend(conn, admin, pg_schema)


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_backend(request: pytest.FixtureRequest, tmp_path: Any) -> AsyncIterator[Backend]:
    backend: Backend
    if request.param == "sqlite":
        backend = SqliteBackend(str(tmp_path / "query.db"))
    else:
        backend = await open_postgres()
    try:
        await backend.create(SCHEMAS)
        yield backend
    finally:
        await backend.close()


@pytest.fixture
async def backend(empty_backend: Backend) -> Backend:
    """Both databases loaded with ``data.py``'s users, teams, items and relations."""
    await empty_backend.insert_all(SCHEMAS.classes["_User"], USERS)
    await empty_backend.insert_all(SCHEMAS.classes["Team"], TEAMS)
    await empty_backend.insert_all(SCHEMAS.classes["Item"], ITEMS)
    for owning, related in FANS:
        await empty_backend.relate("Item", "fans", owning, related)
    return empty_backend

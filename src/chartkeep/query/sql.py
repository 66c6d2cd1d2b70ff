"""IR → SQL, the public entry points (``compile_where``, ``compile_select``, ``compile_count``).

The WHERE text references columns as ``"Class"."field"``; subqueries get ``__sN`` aliases.
Values travel as bind parameters collected in ``Params`` (PostgreSQL ``$n``, SQLite ``?``);
the only literals are validated identifiers and JSON key paths. SQLite connections need
``sqlite_functions.register_sqlite_functions``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chartkeep.query import ir
from chartkeep.query.sql_base import SqlCompiler
from chartkeep.query.sql_pg import PostgresCompiler
from chartkeep.query.sql_sqlite import SqliteCompiler
from chartkeep.schema.model import ClassSchema
from chartkeep.storage.dialect import Dialect, Params, quote
from chartkeep.storage.rows import select_list

__all__ = ["Params", "compile_where", "compile_select", "compile_count", "compile_values", "compiler_for"]


def compiler_for(dialect: Dialect, params: Params) -> SqlCompiler:
    if dialect.name == "postgresql":
        return PostgresCompiler(dialect, params)
    if dialect.name == "sqlite":
        return SqliteCompiler(dialect, params)
    raise ValueError(f"no SQL compiler for dialect {dialect.name!r}")


def compile_where(
    node: ir.Node,
    class_schema: ClassSchema,
    dialect: Dialect,
    params: Params,
    alias: str | None = None,
) -> str:
    """A boolean SQL expression over the class's table (or ``alias``), appending to ``params``."""
    qual = alias or quote(class_schema.name)
    return compiler_for(dialect, params).node(node, qual)


def _order_by(
    compiler: SqlCompiler, class_schema: ClassSchema, order: Sequence[tuple[str, bool]], qual: str
) -> str:
    terms = []
    for name, descending in order:
        root, *path = name.split(".")
        spec = class_schema.spec(root)
        if spec is None:
            continue
        ref = ir.FieldRef(root, spec.type, tuple(path), spec.target_class)
        terms.append(f"{compiler.order_expr(ref, qual)} {compiler.order_suffix(descending)}")
    return " ORDER BY " + ", ".join(terms) if terms else ""


def compile_select(
    class_schema: ClassSchema,
    where: ir.Node | None,
    dialect: Dialect,
    order: Sequence[tuple[str, bool]] = (),
    limit: int | None = None,
    skip: int = 0,
    for_update: bool = False,
) -> tuple[str, list[Any]]:
    """``SELECT <columns> FROM "Class" WHERE ... ORDER BY ... LIMIT ... OFFSET ...``; with
    ``for_update``, the rows stay locked until the transaction ends (``FOR UPDATE`` on PostgreSQL;
    SQLite has one writer)."""
    params = Params(dialect)
    compiler = compiler_for(dialect, params)
    table = quote(class_schema.name)
    sql = f"SELECT {select_list(class_schema)} FROM {table}"
    if where is not None and not isinstance(where, ir.TrueNode):
        sql += f" WHERE {compiler.node(where, table)}"
    sql += _order_by(compiler, class_schema, order, table)
    limit = None if limit is None else int(limit)
    skip = int(skip or 0)
    if (limit is not None and limit < 0) or skip < 0:
        raise ValueError("limit and skip must not be negative")
    if limit is not None:
        sql += f" LIMIT {limit}"
    elif skip and dialect.name == "sqlite":
        sql += " LIMIT -1"
    if skip:
        sql += f" OFFSET {skip}"
    if for_update and dialect.name == "postgresql":
        sql += " FOR UPDATE"
    return sql, params.values


def compile_count(
    class_schema: ClassSchema, where: ir.Node | None, dialect: Dialect
) -> tuple[str, list[Any]]:
    """``SELECT COUNT(*) FROM "Class" WHERE ...``."""
    params = Params(dialect)
    table = quote(class_schema.name)
    sql = f"SELECT COUNT(*) FROM {table}"
    if where is not None and not isinstance(where, ir.TrueNode):
        sql += f" WHERE {compiler_for(dialect, params).node(where, table)}"
    return sql, params.values


def compile_values(node: ir.Node, dialect: Dialect) -> tuple[str, list[Any]]:
    """The one-column SELECT whose rows are the values a matcher resolver returns for ``node``.

    ``InQuery`` → objectIds of ``sub``; ``Select`` → ``key`` column values (raw: convert with
    ``dialect.from_db(node.key.type, raw)``); ``RelatedTo`` → related objectIds; ``InRelation``
    → owning objectIds.
    """
    params = Params(dialect)
    compiler = compiler_for(dialect, params)
    if isinstance(node, ir.InQuery):
        sql = compiler.sub_select(node.sub, "objectId")
    elif isinstance(node, ir.Select):
        sql = compiler.sub_select(node.sub, node.key.name, non_null=True)
    elif isinstance(node, ir.RelatedTo):
        sql = compiler.related_ids_select(node)
    elif isinstance(node, ir.InRelation):
        sql = compiler.owning_ids_select(node)
    else:
        raise TypeError(f"{type(node).__name__} needs no resolution")
    return sql, params.values

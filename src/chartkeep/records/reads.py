"""Reads: get one object, find with ``where``/order/limit/skip/keys/include, count.

The reader's ACL is part of the SQL (never a filter after fetching); includes are batched.
"""

from __future__ import annotations

from typing import Any

from chartkeep.access import system
from chartkeep.access.guards import read_guard
from chartkeep.access.protected import deny_protected_query, deny_protected_subqueries
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.core.sizes import Budget
from chartkeep.errors import Code, ParseError
from chartkeep.ledger import entries
from chartkeep.query import ir
from chartkeep.query.order import parse_order
from chartkeep.query.parse import parse_where
from chartkeep.query.sql import compile_count, compile_select
from chartkeep.records.include import Expander, path_tree
from chartkeep.records.options import FIND_PARAMS, GET_PARAMS, FindOptions, check_params, parse_find_options
from chartkeep.schema.model import ClassSchema
from chartkeep.storage import rows
from chartkeep.storage.database import Conn, use


def subquery_scope(core: Core, ctx: RequestContext, class_name: str) -> ir.Node | None:
    """Rows of another class a ``$inQuery``/``$select`` may read: that class's find guard."""
    schema = core.registry.get(class_name)
    if schema is None:
        return None if ctx.is_master else ir.FALSE
    return read_guard(ctx, schema, "find", core.registry)


def build_where(
    core: Core, ctx: RequestContext, schema: ClassSchema, where: dict[str, Any], op: str = "find"
) -> ir.Node | None:
    """The client's ``where`` AND the caller's guard for ``op``; the CLP is checked here."""
    guard = read_guard(ctx, schema, op, core.registry)
    node = parse_where(schema.name, where, core.registry, scope=lambda name: subquery_scope(core, ctx, name))
    return node if guard is None else ir.and_(node, guard)


def _find_op(where: dict[str, Any]) -> str:
    """As Parse: a query on nothing but one objectId is a ``get``."""
    return "get" if len(where) == 1 and isinstance(where.get("objectId"), str) else "find"


async def find(
    core: Core, ctx: RequestContext, class_name: str, raw: dict[str, Any], conn: Conn | None = None
) -> dict[str, Any]:
    """Find, then record the patients whose data it returned (or the refusal) in the ledger.
    Cloud Code's ``before_find`` may change the query (the read guard is added after it), its
    ``after_find`` remove or reshape results (cloud/queries.py)."""
    async with entries.refusals(core, ctx, conn, "read", class_name, when=entries.is_patient_class(class_name)):
        if class_name in core.hooks.before_find:
            raw = await core.hooks.run_before_find(core, ctx, class_name, raw)
        out, seen = await _find(core, ctx, class_name, raw, conn)
        if class_name in core.hooks.after_find and "results" in out:
            out["results"] = await core.hooks.run_after_find(core, ctx, class_name, out["results"])
    await entries.record_reads(core, ctx, conn, class_name, seen)
    return out


Seen = list[tuple[str, dict[str, Any]]]


async def _find(
    core: Core, ctx: RequestContext, class_name: str, raw: dict[str, Any], conn: Conn | None
) -> tuple[dict[str, Any], Seen]:
    system.enforce(ctx, "find", class_name)
    check_params(raw, FIND_PARAMS)
    opts = parse_find_options(raw, core.settings.max_limit, core.settings.max_skip)
    schema = core.registry.get(class_name)
    if schema is None:
        if not ctx.is_master:
            raise ParseError(Code.OPERATION_FORBIDDEN, "Permission denied")
        return _empty(opts), []
    deny_protected_query(ctx, schema, opts.where or {}, opts.order.split(",") if opts.order else [])
    deny_protected_subqueries(ctx, opts.where, core.registry)
    order = parse_order(opts.order, schema) if opts.order else []
    async with use(core.db, conn) as c:
        results: list[dict[str, Any]] = []
        seen: Seen = []
        if opts.limit != 0:
            where = build_where(core, ctx, schema, opts.where, _find_op(opts.where or {}))
            limit = None if opts.limit < 0 else opts.limit
            sql, params = compile_select(schema, where, c.dialect, order=order, limit=limit, skip=opts.skip)
            found = rows.decode_rows(schema, await c.fetch(sql, params), c)
            results, seen = await _render(core, ctx, c, schema, found, opts)
        out: dict[str, Any] = {"results": results}
        if opts.count:
            where = build_where(core, ctx, schema, opts.where, "count")
            sql, params = compile_count(schema, where, c.dialect)
            out["count"] = int(await c.fetchval(sql, params) or 0)
    return out, seen


def _empty(opts: FindOptions) -> dict[str, Any]:
    return {"results": [], "count": 0} if opts.count else {"results": []}


async def get(
    core: Core, ctx: RequestContext, class_name: str, object_id: str, raw: dict[str, Any], conn: Conn | None = None
) -> dict[str, Any]:
    async with entries.refusals(core, ctx, conn, "read", class_name, object_id, entries.is_patient_class(class_name)):
        shown, seen = await _get(core, ctx, class_name, object_id, raw, conn)
        if class_name in core.hooks.after_find:
            kept = await core.hooks.run_after_find(core, ctx, class_name, [shown])
            if not kept:
                raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found.")
            shown = kept[0]
    await entries.record_reads(core, ctx, conn, class_name, seen)
    return shown


async def _get(
    core: Core, ctx: RequestContext, class_name: str, object_id: str, raw: dict[str, Any], conn: Conn | None
) -> tuple[dict[str, Any], Seen]:
    system.enforce(ctx, "get", class_name)
    check_params(raw, GET_PARAMS, "Improper encode of parameter")
    opts = parse_find_options(raw)
    schema = core.registry.get(class_name)
    if schema is None:
        if not ctx.is_master:
            raise ParseError(Code.OPERATION_FORBIDDEN, "Permission denied")
        raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found.")
    where = build_where(core, ctx, schema, {"objectId": object_id}, "get")
    async with use(core.db, conn) as c:
        sql, params = compile_select(schema, where, c.dialect, limit=1)
        found = rows.decode_rows(schema, await c.fetch(sql, params), c)
        if not found:
            raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found.")
        rendered, seen = await _render(core, ctx, c, schema, found, opts)
        shown = rendered[0]
    if class_name == "_User" and object_id == ctx.user_id and ctx.session_token:
        shown["sessionToken"] = ctx.session_token  # Parse returns the caller's token on self-get
    return shown, seen


async def _render(
    core: Core, ctx: RequestContext, conn: Conn, schema: ClassSchema, found: list[dict[str, Any]], opts: FindOptions
) -> tuple[list[dict[str, Any]], Seen]:
    """The objects as the client sees them, and every (class, row) read — included ones too."""
    include = list(opts.include or [])
    if opts.include_all:
        include += [n for n, s in schema.fields.items() if s.type == "Pointer" and n not in include]
    tree = path_tree(include)
    keys = path_tree(opts.keys) if opts.keys is not None else None
    exclude = set(opts.exclude_keys) if opts.exclude_keys else None
    expander = Expander(core, ctx, conn)
    if tree:
        await expander.load(schema, found, tree)
    seen: Seen = [(schema.name, obj) for obj in found]
    seen += [(class_name, obj) for (class_name, _), obj in expander.fetched.items()]
    budget = Budget(core.settings.max_response_bytes)  # included objects are written out once per reference
    shown = []
    for obj in found:
        rendered = expander.render(schema, obj, tree, keys, exclude)
        budget.spend(rendered)
        shown.append(rendered)
    return shown, seen

"""The filter every read and write carries: ACL ∧ the CLP's pointer permissions, as query IR.

``read_guard`` is AND-ed into the SQL of a find, count, get, include or subquery; it raises when
the CLP refuses the operation outright. ``write_pointer_filter`` is the per-object condition a
CLP's ``writeUserFields`` puts on an update or delete (the write ACL itself is applied by
storage in the UPDATE/DELETE statement).
"""

from __future__ import annotations

from typing import Any

from chartkeep.access import clp
from chartkeep.access.acl import read_principals
from chartkeep.context import RequestContext
from chartkeep.query import ir
from chartkeep.query.parse import parse_where
from chartkeep.schema.model import ClassSchema, SchemaLookup


def pointer_filter(ctx: RequestContext, schema: ClassSchema, fields: list[str], registry: SchemaLookup) -> ir.Node:
    """The object's pointer (or array of pointers) ``fields`` name the caller — Parse's
    pointer permissions. No logged-in user: nothing matches."""
    if ctx.user_id is None:
        return ir.FALSE
    me = {"__type": "Pointer", "className": "_User", "objectId": ctx.user_id}
    clauses: list[dict[str, Any]] = []
    for name in fields:
        kind = schema.field_type(name)
        if kind == "Array":
            clauses.append({name: {"$all": [me]}})
        elif kind == "Pointer":
            clauses.append({name: me})
    if not clauses:
        return ir.FALSE
    return parse_where(schema.name, clauses[0] if len(clauses) == 1 else {"$or": clauses}, registry)


def read_guard(ctx: RequestContext, schema: ClassSchema, op: str, registry: SchemaLookup) -> ir.Node | None:
    """None for the master key; else the rows of ``schema`` this caller may read with ``op``."""
    principals = read_principals(ctx)
    if principals is None:
        return None
    fields = clp.require(ctx, schema, op)
    guard: ir.Node = ir.AclReadable(tuple(principals))
    if fields:
        guard = ir.and_(guard, pointer_filter(ctx, schema, fields, registry))
    return guard


def write_pointer_filter(ctx: RequestContext, schema: ClassSchema, op: str, registry: SchemaLookup) -> ir.Node | None:
    """Raise if the CLP refuses ``op`` (update/delete); else the extra per-object condition, if any."""
    fields = clp.require(ctx, schema, op)
    return pointer_filter(ctx, schema, fields, registry) if fields else None

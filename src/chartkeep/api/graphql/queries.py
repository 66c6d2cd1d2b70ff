"""``patient(id:)`` and ``patients(where:, order:, skip:, first:, after:, last:, before:)``.

Both call the read service (``records/reads.py``) exactly as ``GET /classes/...`` does: the
where goes through the same parse → IR → SQL path with the caller's access filter, pointers are
expanded by the same batched ``include``. Pagination follows Parse's ``calculateSkipAndLimit``.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLField,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLString,
)

from chartkeep.api.graphql.names import from_global_id, to_cursor
from chartkeep.api.graphql.pages import DEFAULT_PAGE, skip_and_limit
from chartkeep.api.graphql.selection import includes, selected_paths, under
from chartkeep.api.graphql.state import GraphQLContext
from chartkeep.api.graphql.types import ClassTypes
from chartkeep.api.graphql.where import to_parse_where
from chartkeep.records import reads


async def get_object(
    gql: GraphQLContext, class_name: str, object_id: str, paths: set[str]
) -> dict[str, Any]:
    params: dict[str, Any] = {}
    wanted = includes(paths, class_name, gql.core.registry)
    if wanted:
        params["include"] = ",".join(wanted)
    found = await reads.get(gql.core, gql.ctx, class_name, object_id, params)
    found.pop("sessionToken", None)  # as Parse: a session token only ever comes back through the viewer
    return found


def get_field(t: ClassTypes) -> GraphQLField:
    class_name = t.schema.name

    async def resolve(_root: Any, info: Any, id: str) -> dict[str, Any]:  # noqa: A002 - the argument's name
        gql: GraphQLContext = info.context
        return await get_object(gql, class_name, from_global_id(id, class_name), selected_paths(info))

    return GraphQLField(
        GraphQLNonNull(t.object), {"id": GraphQLArgument(GraphQLNonNull(GraphQLID))}, resolve,
        description=f"One {t.name} by its global id or objectId.",
    )


def find_field(t: ClassTypes) -> GraphQLField:
    class_name = t.schema.name

    async def resolve(_root: Any, info: Any, **args: Any) -> dict[str, Any]:
        gql: GraphQLContext = info.context
        core = gql.core
        paths = selected_paths(info)
        skip, limit, pre_count = skip_and_limit(args, core.settings.max_limit)
        where = to_parse_where(args.get("where"), t.schema, core.registry)
        params: dict[str, Any] = {"where": where}
        count: int | None = None
        if pre_count:  # `last` without `first`: count first to find where the last page starts
            count = (await reads.find(core, gql.ctx, class_name, {"where": where, "limit": 0, "count": 1}))["count"]
            if skip + limit < count:
                skip = count - limit
        wants_rows = any(p.startswith(("edges", "pageInfo")) for p in paths)
        params["limit"] = limit if wants_rows else 0
        params["skip"] = skip
        if args.get("order"):
            params["order"] = ",".join(args["order"])
        wanted = includes(under(paths, "edges.node."), class_name, core.registry)
        if wanted and params["limit"]:
            params["include"] = ",".join(wanted)
        if count is None and paths & {"count", "pageInfo.hasNextPage", "pageInfo.hasPreviousPage"}:
            params["count"] = 1
        found = await reads.find(core, gql.ctx, class_name, params)
        results = found["results"]
        if count is None:
            count = found.get("count")
        for obj in results:
            obj.pop("sessionToken", None)
        return {
            "edges": [{"cursor": to_cursor(skip + i), "node": obj} for i, obj in enumerate(results)],
            "pageInfo": {
                "hasPreviousPage": bool(count) and skip > 0,
                "hasNextPage": (count or 0) > skip + len(results),
                "startCursor": to_cursor(skip),
                "endCursor": to_cursor(skip + max(len(results), 1) - 1),
            },
            "count": count,
        }

    args = {
        "where": GraphQLArgument(t.where),
        "order": GraphQLArgument(GraphQLList(GraphQLNonNull(t.order))),
        "skip": GraphQLArgument(GraphQLInt),
        "first": GraphQLArgument(GraphQLInt),
        "after": GraphQLArgument(GraphQLString),
        "last": GraphQLArgument(GraphQLInt),
        "before": GraphQLArgument(GraphQLString),
    }
    return GraphQLField(
        GraphQLNonNull(t.connection), args, resolve,
        description=f"{t.name} objects matching where, ordered, a page at a time (default {DEFAULT_PAGE}).",
    )

"""Cloud functions as mutations: Parse's generic ``callCloudCode`` and one named mutation each.

Both read the names of the functions on the hook registry (``core.hooks.functions``) when the
schema is built, so functions the domains define there (``breakTheGlass``, the note workflow…)
appear without a change here, and both call ``functions.call`` — the service behind
``POST /functions/<name>``.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any

from graphql import GraphQLEnumType, GraphQLEnumValue, GraphQLField, GraphQLInputField, GraphQLNonNull

from chartkeep.api.graphql import scalars
from chartkeep.api.graphql.mutations import relay_mutation
from chartkeep.api.graphql.names import NAME_RE
from chartkeep.api.graphql.state import GraphQLContext
from chartkeep.records import functions

log = logging.getLogger("chartkeep.graphql")


def cloud_mutations(defined: Collection[str], taken: set[str], taken_types: set[str]) -> dict[str, GraphQLField]:
    names = [n for n in defined if NAME_RE.match(n) and n not in ("true", "false", "null")]
    if not names:
        return {}
    enum = GraphQLEnumType(
        "CloudCodeFunction", {n: GraphQLEnumValue(n) for n in names}, description="The Cloud functions."
    )
    result = {"result": GraphQLField(scalars.ANY, description="What the function returned.")}

    async def call(gql: GraphQLContext, args: dict[str, Any], info: Any) -> dict[str, Any]:
        reply = await functions.call(gql.core, gql.ctx, args["functionName"], args.get("params") or {})
        return {"result": reply["result"]}

    out = {
        "callCloudCode": relay_mutation(
            "callCloudCode", {
                "functionName": GraphQLInputField(GraphQLNonNull(enum)),
                "params": GraphQLInputField(scalars.OBJECT),
            }, result, call, "Call a Cloud function (POST /functions/<name>).",
        )
    }
    for name in names:
        upper = name[0].upper() + name[1:]
        if name in taken or name in out or {f"{upper}Input", f"{upper}Payload"} & taken_types:
            log.warning("Cloud function %s has no named mutation: the name is taken", name)
            continue
        out[name] = relay_mutation(
            name, {"params": GraphQLInputField(scalars.OBJECT)}, result, _named(name),
            f"Call the Cloud function {name} (same as callCloudCode).",
        )
    return out


def _named(name: str) -> Any:
    async def call(gql: GraphQLContext, args: dict[str, Any], info: Any) -> dict[str, Any]:
        reply = await functions.call(gql.core, gql.ctx, name, args.get("params") or {})
        return {"result": reply["result"]}

    return call

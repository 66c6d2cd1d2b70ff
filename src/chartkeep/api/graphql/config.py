"""Parse Config over GraphQL, as Parse Server 9 has it (master key only, 119 ``Permission denied``
otherwise): the query ``cloudConfig(paramName)`` and the mutation ``updateCloudConfig(input:
{paramName, value, isMasterKeyOnly})``, both answering a ``ConfigValue`` ``{value, isMasterKeyOnly}``.
They call the service behind ``GET``/``PUT /config`` (schema_admin/config.py).

``value`` is a String, as in Parse: a parameter set to text comes back as that text, a number or a
boolean as JavaScript prints it, an object or array as its JSON (Parse's GraphQL fails on those).
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from graphql import (
    GraphQLArgument,
    GraphQLBoolean,
    GraphQLField,
    GraphQLInputField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLString,
)

from chartkeep.api.graphql.mutations import relay_mutation
from chartkeep.api.graphql.state import GraphQLContext
from chartkeep.query.values import js_str
from chartkeep.schema_admin import config

log = logging.getLogger("chartkeep.graphql")
TYPE_NAMES = frozenset({"ConfigValue", "UpdateCloudConfigInput", "UpdateCloudConfigPayload"})


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (bool, int, float)):
        return js_str(value)
    return orjson.dumps(value).decode()


def _shown(found: dict[str, Any]) -> dict[str, Any]:
    return {"value": _text(found["value"]), "isMasterKeyOnly": found["isMasterKeyOnly"]}


def config_fields(taken: set[str], taken_types: set[str]) -> tuple[dict[str, GraphQLField], dict[str, GraphQLField]]:
    """(queries, mutations); none when a class already took the names."""
    if taken & {"cloudConfig", "updateCloudConfig"} or taken_types & TYPE_NAMES:
        log.warning("Parse Config is not in the GraphQL schema: a class took cloudConfig or ConfigValue")
        return {}, {}
    value_type = GraphQLObjectType("ConfigValue", {
        "value": GraphQLField(GraphQLString, description="The parameter's value (null when it is not set)."),
        "isMasterKeyOnly": GraphQLField(GraphQLBoolean, description="Readable with the master key only."),
    }, description="One Parse Config parameter.")

    async def read(_root: Any, info: Any, paramName: str) -> dict[str, Any]:  # noqa: N803 - Parse's name
        gql: GraphQLContext = info.context
        return _shown(await config.cloud_config(gql.core, gql.ctx, paramName))

    async def update(gql: GraphQLContext, args: dict[str, Any], info: Any) -> dict[str, Any]:
        found = await config.update_cloud_config(gql.core, gql.ctx, args["paramName"], args["value"],
                                                 bool(args.get("isMasterKeyOnly")))
        return {"cloudConfig": _shown(found)}

    queries = {"cloudConfig": GraphQLField(
        GraphQLNonNull(value_type), {"paramName": GraphQLArgument(GraphQLNonNull(GraphQLString))}, read,
        description="Returns the value of a specific parameter from GlobalConfig (master key).",
    )}
    mutations = {"updateCloudConfig": relay_mutation(
        "updateCloudConfig", {
            "paramName": GraphQLInputField(GraphQLNonNull(GraphQLString), description="The parameter to set."),
            "value": GraphQLInputField(GraphQLNonNull(GraphQLString), description="Its value."),
            "isMasterKeyOnly": GraphQLInputField(GraphQLBoolean, default_value=False,
                                                 description="Readable with the master key only."),
        }, {"cloudConfig": GraphQLField(GraphQLNonNull(value_type), description="The updated parameter.")},
        update, "Updates the value of a specific parameter in GlobalConfig (master key).",
    )}
    return queries, mutations

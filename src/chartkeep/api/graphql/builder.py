"""The schema, generated from the live class registry and rebuilt when the registry changes.

``SchemaCache.current()`` compares the registry's version (bumped by every ``/schemas`` change,
class creation or field addition) with the one the cached schema was built from, and rebuilds on
a difference; a request always runs against a schema matching the classes it can see.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

from graphql import GraphQLBoolean, GraphQLField, GraphQLNonNull, GraphQLObjectType, GraphQLSchema

from chartkeep.api.graphql.accounts import account_fields
from chartkeep.api.graphql.cloud import cloud_mutations
from chartkeep.api.graphql.config import TYPE_NAMES as CONFIG_TYPES
from chartkeep.api.graphql.config import config_fields
from chartkeep.api.graphql.mutations import class_mutations
from chartkeep.api.graphql.queries import find_field, get_field
from chartkeep.api.graphql.types import TypeBank
from chartkeep.schema.registry import Registry

log = logging.getLogger("chartkeep.graphql")
ACCOUNT_TYPES = {f"{n}{s}" for n in ("SignUp", "LogIn", "LogOut", "CallCloudCode") for s in ("Input", "Payload")}


def build_schema(registry: Registry, function_names: Collection[str] = ()) -> GraphQLSchema:
    bank = TypeBank(registry.all())
    queries: dict[str, GraphQLField] = {
        "health": GraphQLField(GraphQLNonNull(GraphQLBoolean), resolve=lambda *_: True),
    }
    mutations: dict[str, GraphQLField] = {}
    for t in bank.classes.values():
        queries[t.get_name] = get_field(t)
        queries[t.find_name] = find_field(t)
        mutations.update(class_mutations(t))
    user = bank.classes.get("_User")
    if user is not None:
        account_queries, account_mutations = account_fields(user)
        queries.update(account_queries)
        mutations.update(account_mutations)
    taken_types = bank.type_names | ACCOUNT_TYPES | {"Viewer"}
    config_queries, config_mutations = config_fields(set(mutations) | set(queries), taken_types)
    queries.update(config_queries)
    mutations.update(config_mutations)
    taken_types |= CONFIG_TYPES
    mutations.update(cloud_mutations(function_names, set(mutations) | set(queries), taken_types))
    return GraphQLSchema(
        query=GraphQLObjectType("Query", queries),
        mutation=GraphQLObjectType("Mutation", mutations) if mutations else None,
    )


class SchemaCache:
    def __init__(self, registry: Registry, functions: Collection[str] = ()) -> None:
        self.registry = registry
        self.functions = functions  # the registry's Cloud functions (a live view: names at build time)
        self._schema: GraphQLSchema | None = None
        self._version = -1
        self._functions: tuple[str, ...] = ()

    def current(self) -> GraphQLSchema:
        version = self.registry.version
        names = tuple(self.functions)  # Cloud Code reloaded (--cloud-reload) may name others
        if self._schema is None or version != self._version or names != self._functions:
            self._functions = names
            try:
                self._schema = build_schema(self.registry, list(names))
            except Exception:  # noqa: BLE001 - keep serving the last good schema rather than failing
                if self._schema is None:
                    raise
                log.exception("GraphQL schema not rebuilt for registry version %s", version)
            self._version = version
        return self._schema

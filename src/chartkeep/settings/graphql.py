"""The GraphQL API (docs/graphql.md): where it is served, introspection, the explorer, document limits."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator


class GraphQLSettings(BaseModel):
    graphql_path: str = Field("/graphql", description="Where the GraphQL API is served.")
    graphql_introspection: bool = Field(
        True, description="Answer GraphQL introspection queries (__schema, __type); the explorer needs them."
    )
    graphql_explorer_dir: str | None = Field(
        None, description="Folder holding the npm packages the GraphiQL explorer is served from (graphiql, react, "
        "react-dom; `npm ci --prefix explorer` installs them). Default: explorer/node_modules of the checkout."
    )
    graphql_max_depth: int = Field(
        12, description="Deepest field nesting a GraphQL operation may have (introspection fields not counted)."
    )
    graphql_max_document_bytes: int = Field(
        128 * 1024, ge=1, description="Largest GraphQL document (the query text, in bytes) a signed-in caller may "
        "send; checked before parsing (102 naming the limit)."
    )
    graphql_max_fields: int = Field(
        2000, ge=1, description="Most fields a signed-in caller's GraphQL document may write out (fragments counted "
        "where written), checked before validation (102 naming the limit)."
    )
    graphql_max_aliases: int = Field(
        200, ge=0, description="Most aliases a signed-in caller's GraphQL document may hold, checked before "
        "validation (102 naming the limit)."
    )
    graphql_anonymous_max_document_bytes: int = Field(
        16 * 1024, ge=1, description="graphql_max_document_bytes for a caller without a session (the tightest)."
    )
    graphql_anonymous_max_depth: int = Field(
        10, ge=1, description="graphql_max_depth for a caller without a session (the introspection query needs 10)."
    )
    graphql_anonymous_max_fields: int = Field(
        300, ge=1, description="graphql_max_fields for a caller without a session."
    )
    graphql_anonymous_max_aliases: int = Field(
        20, ge=0, description="graphql_max_aliases for a caller without a session."
    )
    graphql_role_limits: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="Roles given more generous GraphQL document limits than signed-in users, as "
        'JSON: {"admin": {"bytes": 262144, "depth": 16, "aliases": 500, "fields": 5000}} (any of the four keys; '
        "a caller gets the largest value among its roles; the role name master stands for the master key)."
    )
    graphql_max_complexity: int = Field(
        5000, description="Highest cost a GraphQL operation may have: one per field, fields under a "
        "connection's edges counted once per row of the page (first/last, else 100)."
    )

    @field_validator("graphql_role_limits", mode="before")
    @classmethod
    def _role_limits_json(cls, value: Any) -> Any:
        if isinstance(value, str):
            import orjson

            value = orjson.loads(value) if value.strip() else {}
        if isinstance(value, dict):
            for role, limits in value.items():
                if not isinstance(limits, dict) or not set(limits) <= {"bytes", "depth", "aliases", "fields"}:
                    raise ValueError(f"graphql_role_limits[{role!r}] takes bytes, depth, aliases and fields")
        return value

"""Run one GraphQL request: size limit → parse (token budget) → shape limits (``cost.py``, per caller)
→ validate (+ introspection switch) → depth/cost limits → execute.

graphql-core does the parsing, validation and execution. Errors leave as GraphQL errors; a
``ParseError`` from a service keeps its Parse code in ``extensions`` (``{"code": 101}``), as
Parse's GraphQL API reports it. Parsed and validated documents are cached per schema.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from inspect import isawaitable
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    NoSchemaIntrospectionCustomRule,
    execute,
    parse,
    specified_rules,
    validate,
)

from chartkeep import metrics
from chartkeep.api.graphql.cost import (
    DocumentLimits,
    Shape,
    check_shape,
    check_size,
    limits_for,
    max_tokens,
    shape,
)
from chartkeep.api.graphql.limits import measure, operation_of
from chartkeep.api.graphql.state import GraphQLContext
from chartkeep.core.sizes import Budget
from chartkeep.errors import Code, ParseError, Unauthorized
from chartkeep.settings import Settings

log = logging.getLogger("chartkeep.graphql")
CACHE_SIZE = 256


@dataclass(slots=True)
class Outcome:
    status: int
    body: dict[str, Any]


def format_error(error: GraphQLError) -> dict[str, Any]:
    out: dict[str, Any] = dict(error.formatted)
    original = error.original_error
    if isinstance(original, ParseError):
        out["message"] = original.message
        out["extensions"] = {**(out.get("extensions") or {}), "code": original.code}
    elif isinstance(original, Unauthorized):
        out["message"] = original.message
        out["extensions"] = {"code": Code.OPERATION_FORBIDDEN}
    elif original is not None and not isinstance(original, GraphQLError):
        log.error("unhandled error in a resolver", exc_info=original)
        out["message"] = "Internal server error."
        out["extensions"] = {"code": Code.INTERNAL_SERVER_ERROR}
    return out


def request_error(message: str, code: int | None = None, status: int = 400) -> Outcome:
    error: dict[str, Any] = {"message": message}
    if code is not None:
        error["extensions"] = {"code": code}
    return Outcome(status, {"errors": [error]})


class Executor:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._schema: GraphQLSchema | None = None
        self._documents: dict[tuple[str, bool], tuple[DocumentNode | None, list[GraphQLError], Shape]] = {}

    def _document(self, schema: GraphQLSchema, query: str, limits: DocumentLimits
                  ) -> tuple[DocumentNode | None, list[GraphQLError]]:
        """Parsed and validated; a ``ParseError`` (102) when the document is over the caller's limits,
        which are checked before validation, and again on a cached document (callers differ)."""
        if schema is not self._schema:
            self._schema, self._documents = schema, {}
        introspection = self.settings.graphql_introspection
        check_size(query, limits)
        cached = self._documents.get((query, introspection))
        if cached is not None:
            document, errors, measured = cached
            if document is not None:
                check_shape(measured, limits)
            return document, errors
        try:
            document = parse(query, max_tokens=max_tokens(limits))
        except GraphQLError as exc:
            return None, [exc]  # not cached: a token budget depends on the caller
        measured = shape(document)
        check_shape(measured, limits)
        rules = list(specified_rules)
        if not introspection:
            rules.append(NoSchemaIntrospectionCustomRule)
        errors = validate(schema, document, rules)
        if len(self._documents) >= CACHE_SIZE:
            self._documents.pop(next(iter(self._documents)))
        self._documents[(query, introspection)] = (document, errors, measured)
        return document, errors

    async def run(
        self, schema: GraphQLSchema, gql: GraphQLContext, query: str, variables: dict[str, Any] | None,
        operation_name: str | None, query_only: bool = False,
    ) -> Outcome:
        limits = limits_for(self.settings, gql.ctx)
        try:
            document, errors = self._document(schema, query, limits)
        except ParseError as exc:
            return request_error(exc.message, exc.code)
        if errors or document is None:
            return Outcome(400, {"errors": [format_error(e) for e in errors]})
        operation = operation_of(document, operation_name)
        if operation is not None:
            if query_only and operation.operation.value != "query":
                return request_error("Only queries can be sent with GET; use POST for mutations.", status=405)
            size = measure(document, operation, variables or {})
            if size.depth > limits.depth:
                metrics.refused("graphql")
                return request_error(
                    f"Query depth {size.depth} exceeds the limit of {limits.depth}.",
                    Code.INVALID_QUERY,
                )
            if size.cost > self.settings.graphql_max_complexity:
                metrics.refused("graphql")
                return request_error(
                    f"Query cost {size.cost} exceeds the limit of {self.settings.graphql_max_complexity}.",
                    Code.INVALID_QUERY,
                )
        result = execute(schema, document, context_value=gql, variable_values=variables,
                         operation_name=operation_name)
        if isawaitable(result):
            result = await result
        if operation is not None and operation.operation.value == "query":  # a mutation's answer is given
            try:
                Budget(self.settings.max_response_bytes, "The GraphQL result").spend(result.data)
            except ParseError as exc:
                return request_error(exc.message, exc.code)
        body: dict[str, Any] = {}
        if result.errors:
            body["errors"] = [format_error(e) for e in result.errors]
        body["data"] = result.data
        # errors before any field ran (variables that do not coerce, an unknown operation) are the
        # request's fault; a field's error is part of a normal 200 answer
        before_fields = result.data is None and all(not e.path for e in result.errors or ())
        return Outcome(400 if before_fields else 200, body)

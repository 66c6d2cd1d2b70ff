"""What a GraphQL document may cost before it is validated, per caller.

graphql-core's validation is far from linear in the document (an anonymous 1.2 MB query of 30,000
repeated fields held the event loop for 10.9 s in one rule), so a document is measured first, on
its raw syntax tree and without following fragments: its size in bytes (checked before parsing,
and the parser stops at a token budget derived from it), the deepest field nesting, the number of
aliases and the number of fields. Over any limit the request is refused with 102 naming the
limit; nothing is validated or run. ``limits.py`` then measures the validated operation's depth
and cost (fragments followed), as before.

Limits depend on who asks: anonymous callers get the tightest (``graphql_anonymous_*``), a
signed-in user the ``graphql_max_*`` ones, and a role named in ``graphql_role_limits`` whatever
that setting gives it (the most generous of the caller's roles, per limit). The master key gets
the signed-in limits unless the role ``master`` is listed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from graphql import DocumentNode, FieldNode, SelectionSetNode

from chartkeep import metrics
from chartkeep.context import RequestContext
from chartkeep.errors import Code, ParseError
from chartkeep.settings import Settings

TOKENS_PER_BYTE = 1  # a token is at least one byte: the parser's budget follows the byte limit


@dataclass(frozen=True, slots=True)
class DocumentLimits:
    bytes: int
    depth: int
    aliases: int
    fields: int


def limits_for(settings: Settings, ctx: RequestContext) -> DocumentLimits:
    signed_in = DocumentLimits(settings.graphql_max_document_bytes, settings.graphql_max_depth,
                               settings.graphql_max_aliases, settings.graphql_max_fields)
    if not ctx.is_master and ctx.user is None:
        return DocumentLimits(settings.graphql_anonymous_max_document_bytes, settings.graphql_anonymous_max_depth,
                              settings.graphql_anonymous_max_aliases, settings.graphql_anonymous_max_fields)
    names = ("master",) if ctx.is_master else ctx.roles
    granted = [settings.graphql_role_limits[n] for n in names if n in settings.graphql_role_limits]
    out = signed_in
    for grant in granted:
        out = replace(out, **{k: max(getattr(out, k), v) for k, v in grant.items()})
    return out


def check_size(query: str, limits: DocumentLimits) -> None:
    size = len(query.encode())
    if size > limits.bytes:
        raise ParseError(Code.INVALID_QUERY, f"GraphQL document of {size} bytes exceeds the limit of {limits.bytes} "
                                             "(graphql_max_document_bytes; anonymous: graphql_anonymous_max_document_bytes).")


def max_tokens(limits: DocumentLimits) -> int:
    return max(1, limits.bytes * TOKENS_PER_BYTE)


@dataclass(slots=True)
class Shape:
    fields: int = 0
    aliases: int = 0
    depth: int = 0


def shape(document: DocumentNode) -> Shape:
    """Fields, aliases and deepest field nesting of the raw document, iteratively (no recursion,
    fragments not followed: each definition is measured where it is written)."""
    out = Shape()
    stack: list[tuple[SelectionSetNode, int]] = []
    for definition in document.definitions:
        selection_set = getattr(definition, "selection_set", None)
        if isinstance(selection_set, SelectionSetNode):
            stack.append((selection_set, 1))
    while stack:
        selection_set, level = stack.pop()
        for node in selection_set.selections:
            inner = getattr(node, "selection_set", None)
            if isinstance(node, FieldNode):
                out.fields += 1
                out.aliases += node.alias is not None
                out.depth = max(out.depth, level)
                if inner is not None:
                    stack.append((inner, level + 1))
            elif isinstance(inner, SelectionSetNode):  # an inline fragment: the same level
                stack.append((inner, level))
    return out


def check_shape(found: Shape, limits: DocumentLimits) -> None:
    if found.fields > limits.fields:
        _refuse("fields", found.fields, limits.fields, "graphql_max_fields")
    if found.aliases > limits.aliases:
        _refuse("aliases", found.aliases, limits.aliases, "graphql_max_aliases")
    if found.depth > limits.depth:  # the message the validated operation's depth check gives (limits.py)
        raise ParseError(Code.INVALID_QUERY, f"Query depth {found.depth} exceeds the limit of {limits.depth}.")


def _refuse(what: str, found: int, limit: int, setting: str) -> None:
    anonymous = setting.replace("graphql_", "graphql_anonymous_")
    metrics.refused("graphql")
    raise ParseError(Code.INVALID_QUERY,
                     f"GraphQL document {what} {found} exceeds the limit of {limit} ({setting}; anonymous: {anonymous}).")

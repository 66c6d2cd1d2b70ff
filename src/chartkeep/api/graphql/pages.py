"""Relay connection arguments → Parse skip/limit, following Parse's ``calculateSkipAndLimit``."""

from __future__ import annotations

from typing import Any

from chartkeep.api.graphql.names import from_cursor
from chartkeep.errors import Code, ParseError

DEFAULT_PAGE = 100


def skip_and_limit(args: dict[str, Any], max_limit: int | None) -> tuple[int, int, bool]:
    """(skip, limit, count first?) for ``skip``/``first``/``after``/``last``/``before``."""
    skip: int | None = args.get("skip")
    if skip is not None and skip < 0:
        raise ParseError(Code.INVALID_QUERY, "Skip should be a positive number")
    limit: int | None = None
    pre_count = False
    if args.get("after"):
        skip = (skip or 0) + from_cursor(args["after"], "After") + 1
    first = args.get("first")
    if first is not None:
        if first < 0:
            raise ParseError(Code.INVALID_QUERY, "First should be a positive number")
        limit = first
    if args.get("before"):
        before = from_cursor(args["before"], "Before")
        if (skip or 0) >= before:
            limit = 0
        elif limit is None or (skip or 0) + limit > before:
            limit = before - (skip or 0)
    last = args.get("last")
    if last is not None:
        if last < 0:
            raise ParseError(Code.INVALID_QUERY, "Last should be a positive number")
        if max_limit is not None:
            last = min(last, max_limit)
        if limit is not None:
            if last < limit:
                skip, limit = (skip or 0) + (limit - last), last
        elif last == 0:
            limit = 0
        else:
            limit, pre_count = last, True
    if limit is None:
        limit = DEFAULT_PAGE
    if max_limit is not None:
        limit = min(limit, max_limit)
    return skip or 0, limit, pre_count

"""Find/get options as clients send them: query-string text (REST) or JSON values (JS SDK body)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from chartkeep.errors import Code, ParseError

DEFAULT_LIMIT = 100


@dataclass(slots=True)
class FindOptions:
    where: dict[str, Any]
    limit: int = DEFAULT_LIMIT
    skip: int = 0
    order: str | None = None
    keys: list[str] | None = None
    exclude_keys: list[str] | None = None
    include: list[str] | None = None
    count: bool = False


def _json(value: Any, what: str) -> Any:
    if isinstance(value, (str, bytes)):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            raise ParseError(Code.INVALID_JSON, f"Invalid JSON in {what}") from None
    return value


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise ParseError(Code.INVALID_QUERY, f"Invalid {what} value")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    raise ParseError(Code.INVALID_QUERY, f"Invalid {what} value")


def _names(value: Any, what: str) -> list[str]:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v for v in value if v]
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    raise ParseError(Code.INVALID_QUERY, f"Invalid {what} value")


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true")
    return bool(value)


def parse_find_options(raw: dict[str, Any], max_limit: int | None = None) -> FindOptions:
    where = _json(raw.get("where"), "where") if raw.get("where") not in (None, "") else {}
    if not isinstance(where, dict):
        raise ParseError(Code.INVALID_QUERY, "where must be an object")
    opts = FindOptions(where=where)
    if raw.get("limit") is not None:
        opts.limit = _int(raw["limit"], "limit")
    if raw.get("skip") is not None:
        opts.skip = _int(raw["skip"], "skip")
        if opts.skip < 0:
            raise ParseError(Code.INVALID_QUERY, "Invalid skip value")
    if opts.limit < 0:
        opts.limit = -1  # Parse: a negative limit means no limit
    if max_limit is not None and (opts.limit < 0 or opts.limit > max_limit):
        opts.limit = max_limit
    if raw.get("order") not in (None, ""):
        order = raw["order"]
        opts.order = ",".join(order) if isinstance(order, list) else str(order)
    if raw.get("keys") is not None:
        opts.keys = _names(raw["keys"], "keys")
    if raw.get("excludeKeys") is not None:
        opts.exclude_keys = _names(raw["excludeKeys"], "excludeKeys")
    if raw.get("include") not in (None, ""):
        opts.include = _names(raw["include"], "include")
    opts.count = _flag(raw.get("count", False))
    return opts

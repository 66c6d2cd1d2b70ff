"""Find/get options as clients send them: query-string text (REST) or JSON values (JS SDK body)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import orjson

from chartkeep.errors import Code, ParseError

DEFAULT_LIMIT = 100
LARGEST_LIMIT = 2**63 - 1  # what SQLite and PostgreSQL hold in LIMIT (a 64-bit signed integer)
FIND_PARAMS = frozenset({
    "where", "limit", "skip", "order", "keys", "excludeKeys", "include", "includeAll", "count",
    "readPreference", "includeReadPreference", "subqueryReadPreference", "hint", "explain", "comment",
})
GET_PARAMS = frozenset({"keys", "excludeKeys", "include", "includeAll", "readPreference", "includeReadPreference"})


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
    include_all: bool = False


def _where(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, (str, bytes)):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            value = None
    if not isinstance(value, dict):
        raise ParseError(Code.INVALID_JSON, "where parameter is not valid JSON")
    return value


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise ParseError(Code.INVALID_QUERY, f"Invalid {what} value")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ParseError(Code.INVALID_QUERY, f"Invalid {what} value")
        return int(value + 0.5)  # Parse rounds: limit=1.5 behaves like 2
    if isinstance(value, str):
        try:
            return _int(float(value), what) if "." in value else int(value)
        except ValueError:
            pass
    raise ParseError(Code.INVALID_QUERY, f"Invalid {what} value")


def _names(value: Any, what: str) -> list[str]:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        names = [v for v in value if v]
    elif isinstance(value, str):
        names = [v.strip() for v in value.split(",") if v.strip()]
    else:
        raise ParseError(Code.INVALID_QUERY, f"Invalid {what} value")
    for name in names:
        _no_nul(name)
    return names


def _no_nul(name: str) -> None:
    """A field name with NUL names no field (and PostgreSQL could not even compare it)."""
    if "\x00" in name:
        shown = name.replace("\x00", "\\u0000")
        raise ParseError(Code.INVALID_KEY_NAME, f"Invalid field name: {shown}.")


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true")
    return bool(value)


def check_params(raw: dict[str, Any], allowed: frozenset[str], message: str | None = None) -> None:
    for key in raw:
        if key not in allowed:
            raise ParseError(Code.INVALID_QUERY, message or f"Invalid parameter for query: {key}")


def parse_find_options(raw: dict[str, Any], max_limit: int | None = None, max_skip: int | None = None
                       ) -> FindOptions:
    """Options of a find; unknown parameters and malformed values are Parse errors, never 500s."""
    opts = FindOptions(where=_where(raw.get("where")))
    if raw.get("limit") is not None:
        opts.limit = _int(raw["limit"], "limit")
        if opts.limit < 0 or opts.limit > LARGEST_LIMIT:
            raise ParseError(Code.INVALID_QUERY, "Invalid limit value")
    if raw.get("skip") is not None:
        opts.skip = _int(raw["skip"], "skip")
        if opts.skip < 0 or opts.skip > LARGEST_LIMIT:
            raise ParseError(Code.INVALID_QUERY, "Invalid skip value")
        if max_skip and opts.skip > max_skip:
            raise ParseError(Code.INVALID_QUERY, f"Invalid skip value: at most {max_skip} (max_skip)")
    if max_limit is not None and opts.limit > max_limit:
        opts.limit = max_limit
    if raw.get("order") not in (None, ""):
        order = raw["order"]
        opts.order = ",".join(order) if isinstance(order, list) else str(order)
        _no_nul(opts.order)
    if raw.get("keys") is not None:
        opts.keys = _names(raw["keys"], "keys")
    if raw.get("excludeKeys") is not None:
        opts.exclude_keys = _names(raw["excludeKeys"], "excludeKeys")
    if raw.get("include") not in (None, ""):
        opts.include = _names(raw["include"], "include")
    opts.count = _flag(raw.get("count", False))
    opts.include_all = _flag(raw.get("includeAll", False)) or (opts.include is not None and "*" in opts.include)
    if opts.include_all and opts.include:
        opts.include = [p for p in opts.include if p != "*"]
    return opts

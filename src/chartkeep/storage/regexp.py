"""Regular expressions run by RE2: time linear in the text, whatever the pattern.

Python's ``re`` backtracks: ``(a+)+$`` against 27 characters held the GIL for seconds, in
SQLite's ``REGEXP`` and in the LiveQuery matcher on the event loop. Every ``$regex`` this
process evaluates itself goes through here instead (PostgreSQL runs its own engine). RE2 has no
backreferences or lookaround; ``query/regex.py`` refuses those patterns before any query runs.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import re2

# Memory RE2 may use to compile one pattern; larger patterns are refused rather than compiled
MAX_PROGRAM_BYTES = 8 << 20


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False  # a refused pattern is the caller's answer, not a log line
    options.max_mem = MAX_PROGRAM_BYTES
    return options


_OPTIONS = _options()


@lru_cache(maxsize=512)
def _compile(pattern: str) -> tuple[Any, str | None]:
    try:
        return re2.compile(pattern, options=_OPTIONS), None
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "cannot be compiled"
        return None, reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)


def problem(pattern: str) -> str | None:
    """Why RE2 cannot run ``pattern`` (inline ``(?flags)`` allowed), or None."""
    return _compile(pattern)[1]


def search(pattern: str, value: str) -> bool:
    """Whether ``pattern`` matches somewhere in ``value``; a pattern RE2 refuses matches nothing."""
    compiled = _compile(pattern)[0]
    return compiled is not None and compiled.search(value) is not None


def regexp(pattern: Any, value: Any) -> int | None:
    """SQLite's ``value REGEXP pattern``: total (bad input is false, never an error inside SQLite)."""
    if value is None or pattern is None:
        return None
    if not isinstance(value, str) or not isinstance(pattern, str):
        return 0
    return int(search(pattern, value))

"""The SQL function the SQLite spelling relies on; register it on every connection.

``regexp(pattern, value)`` backs ``value REGEXP pattern`` with Python ``re`` (the pattern
carries its flags inline, ``(?i)...``). It is total: bad input is false, never an exception
inside SQLite. (``storage/sqlite.py`` registers an equivalent ``REGEXP`` of its own.)
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def regexp(pattern: Any, value: Any) -> int | None:
    if value is None or pattern is None:
        return None
    if not isinstance(value, str) or not isinstance(pattern, str):
        return 0
    compiled = _compiled(pattern)
    return int(compiled is not None and compiled.search(value) is not None)


SQLITE_FUNCTIONS: tuple[tuple[str, int, Callable[..., Any]], ...] = (("regexp", 2, regexp),)


def register_sqlite_functions(conn: sqlite3.Connection) -> None:
    """Create the functions on a ``sqlite3`` connection (aiosqlite: see ``register_aiosqlite``)."""
    for name, nargs, func in SQLITE_FUNCTIONS:
        conn.create_function(name, nargs, func, deterministic=True)


async def register_aiosqlite(conn: Any) -> None:
    """The same, on an ``aiosqlite.Connection``."""
    for name, nargs, func in SQLITE_FUNCTIONS:
        await conn.create_function(name, nargs, func, deterministic=True)

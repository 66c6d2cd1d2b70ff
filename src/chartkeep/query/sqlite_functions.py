"""The SQL function the SQLite spelling relies on; register it on every connection.

``regexp(pattern, value)`` backs ``value REGEXP pattern`` with RE2 (``storage/regexp.py``: linear
time, the pattern carries its flags inline, ``(?i)...``). It is total: bad input is false, never
an exception inside SQLite. (``storage/sqlite.py`` registers the same function.)
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from chartkeep.storage.regexp import regexp

SQLITE_FUNCTIONS: tuple[tuple[str, int, Callable[..., Any]], ...] = (("regexp", 2, regexp),)


def register_sqlite_functions(conn: sqlite3.Connection) -> None:
    """Create the functions on a ``sqlite3`` connection (aiosqlite: see ``register_aiosqlite``)."""
    for name, nargs, func in SQLITE_FUNCTIONS:
        conn.create_function(name, nargs, func, deterministic=True)


async def register_aiosqlite(conn: Any) -> None:
    """The same, on an ``aiosqlite.Connection``."""
    for name, nargs, func in SQLITE_FUNCTIONS:
        await conn.create_function(name, nargs, func, deterministic=True)

"""Session token → user, kept in memory for a few seconds (Parse caches sessions the same way).

Every request with a session token would otherwise start with a database round trip. Entries are
dropped at once, in this process, when a session ends (logout, ``DELETE /sessions``, a password
change or reset, a new login on the same installation) or the user is written — and in every other
server process too: each drop is told to them through ``tell`` (the Redis bus, core/peers.py),
and the on-commit queue awaits that message before the request is answered. Without Redis (one
process) nothing needs telling; if Redis is unreachable, ``session_cache_seconds`` bounds how long
another process may still honour a revoked token.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

Tell = Callable[[list[Any]], Awaitable[None] | None]


class SessionCache:
    def __init__(self, ttl_seconds: float) -> None:
        self.ttl = ttl_seconds
        self._entries: dict[str, tuple[float, dict[str, Any], Any]] = {}  # digest -> (deadline, user, expiresAt)
        self._by_user: dict[str, set[str]] = {}
        self._touched: dict[str, float] = {}  # digest -> epoch seconds this process last recorded its use
        self.tell: Tell | None = None  # set when other processes must hear of drops

    def get(self, digest: str) -> tuple[dict[str, Any], Any] | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        deadline, user, expires = entry
        if time.monotonic() >= deadline:
            self._forget(digest)
            return None
        return dict(user), expires

    def touched(self, digest: str) -> float | None:
        """When this process last recorded the session's use (epoch seconds), if it did."""
        return self._touched.get(digest)

    def touch(self, digest: str, at: float) -> None:
        self._touched[digest] = at

    def put(self, digest: str, user: dict[str, Any], expires: Any) -> None:
        if self.ttl <= 0:
            return
        self._entries[digest] = (time.monotonic() + self.ttl, dict(user), expires)
        self._by_user.setdefault(user["objectId"], set()).add(digest)

    def _forget(self, digest: str) -> None:
        self._touched.pop(digest, None)
        entry = self._entries.pop(digest, None)
        if entry is not None:
            self._by_user.get(entry[1]["objectId"], set()).discard(digest)

    def _told(self, notice: list[Any], tell: bool) -> Awaitable[None] | None:
        return self.tell(notice) if tell and self.tell is not None else None

    def drop_digest(self, digest: str, *, tell: bool = True) -> Awaitable[None] | None:
        """Forget one session; the result (when other processes are told) completes once they can see it."""
        self._forget(digest)
        return self._told(["session", digest], tell)

    def drop_user(self, user_id: str, *, tell: bool = True) -> Awaitable[None] | None:
        for digest in self._by_user.pop(user_id, set()):
            self._entries.pop(digest, None)
        return self._told(["user", user_id], tell)

    def clear(self, *, tell: bool = True) -> Awaitable[None] | None:
        self._entries.clear()
        self._by_user.clear()
        return self._told(["sessions"], tell)

"""Session token → user, kept in memory for a few seconds (Parse caches sessions the same way).

Every request with a session token would otherwise start with a database round trip. Entries are
dropped at once, in this process, when a session ends (logout, ``DELETE /sessions``, a password
change or reset, a new login on the same installation) or the user is written; across server
processes, ``session_cache_seconds`` bounds how long a revoked token may still be honoured.
"""

from __future__ import annotations

import time
from typing import Any


class SessionCache:
    def __init__(self, ttl_seconds: float) -> None:
        self.ttl = ttl_seconds
        self._entries: dict[str, tuple[float, dict[str, Any], Any]] = {}  # digest -> (deadline, user, expiresAt)
        self._by_user: dict[str, set[str]] = {}

    def get(self, digest: str) -> tuple[dict[str, Any], Any] | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        deadline, user, expires = entry
        if time.monotonic() >= deadline:
            self.drop_digest(digest)
            return None
        return dict(user), expires

    def put(self, digest: str, user: dict[str, Any], expires: Any) -> None:
        if self.ttl <= 0:
            return
        self._entries[digest] = (time.monotonic() + self.ttl, dict(user), expires)
        self._by_user.setdefault(user["objectId"], set()).add(digest)

    def drop_digest(self, digest: str) -> None:
        entry = self._entries.pop(digest, None)
        if entry is not None:
            self._by_user.get(entry[1]["objectId"], set()).discard(digest)

    def drop_user(self, user_id: str) -> None:
        for digest in self._by_user.pop(user_id, set()):
            self._entries.pop(digest, None)

    def clear(self) -> None:
        self._entries.clear()
        self._by_user.clear()

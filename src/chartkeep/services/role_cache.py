"""Each user's expanded role set, computed once and reused until something changes it.

Entries are dropped when membership changes (any ``_Role`` write clears everything, as Parse
does; care-team and role-field changes drop the users concerned), when a time-boxed grant they
contain expires, and after ``role_cache_seconds`` at the latest — the bound on staleness between
server processes, which do not yet tell each other about changes.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class UserRoles:
    names: tuple[str, ...]  # roles held (direct or inherited)
    read_names: tuple[str, ...] = ()  # roles granted for reading only (break-the-glass)
    valid_until: float | None = None  # wall-clock end of the earliest time-boxed grant


class RoleCache:
    def __init__(self, ttl_seconds: float) -> None:
        self.ttl = ttl_seconds
        self._entries: dict[str, tuple[float, UserRoles]] = {}

    def get(self, user_id: str) -> UserRoles | None:
        entry = self._entries.get(user_id)
        if entry is None:
            return None
        deadline, roles = entry
        if time.time() >= deadline:
            self._entries.pop(user_id, None)
            return None
        return roles

    def put(self, user_id: str, roles: UserRoles) -> None:
        if self.ttl <= 0:
            return
        deadline = time.time() + self.ttl
        if roles.valid_until is not None:
            deadline = min(deadline, roles.valid_until)
        self._entries[user_id] = (deadline, roles)

    def invalidate(self, user_ids: Iterable[str] | None = None) -> None:
        """Forget the given users, or everyone."""
        if user_ids is None:
            self._entries.clear()
            return
        for user_id in user_ids:
            self._entries.pop(user_id, None)

"""Each user's expanded role set, computed once and reused until something changes it.

Entries are dropped when membership changes (any ``_Role`` write clears everything, as Parse
does; care-team and role-field changes drop the users concerned), when a time-boxed grant they
contain expires, and after ``role_cache_seconds`` at the latest. Drops are told to the other
server processes through ``tell`` (the Redis bus, core/peers.py) and the on-commit queue awaits
that message, so a care-team removal through one process is refused by all before it is answered;
the TTL remains the bound only while Redis is unreachable.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field

from chartkeep.core.session_cache import Tell


@dataclass(frozen=True, slots=True)
class UserRoles:
    names: tuple[str, ...]  # roles held (direct or inherited)
    read_names: tuple[str, ...] = ()  # roles granted for reading only (break-the-glass)
    valid_until: float | None = None  # wall-clock end of the earliest time-boxed grant


@dataclass(slots=True)
class RoleSet:
    """A user's roles while they are expanded (auth/roles.py and the registry's role sources)."""

    names: set[str]
    read_names: set[str] = field(default_factory=set)
    ends: list[float] = field(default_factory=list)  # wall-clock ends of time-boxed grants

    def freeze(self) -> UserRoles:
        return UserRoles(tuple(sorted(self.names)), tuple(sorted(self.read_names)),
                         min(self.ends) if self.ends else None)


class RoleCache:
    def __init__(self, ttl_seconds: float) -> None:
        self.ttl = ttl_seconds
        self._entries: dict[str, tuple[float, UserRoles]] = {}
        self.tell: Tell | None = None  # set when other processes must hear of drops

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

    def invalidate(self, user_ids: Iterable[str] | None = None, *, tell: bool = True) -> Awaitable[None] | None:
        """Forget the given users, or everyone; the result (when other processes are told)
        completes once they can see it."""
        if user_ids is None:
            self._entries.clear()
            notice = ["roles"]
        else:
            ids = list(user_ids)
            if not ids:
                return None
            for user_id in ids:
                self._entries.pop(user_id, None)
            notice = ["roles", *ids]
        return self.tell(notice) if tell and self.tell is not None else None

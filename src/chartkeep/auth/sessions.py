"""Session token → user, checked on every request that carries a token.

A session ends (209 ``Session token is expired.``) at its ``expiresAt`` (``session_length``), and
for staff — every role but ``patient`` — also ``staff_session_length`` after it was created, however
active it is, and after ``session_idle_timeout`` without use (``patient_session_idle_timeout`` for
patients). A use is a request that carries the token (REST, GraphQL, files, a LiveQuery
``connect``/``subscribe``); LiveQuery events a socket receives are not, so an unattended socket
stops receiving chart data once the session is idle (``live/viewer.py`` asks with ``touch=False``).
Each process records a use in ``_SessionActivity`` at most once per ``touch_interval``, so every
process sees it within that slack.
"""

from __future__ import annotations

import time
from typing import Any

from chartkeep.core.handles import Core
from chartkeep.errors import Code, ParseError
from chartkeep.schema.dates import now_ms
from chartkeep.schema.ids import token_digest
from chartkeep.settings import Settings
from chartkeep.storage.queries import session_activity, sessions
from chartkeep.storage.queries.sessions import SessionTimes

EXPIRED = "Session token is expired."


def is_patient(user: dict[str, Any]) -> bool:
    return user.get("role") == "patient"


def idle_timeout(settings: Settings, user: dict[str, Any]) -> int:
    return settings.patient_session_idle_timeout if is_patient(user) else settings.session_idle_timeout


def touch_interval(idle: int) -> float:
    """How often a use is written: a quarter of the idle timeout, at most once a minute."""
    return min(60.0, idle / 4)


async def user_for_token(core: Core, token: str, touch: bool = True) -> dict[str, Any]:
    """The internal ``_User`` row for a live session; Parse's 209 errors otherwise. ``touch``: this
    request is a use of the session (it resets the idle timeout)."""
    digest = token_digest(token)
    cached = core.sessions.get(digest)
    if cached is None:
        user, times = await _load(core, digest)
        core.sessions.put(digest, user, times)
    else:
        user, times = cached
    now = now_ms()
    settings = core.settings
    if times.expires_at is not None and times.expires_at <= now:
        core.sessions.drop_digest(digest)
        raise ParseError(Code.INVALID_SESSION_TOKEN, EXPIRED)
    if not is_patient(user) and (now - times.created_at).total_seconds() >= settings.staff_session_length:
        core.sessions.drop_digest(digest)
        raise ParseError(Code.INVALID_SESSION_TOKEN, EXPIRED)
    idle = idle_timeout(settings, user)
    if idle > 0:
        clock = time.time()
        last = max(times.created_at.timestamp(), times.seen_at or 0.0, core.sessions.touched(digest) or 0.0)
        if clock - last >= idle:
            core.sessions.drop_digest(digest)
            raise ParseError(Code.INVALID_SESSION_TOKEN, EXPIRED)
        if touch and clock - (core.sessions.touched(digest) or times.seen_at or 0.0) >= touch_interval(idle):
            core.sessions.touch(digest, clock)
            async with core.db.transaction() as tx:
                await session_activity.seen(tx, digest, clock)
    return user


async def _load(core: Core, digest: str) -> tuple[dict[str, Any], SessionTimes]:
    user_schema = core.registry.get("_User")
    assert user_schema is not None
    async with core.db.read() as conn:
        found = await sessions.user_of_token(conn, user_schema, digest)
    if found is None:
        raise ParseError(Code.INVALID_SESSION_TOKEN, "Invalid session token")
    user, times = found
    user.pop("_hashed_password", None)
    return user, times

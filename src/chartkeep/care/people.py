"""Who stands in a behavioral-health patient's care relationship, read from the database.

The write rules of messages and appointments ask about *other* people than the caller (the
recipient of a message, the provider of an appointment), so they cannot use the request's cached
roles: these functions read the current membership inside the write's own transaction (their SQL
is storage's: rows.py, queries/roles.py, queries/locks.py).

* the relationship of a ``PatientProfile``: its own user (the patient) and the users of its
  care-team role (``careTeam_PatientProfile_<id>``; break-the-glass grants are not membership);
* a seed role held directly or through inheritance (a ``provider`` holds ``clinician``:
  ``holds_role``, storage/queries/roles.py).
"""

from __future__ import annotations

from chartkeep.access.principals import team_role
from chartkeep.storage import rows
from chartkeep.storage.database import Conn
from chartkeep.storage.queries import locks
from chartkeep.storage.queries.roles import is_member

PROFILE = "PatientProfile"


async def profile_owner(conn: Conn, profile_id: str) -> tuple[bool, str | None]:
    """(the profile exists, its ``user``)."""
    row = await rows.field_values(conn, PROFILE, profile_id, ("user",))
    return (False, None) if row is None else (True, row["user"])


async def on_care_team(conn: Conn, profile_id: str, user_id: str) -> bool:
    return await is_member(conn, team_role(PROFILE, profile_id), user_id)


async def in_relationship(conn: Conn, profile_id: str, owner: str | None, user_id: str | None) -> bool:
    """The patient themselves, or a member of their care team."""
    if not user_id:
        return False
    return user_id == owner or await on_care_team(conn, profile_id, user_id)


async def xact_lock(conn: Conn, key: str) -> None:
    """Serialise writers on ``key`` until the transaction ends: a PostgreSQL advisory lock
    (storage/queries/locks.py; SQLite has one writer connection, so its write transactions are
    serialised already)."""
    await locks.xact_lock(conn, key)

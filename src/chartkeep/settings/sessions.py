"""Sessions and roles: lifetimes, idle timeouts, how long a session's user and a user's roles are
cached (docs/accounts.md, Sessions)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SessionSettings(BaseModel):
    session_cache_seconds: float = Field(
        5.0,
        description="How long a session token's user is reused before the session is read again (0: never "
        "cached). Revocations through this process take effect at once; this bounds staleness across processes.",
    )
    role_cache_seconds: float = Field(
        5.0,
        description="How long a user's expanded roles are reused before being read again (0: never cached). "
        "Changes made through this process take effect at once; this bounds staleness across processes.",
    )
    session_length: int = Field(
        31536000, description="Session lifetime in seconds (Parse default: 1 year); staff sessions are also held to "
        "staff_session_length."
    )
    staff_session_length: int = Field(
        43200, gt=0, lt=31536000, description="Absolute lifetime of a staff session (any role but patient), in "
        "seconds, however active it is: 12 hours by default, always under a year (docs/accounts.md, Sessions)."
    )
    session_idle_timeout: int = Field(
        900, ge=0, description="A staff session unused for this many seconds ends (209 Session token is expired.), "
        "on REST, GraphQL and LiveQuery alike: 15 minutes, as clinical systems use. 0: no idle timeout."
    )
    patient_session_idle_timeout: int = Field(
        1800, ge=0, description="The idle timeout of a patient's session, in seconds (0: none)."
    )

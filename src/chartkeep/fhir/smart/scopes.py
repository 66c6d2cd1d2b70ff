"""The scopes Chartkeep grants, and what a granted set allows.

Scopes only narrow what the signed-in user could read anyway: ``user/*.read`` is everything the
user may read, read only; ``patient/*.read`` is the launch patient's compartment of that, read only.
A requested scope the server does not serve (or the app was not registered for) is left out of the
grant, as OAuth allows (RFC 6749 §3.3); the token response's ``scope`` says what was granted.
"""

from __future__ import annotations

PATIENT_READ = "patient/*.read"
USER_READ = "user/*.read"
LAUNCH_PATIENT = "launch/patient"
OFFLINE = "offline_access"
SUPPORTED = (PATIENT_READ, USER_READ, LAUNCH_PATIENT, OFFLINE)


def split(scope: str | None) -> list[str]:
    out: list[str] = []
    for s in (scope or "").split():
        if s not in out:
            out.append(s)
    return out


def grantable(requested: str | None, registered: str) -> list[str]:
    """What of ``requested`` is served and was registered for the app, in the request's order."""
    allowed = set(split(registered))
    return [s for s in split(requested) if s in SUPPORTED and s in allowed]


def needs_patient(granted: list[str]) -> bool:
    return PATIENT_READ in granted or LAUNCH_PATIENT in granted


def reads_anything(granted: list[str]) -> bool:
    return PATIENT_READ in granted or USER_READ in granted

"""The patient portal switch: ``PatientProfile.isActive`` ("active portal access flag").

A patient's account reads its own records through the ``patient`` role's class-level permissions
and the chart ACLs that name the account (``care/chart_acl.py``). When every ``PatientProfile`` linked
to the account has ``isActive: false``, the account is *suspended*: its expanded roles no longer
include ``patient`` (the role source :func:`suspend_patient_role`), so every behavioral-health class
answers 119 — profile, assessments, crisis logs, appointments and messages alike — while the
account can still log in and see ``/users/me``. Setting ``isActive`` back restores everything; no
ACL is rewritten either way. An account with no profile yet (a fresh sign-up) is not suspended.

``PatientProfile.user`` is set once: the chart's records name that account in their ACLs, so
moving a profile to another account would leave the first one reading it (142).
A change of ``isActive`` is a ``permission_change`` ledger entry.
"""

from __future__ import annotations

from chartkeep.core.handles import Core
from chartkeep.core.hooks import Hooks, WriteEvent
from chartkeep.core.role_cache import RoleSet
from chartkeep.errors import Code, ParseError
from chartkeep.storage.database import Conn
from chartkeep.storage.queries import patient_profiles

PROFILE = "PatientProfile"
PATIENT_ROLE = "patient"


async def suspended(conn: Conn, core: Core, user_id: str) -> bool:
    """The account has behavioral-health profiles and portal access is off on all of them."""
    if core.registry.get(PROFILE) is None:
        return False
    flags = await patient_profiles.portal_flags(conn, user_id)
    return bool(flags) and not any(flags)


async def profile_before_save(core: Core, event: WriteEvent) -> None:
    if event.is_new:
        return
    current = await event.load_current()
    if current is None:
        return
    if "user" in event.values and event.values["user"] != current.get("user"):
        raise ParseError(Code.VALIDATION_ERROR, "user cannot be changed once set: a profile belongs to one account")
    if "isActive" in event.values and bool(event.values["isActive"]) != bool(current.get("isActive")):
        event.ledger_event = "permission_change"
        user_id = current.get("user")
        if user_id:
            event.conn.on_commit(lambda: core.roles.invalidate([user_id]))


async def suspend_patient_role(core: Core, conn: Conn, user_id: str, roles: RoleSet) -> None:
    """Role source: ``patient`` is left out while the account's portal access is off."""
    if PATIENT_ROLE in roles.names and await suspended(conn, core, user_id):
        roles.names.discard(PATIENT_ROLE)


def register(hooks: Hooks[Core]) -> None:
    hooks.add("before_save", PROFILE, profile_before_save)
    hooks.add_role_source(suspend_patient_role)

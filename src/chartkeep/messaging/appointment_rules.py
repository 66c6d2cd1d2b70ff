"""Appointment rules on every write of ``Appointment``, whoever sends it.

* ``endAt`` after ``startAt`` (142); the ``provider`` a clinician — physician, nurse, scribe or
  provider, directly or by inheritance (142).
* **No double-booking**: an appointment that holds its slot (any status but ``cancelled`` and
  ``no-show``) may not overlap another one of the same provider that holds its slot — half-open
  ``[startAt, endAt)``, so back-to-back appointments are fine — 137 otherwise. Checked on create,
  reschedule, a change of provider and a move out of a slot-freeing status, under a per-provider
  lock held to the end of the write's transaction (PostgreSQL ``pg_advisory_xact_lock``; SQLite
  has one writer), so two concurrent requests for one slot yield exactly one appointment.
* **Status** (the template's enum): created ``scheduled`` or ``confirmed``; then
  ``scheduled`` → ``confirmed``/``cancelled``/``completed``/``no-show``, ``confirmed`` →
  ``cancelled``/``completed``/``no-show``; ``cancelled``, ``completed`` and ``no-show`` are final:
  nothing of such an appointment changes (142). The master key may create any status (history
  imports), never break the transitions.
* **The patient** (the profile's own user) reads their appointments and may confirm or cancel one
  — changing ``status`` to ``confirmed`` or ``cancelled`` and nothing else (119 otherwise).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chartkeep.care import people
from chartkeep.care.team import on_team
from chartkeep.core.handles import Core
from chartkeep.core.hooks import Hooks, WriteEvent
from chartkeep.errors import Code, ParseError
from chartkeep.storage.database import Conn
from chartkeep.storage.queries import appointments
from chartkeep.storage.queries.roles import holds_role

APPOINTMENT = "Appointment"
SCHEDULED, CONFIRMED, CANCELLED, COMPLETED, NO_SHOW = "scheduled", "confirmed", "cancelled", "completed", "no-show"
STATUSES = (SCHEDULED, CONFIRMED, CANCELLED, COMPLETED, NO_SHOW)
NEXT = {SCHEDULED: (CONFIRMED, CANCELLED, COMPLETED, NO_SHOW), CONFIRMED: (CANCELLED, COMPLETED, NO_SHOW)}
FREES_SLOT = (CANCELLED, NO_SHOW)
PATIENT_MAY = (CONFIRMED, CANCELLED)
SLOT_FIELDS = frozenset({"startAt", "endAt", "provider", "status"})


def _status(value: Any) -> str:
    if value not in STATUSES:
        raise ParseError(Code.VALIDATION_ERROR, f"Appointment status must be one of {', '.join(STATUSES)}.")
    return str(value)




def _changed(values: dict[str, Any], current: dict[str, Any]) -> set[str]:
    return {k for k, v in values.items() if not k.startswith("_") and current.get(k) != v}


def _check_transition(current: dict[str, Any], changed: set[str], status: str) -> None:
    state = current.get("status") or SCHEDULED
    if state not in NEXT and changed:
        raise ParseError(Code.VALIDATION_ERROR, f"Appointment is {state}: a {state} appointment is final.")
    if "status" in changed and status not in NEXT.get(state, ()):
        allowed = ", ".join(NEXT.get(state, ()))
        raise ParseError(Code.VALIDATION_ERROR, f"Appointment status cannot go from {state} to {status} "
                         f"(from {state}: {allowed}).")


def _check_patient(event: WriteEvent, current: dict[str, Any], changed: set[str], status: str) -> None:
    """Writers other than staff are the profile's own user (the ACL): confirm or cancel only."""
    ctx = event.ctx
    profile = current.get("patient")
    if ctx.is_master or (profile and on_team(ctx, "PatientProfile", profile)) or ctx.user_id == current.get("provider"):
        return
    if changed - {"status"} or ("status" in changed and status not in PATIENT_MAY):
        raise ParseError(Code.OPERATION_FORBIDDEN, "Permission denied: a patient may only confirm or cancel "
                         "their own appointment.")


async def _check_slot(conn: Conn, object_id: str, provider: str, start: datetime, end: datetime) -> None:
    await people.xact_lock(conn, f"appointment-provider:{provider}")
    if await appointments.overlapping(conn, provider, object_id, FREES_SLOT, start, end) is not None:
        raise ParseError(Code.DUPLICATE_VALUE, "The provider is already booked at this time: another appointment "
                         "overlaps it.")


async def appointment_before_save(core: Core, event: WriteEvent) -> None:
    values = event.values
    if event.is_new:
        changed = set(SLOT_FIELDS)
        status = _status(values.get("status"))
        if not event.ctx.is_master and status not in (SCHEDULED, CONFIRMED):
            raise ParseError(Code.VALIDATION_ERROR, f"An appointment is created scheduled or confirmed, not {status}.")
    else:
        current = await event.load_writable()
        changed = _changed(values, current)
        status = _status(values["status"]) if "status" in values else str(current.get("status"))
        _check_transition(current, changed, status)
        _check_patient(event, current, changed, status)
    start, end = await event.value("startAt"), await event.value("endAt")
    if start is None or end is None or end <= start:
        raise ParseError(Code.VALIDATION_ERROR, "endAt must be after startAt.")
    provider = await event.value("provider")
    if "provider" in changed and not await holds_role(event.conn, provider, "clinician"):
        raise ParseError(Code.VALIDATION_ERROR, "provider must be a clinician (physician, nurse, scribe or provider).")
    if status not in FREES_SLOT and changed & SLOT_FIELDS:
        await _check_slot(event.conn, event.object_id, provider, start, end)


def register(hooks: Hooks[Core]) -> None:
    hooks.add("before_save", APPOINTMENT, appointment_before_save)

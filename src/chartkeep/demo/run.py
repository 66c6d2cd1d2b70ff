"""The order of the demo: staff, EHR charts (with their notes), behavioral-health charts, the patient
portal (provider directory, invited patients, restricted records), then a morning of chart reads so
the audit ledger has history to show."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from chartkeep.core.handles import Core
from chartkeep.demo import clinic, notes, portal
from chartkeep.demo.clinic import Clinic, Progress
from chartkeep.records import reads
from chartkeep.storage.queries import users


async def already_seeded(core: Core) -> bool:
    """The demo's admin account exists: ``seed --if-empty`` leaves the database alone."""
    async with core.db.read() as conn:
        return await users.username_exists(conn, "admin")


def total_units(patients: int, bh_patients: int) -> int:
    return sum(n for _, _, n in clinic.STAFF) + patients + bh_patients + patients + portal.units()


async def seed(core: Core, patients: int, bh_patients: int, progress: Progress, seed_value: int = 2026) -> Clinic:
    c = Clinic(core, random.Random(seed_value), datetime.now(UTC).replace(microsecond=0))
    await clinic.make_staff(c, progress)
    for n in range(1, patients + 1):
        chart = await clinic.make_ehr_chart(c, n)
        await notes.write_notes(c, chart, n)
        progress("EHR charts and notes", 1)
    for n in range(1, bh_patients + 1):
        await clinic.make_bh_chart(c, n)
        progress("behavioral-health charts", 1)
    await portal.seed_portal(c, progress)
    for chart in c.patients:  # the primary clinician opens each chart once: audit history
        doctor = chart["doctor"]
        await reads.get(core, doctor.ctx, "Patient", chart["id"], {})
        doctor.ctx.extra.clear()
        progress("chart reviews", 1)
    return c

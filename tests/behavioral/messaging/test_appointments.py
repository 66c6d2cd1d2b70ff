"""Appointment rules: endAt after startAt, a clinician provider, no double-booking of a provider
(half-open slots), the status transitions, and what a patient may change."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from chartkeep.messaging.appointment_rules import NEXT, STATUSES
from tests.behavioral.messaging.clinic import BH, open_clinic, refused, snapshot
from tests.conftest import Api, row_count


def at(hour: float, day: int = 2) -> dict[str, str]:
    h, m = int(hour), int(round((hour % 1) * 60))
    return {"__type": "Date", "iso": f"2026-03-{day:02d}T{h:02d}:{m:02d}:00.000Z"}


def body(c: BH, start: float, end: float, *, day: int = 2, patient: str = "p1", provider: str = "provider",
         status: str = "scheduled") -> dict[str, Any]:
    return {"patient": c.profile(patient), "provider": c.user(provider), "startAt": at(start, day),
            "endAt": at(end, day), "status": status, "reason": "follow-up"}


async def book(c: BH, who: str, start: float, end: float, **kw: Any) -> httpx.Response:
    return await c.api.post("/classes/Appointment", body(c, start, end, **kw), **c.as_(who))


async def booked(c: BH, who: str, start: float, end: float, **kw: Any) -> str:
    r = await book(c, who, start, end, **kw)
    assert r.status_code == 201, r.text
    return str(r.json()["objectId"])


BUSY = "The provider is already booked at this time"


@pytest.mark.parametrize(("start", "end", "created"), [
    (9, 10, False), (9.5, 10.5, False), (8.5, 9.5, False), (9.25, 9.75, False), (8, 11, False),
    (10, 11, True), (8, 9, True), (11, 12, True),
])
async def test_overlaps_with_the_same_provider_are_refused(api: Api, core: Any, start: float, end: float,
                                                             created: bool) -> None:
    c = await open_clinic(api)
    await booked(c, "provider", 9, 10)
    before = await snapshot(core)
    r = await book(c, "nurse", start, end)  # another team member books the same provider
    if created:
        assert r.status_code == 201, r.text
    else:
        refused(r, 137, BUSY)
        assert await snapshot(core) == before


async def test_other_providers_patients_and_freed_slots(api: Api) -> None:
    c = await open_clinic(api)
    first = await booked(c, "provider", 9, 10)
    await booked(c, "provider", 9, 10, provider="nurse")  # another provider: free
    refused(await book(c, "doc2", 9.5, 10.5, patient="p2"), 137, BUSY)  # another patient, same provider
    # a cancelled (or no-show) appointment frees its slot; a completed one does not
    assert (await api.put(f"/classes/Appointment/{first}", {"status": "cancelled"},
                          session=c.tokens["provider"])).status_code == 200
    second = await booked(c, "doc2", 9.5, 10.5, patient="p2")
    assert (await api.put(f"/classes/Appointment/{second}", {"status": "no-show"},
                          session=c.tokens["doc2"])).status_code == 200
    third = await booked(c, "provider", 9, 10)
    assert (await api.put(f"/classes/Appointment/{third}", {"status": "completed"},
                          session=c.tokens["provider"])).status_code == 200
    refused(await book(c, "provider", 9, 10), 137, BUSY)


async def test_rescheduling_checks_the_other_appointments_only(api: Api, core: Any) -> None:
    c = await open_clinic(api)
    a = await booked(c, "provider", 9, 10)
    await booked(c, "provider", 11, 12)
    path = f"/classes/Appointment/{a}"
    r = await api.put(path, {"startAt": at(9.5), "endAt": at(10.5)}, session=c.tokens["provider"])
    assert r.status_code == 200, r.text  # overlapping only its own old slot
    before = await snapshot(core)
    refused(await api.put(path, {"endAt": at(11.25)}, session=c.tokens["provider"]), 137, BUSY)
    refused(await api.put(path, {"startAt": at(11), "endAt": at(12)}, session=c.tokens["nurse"]), 137, BUSY)
    refused(await api.put(path, {"provider": c.user("nurse"), "endAt": at(9)}, session=c.tokens["nurse"]), 142,
            "endAt must be after startAt")
    assert await snapshot(core) == before
    assert (await api.put(path, {"startAt": at(10), "endAt": at(11)}, session=c.tokens["nurse"])).status_code == 200


async def test_times_and_provider_are_validated(api: Api, core: Any) -> None:
    c = await open_clinic(api)
    before = await snapshot(core)
    refused(await book(c, "provider", 10, 10), 142, "endAt must be after startAt")
    refused(await book(c, "provider", 10, 9), 142, "endAt must be after startAt")
    for who in ("p1", "admin"):  # the patient, an admin: not clinicians
        refused(await book(c, "provider", 9, 10, provider=who), 142, "provider must be a clinician")
    refused(await book(c, "provider", 9, 10, status="completed"), 142, "created scheduled or confirmed")
    refused(await book(c, "provider", 9, 10, status="booked"), 142, "Appointment status must be one of")
    refused(await book(c, "p1", 9, 10), 119)  # patients do not book (the class-level permission)
    refused(await book(c, "doc2", 9, 10), 119)  # not on p1's care team
    assert await snapshot(core) == before
    assert await booked(c, "provider", 9, 10, status="confirmed")


CASES = [(a, b) for a in STATUSES for b in STATUSES]


async def test_status_transitions(api: Api) -> None:
    c = await open_clinic(api)
    outcome = {}
    for n, (start, end) in enumerate(CASES):
        oid = await booked(c, "master", 8, 9, day=1 + n, status=start)  # the master key imports any state
        r = await api.put(f"/classes/Appointment/{oid}", {"status": end}, session=c.tokens["provider"])
        assert r.status_code in (200, 400), r.text
        outcome[(start, end)] = r.status_code == 200
        if r.status_code == 400:
            assert r.json()["code"] == 142, r.text
        assert (await c.get("Appointment", oid))["status"] == (end if r.status_code == 200 else start)
    assert outcome == {(a, b): a == b or b in NEXT.get(a, ()) for a, b in CASES}
    # a final appointment changes no more, in any field
    final = await booked(c, "master", 8, 9, day=28, status="completed")
    refused(await api.put(f"/classes/Appointment/{final}", {"location": "Room 9"}, session=c.tokens["provider"]),
            142, "Appointment is completed: a completed appointment is final.")


async def test_a_patient_confirms_or_cancels_their_own_and_nothing_else(api: Api, core: Any) -> None:
    c = await open_clinic(api)
    a, b = await booked(c, "provider", 9, 10), await booked(c, "provider", 11, 12)
    before = await snapshot(core)
    for change in ({"status": "completed"}, {"status": "no-show"}, {"location": "home"},
                   {"startAt": at(13), "endAt": at(14)}, {"status": "confirmed", "reason": "other"}):
        refused(await api.put(f"/classes/Appointment/{a}", change, session=c.tokens["p1"]), 119,
                "a patient may only confirm or cancel their own appointment")
    for who in ("p2", "doc2"):
        refused(await api.put(f"/classes/Appointment/{a}", {"status": "cancelled"}, session=c.tokens[who]), 101)
    assert await snapshot(core) == before
    assert (await api.put(f"/classes/Appointment/{a}", {"status": "confirmed"}, session=c.tokens["p1"])).status_code == 200
    assert (await api.put(f"/classes/Appointment/{b}", {"status": "cancelled"}, session=c.tokens["p1"])).status_code == 200
    assert [(await c.get("Appointment", x))["status"] for x in (a, b)] == ["confirmed", "cancelled"]
    refused(await api.delete(f"/classes/Appointment/{a}", session=c.tokens["p1"]), 119)


@pytest.mark.parametrize("creators", [("provider",) * 8, ("provider", "nurse") * 4])
async def test_concurrent_double_booking_yields_exactly_one(api: Api, core: Any, creators: tuple[str, ...]) -> None:
    c = await open_clinic(api)
    results = await asyncio.gather(*(book(c, who, 14, 15) for who in creators))
    codes = sorted(r.status_code for r in results)
    assert codes == [201] + [400] * (len(creators) - 1), [r.text for r in results]
    assert {r.json()["code"] for r in results if r.status_code == 400} == {137}
    assert await row_count(core, "Appointment") == 1


async def test_concurrent_overlapping_reschedules_yield_exactly_one(api: Api, core: Any) -> None:
    c = await open_clinic(api)
    ids = [await booked(c, "provider", 8 + n, 8.5 + n, day=3) for n in range(6)]
    moves = [api.put(f"/classes/Appointment/{oid}", {"startAt": at(20, 3), "endAt": at(21, 3)},
                     session=c.tokens["provider"]) for oid in ids]
    results = await asyncio.gather(*moves)
    assert sorted(r.status_code for r in results) == [200] + [400] * 5, [r.text for r in results]
    where = '{"startAt": {"__type": "Date", "iso": "2026-03-03T20:00:00.000Z"}}'
    found = await api.get("/classes/Appointment", params={"where": where, "count": "1", "limit": "0"}, master=True)
    assert found.json()["count"] == 1 and await row_count(core, "Appointment") == 6

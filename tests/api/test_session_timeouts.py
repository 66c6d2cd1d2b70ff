"""Sessions end when idle (15 minutes for staff by default) and, for staff, at an absolute lifetime
under a year — on REST and on LiveQuery sockets alike."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from chartkeep.settings import Settings
from tests.conftest import Api

EXPIRED = {"code": 209, "error": "Session token is expired."}


async def staff(api: Api, name: str, role: str = "nurse") -> dict[str, Any]:
    r = await api.post("/users", {"username": name, "password": "Long-enough-pw-1", "role": role}, master=True)
    assert r.status_code == 201, r.text
    r = await api.post("/login", {"username": name, "password": "Long-enough-pw-1"})
    return dict(r.json())


def test_the_defaults_are_the_safe_ones() -> None:
    s = Settings()
    assert (s.session_idle_timeout, s.staff_session_length) == (900, 43200)
    assert s.staff_session_length < 365 * 24 * 3600 and s.patient_session_idle_timeout > 0


async def test_an_idle_staff_session_ends_and_use_keeps_it_alive(api: Api, core: Any) -> None:
    core.settings.session_idle_timeout = 1
    nurse = await staff(api, "nurse1")
    for _ in range(4):  # used every 0.4 s: alive past the 1 s timeout
        await asyncio.sleep(0.4)
        r = await api.get("/users/me", session=nurse["sessionToken"])
        assert r.status_code == 200, r.text
    await asyncio.sleep(1.1)
    r = await api.get("/users/me", session=nurse["sessionToken"])
    assert (r.status_code, r.json()) == (400, EXPIRED)
    core.sessions.clear(tell=False)  # read again from the database (another process's view): still expired
    r = await api.get("/classes/Patient", session=nurse["sessionToken"])
    assert r.json() == EXPIRED


async def test_patients_have_their_own_idle_timeout(api: Api, core: Any) -> None:
    core.settings.session_idle_timeout = 1
    core.settings.patient_session_idle_timeout = 0
    patient = await api.signup("pat", password="Long-enough-pw-1")
    nurse = await staff(api, "nurse2")
    await asyncio.sleep(1.1)
    assert (await api.get("/users/me", session=patient["sessionToken"])).status_code == 200
    assert (await api.get("/users/me", session=nurse["sessionToken"])).json() == EXPIRED


async def test_a_staff_session_ends_at_its_absolute_lifetime_however_active(api: Api, core: Any) -> None:
    core.settings.staff_session_length = 1
    nurse = await staff(api, "nurse3")
    patient = await api.signup("pat2", password="Long-enough-pw-1")
    assert (await api.get("/users/me", session=nurse["sessionToken"])).status_code == 200
    await asyncio.sleep(1.1)
    assert (await api.get("/users/me", session=nurse["sessionToken"])).json() == EXPIRED
    assert (await api.get("/users/me", session=patient["sessionToken"])).status_code == 200  # session_length


async def test_a_sessions_expires_at_says_its_lifetime(api: Api, core: Any) -> None:
    nurse = await staff(api, "nurse4")
    patient = await api.signup("pat4", password="Long-enough-pw-1")
    lifetimes = {}
    for who, token in (("nurse", nurse["sessionToken"]), ("patient", patient["sessionToken"])):
        me = (await api.get("/sessions/me", session=token)).json()
        created = datetime.fromisoformat(me["createdAt"].replace("Z", "+00:00"))
        expires = datetime.fromisoformat(me["expiresAt"]["iso"].replace("Z", "+00:00"))
        lifetimes[who] = round((expires - created).total_seconds())
    assert lifetimes == {"nurse": 43200, "patient": 31536000}

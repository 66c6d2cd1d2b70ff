"""A small behavioral-health clinic for the messaging and appointment tests, built through REST.

Two patients, ``p1`` and ``p2``, each with a ``PatientProfile``. P1's care team: ``provider``
and ``nurse``; P2's care team: ``doc2`` (a physician not assigned to P1). ``admin`` is on no team.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.conftest import Api
from tests.policy.world import ptr, staff

TABLES = ("Message", "Appointment")


@dataclass
class BH:
    api: Api
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    profiles: dict[str, str] = field(default_factory=dict)

    def user(self, who: str) -> dict[str, str]:
        return ptr("_User", self.ids[who])

    def profile(self, who: str) -> dict[str, str]:
        return ptr("PatientProfile", self.profiles[who])

    def token(self, who: str) -> str | None:
        return None if who == "master" else self.tokens[who]

    def as_(self, who: str) -> dict[str, Any]:
        return {"master": True} if who == "master" else {"session": self.tokens[who]}

    def message(self, sender: str, to: str, about: str = "p1", conversation: str = "c1", body: str = "hello",
                **extra: Any) -> dict[str, Any]:
        me = self.ids.get(sender)
        return {"conversationId": conversation, "from": ptr("_User", me) if me else None, "to": self.user(to),
                "patient": self.profile(about), "body": body, "isRead": False, **extra}

    async def send(self, sender: str, to: str, **kw: Any) -> httpx.Response:
        return await self.api.post("/classes/Message", self.message(sender, to, **kw), **self.as_(sender))

    async def sent(self, sender: str, to: str, **kw: Any) -> str:
        r = await self.send(sender, to, **kw)
        assert r.status_code == 201, r.text
        return str(r.json()["objectId"])

    async def get(self, class_name: str, oid: str, who: str = "master") -> dict[str, Any]:
        r = await self.api.get(f"/classes/{class_name}/{oid}", **self.as_(who))
        assert r.status_code == 200, r.text
        return dict(r.json())

    async def call(self, name: str, params: dict[str, Any], who: str) -> httpx.Response:
        return await self.api.post(f"/functions/{name}", params, **self.as_(who))


async def open_clinic(api: Api) -> BH:
    c = BH(api)
    for who, role in (("provider", "provider"), ("nurse", "nurse"), ("doc2", "physician"), ("admin", "admin")):
        user = await staff(api, f"{who}-m", role)
        c.tokens[who], c.ids[who] = user["sessionToken"], user["objectId"]
    for who in ("p1", "p2"):
        user = await api.signup(f"{who}-m")
        c.tokens[who], c.ids[who] = user["sessionToken"], user["objectId"]
        body = {"user": c.user(who), "medicalRecordNumber": f"BH-{who}", "displayName": who.upper(), "isActive": True}
        r = await api.post("/classes/PatientProfile", body, master=True)
        assert r.status_code == 201, r.text
        c.profiles[who] = r.json()["objectId"]
    for who, profile in (("provider", "p1"), ("nurse", "p1"), ("doc2", "p2")):
        r = await api.post("/classes/CareTeamMember", {"patientProfile": c.profile(profile), "user": c.user(who)},
                           master=True)
        assert r.status_code == 201, r.text
    return c


async def snapshot(core: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the messaging tables, to assert that a refused request changed nothing."""
    out = {}
    async with core.db.read() as conn:
        for name in TABLES:
            out[name] = [tuple(r) for r in await conn.fetch(f'SELECT * FROM "{name}" ORDER BY "objectId"')]
    return out


def refused(r: httpx.Response, code: int, message: str | None = None) -> None:
    assert r.status_code in (400, 403, 404), r.text
    assert r.json()["code"] == code, r.text
    if message is not None:
        assert message in r.json()["error"], r.text

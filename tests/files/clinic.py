"""A small clinic for the file tests: a patient whose care team is a physician (primary clinician)
and a nurse; an outsider physician on no team; helpers to upload, attach and download."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.conftest import APP_ID, Api
from tests.policy.world import DATE, ptr, staff

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n" + bytes(range(256)) * 4 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)


@dataclass
class Clinic:
    api: Api
    tokens: dict[str, str]
    ids: dict[str, str]
    patient: str

    def user(self, who: str) -> dict[str, str]:
        return ptr("_User", self.ids[who])

    async def upload(self, who: str | None, name: str, data: bytes, content_type: str | None = "application/pdf",
                     **headers: str) -> httpx.Response:
        h = {"X-Parse-Application-Id": APP_ID}
        if who == "master":
            h["X-Parse-Master-Key"] = "test-master"
        elif who:
            h["X-Parse-Session-Token"] = self.tokens[who]
        if content_type:
            h["Content-Type"] = content_type
        h.update(headers)
        return await self.api.client.post(f"/parse/files/{name}", content=data, headers=h)

    async def attach(self, who: str, file_name: str, **extra: Any) -> httpx.Response:
        body = {"patient": ptr("Patient", self.patient), "file": {"__type": "File", "name": file_name},
                "category": "lab", "uploadedBy": self.user(who), **extra}
        return await self.api.post("/classes/Attachment", body, session=self.tokens[who])

    async def attached(self, who: str, data: bytes = PDF, name: str = "report.pdf") -> tuple[str, str]:
        """(file name, Attachment id) of a file ``who`` uploaded and attached to the patient."""
        up = await self.upload(who, name, data)
        assert up.status_code == 201, up.text
        r = await self.attach(who, up.json()["name"])
        assert r.status_code == 201, r.text
        return up.json()["name"], r.json()["objectId"]

    async def url_for(self, who: str, attachment_id: str) -> str:
        r = await self.api.get(f"/classes/Attachment/{attachment_id}", session=self.tokens[who])
        assert r.status_code == 200, r.text
        return r.json()["file"]["url"]

    async def fetch(self, url: str, **headers: str) -> httpx.Response:
        """GET a file URL as a browser would: no Parse headers."""
        parts = urlsplit(url)
        return await self.api.client.get(parts.path + ("?" + parts.query if parts.query else ""), headers=headers)


async def open_clinic(api: Api) -> Clinic:
    tokens, ids = {}, {}
    for who, role in (("physician", "physician"), ("nurse", "nurse"), ("outsider", "physician")):
        user = await staff(api, f"{who}-f", role)
        tokens[who], ids[who] = user["sessionToken"], user["objectId"]
    body = {"mrn": "MRN-F1", "fullName": "Ada Lovelace", "dateOfBirth": DATE, "status": "active",
            "primaryClinician": ptr("_User", ids["physician"])}
    r = await api.post("/classes/Patient", body, session=tokens["physician"])
    assert r.status_code == 201, r.text
    patient = r.json()["objectId"]
    r = await api.post("/classes/CareTeamMember", {"patient": ptr("Patient", patient), "user": ptr("_User", ids["nurse"]),
                                                   "reason": "ward nurse"}, session=tokens["physician"])
    assert r.status_code == 201, r.text
    return Clinic(api, tokens, ids, patient)


async def stored(core: Any, table: str) -> int:
    async with core.db.read() as conn:
        return int(await conn.fetchval(f'SELECT COUNT(*) FROM "{table}"'))

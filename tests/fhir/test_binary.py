"""Binary: an Attachment's file — the resource in FHIR JSON, the bytes through a 303 to the same
short-lived signed link the Parse API gives the reader (its checks and file_download ledger entry);
nothing of another chart's file for an outsider, a patient or an auditor."""

from __future__ import annotations

from typing import Any

from tests.audit.helpers import entries_after, head
from tests.conftest import Api
from tests.fhir.helpers import get, ids
from tests.fhir.test_reads import nothing
from tests.policy.world import build_world

PDF = {"Accept": "application/pdf"}


async def test_binary_resource_and_content_through_the_signed_link(api: Api, core: Any) -> None:
    w = await build_world(api)
    att, pid = w.ids["Attachment"], w.ids["Patient"]
    token = w.token("physician")
    body = (await get(api, f"/Binary/{att}", token)).json()
    assert body["contentType"] == "application/pdf" and body["securityContext"] == {"reference": f"Patient/{pid}"}
    assert "data" not in body
    assert (await get(api, f"/Binary/{att}", token, headers={"Accept": "application/fhir+json"})).json() == body
    assert ids((await get(api, f"/Binary?patient=Patient/{pid}", token)).json()) == [att]
    r = await api.client.get(f"/fhir/R4/Binary/{att}", headers={"Authorization": f"Bearer {token}", **PDF})
    assert r.status_code == 303 and r.headers["cache-control"] == "no-store"
    link = r.headers["location"]
    parse_link = (await api.get(f"/classes/Attachment/{att}", session=token)).json()["file"]["url"]
    assert link.split("?")[0] == parse_link.split("?")[0] and f"u={w.users['physician']['objectId']}" in link
    before = await head(core)
    download = await api.client.get(link)
    assert download.status_code == 200 and download.content == b"%PDF-1.7\n%%EOF\n"
    assert [e[0] for e in await entries_after(core, before)] == ["file_download"]
    tampered = await api.client.get(link.replace("sig=", "sig=x"))
    assert tampered.status_code == 403


async def test_nobody_outside_the_chart_gets_a_file_or_a_link(api: Api) -> None:
    w = await build_world(api)
    att = w.ids["Attachment"]
    for who in ("outsider", "patient", "auditor"):
        nothing(await get(api, f"/Binary/{att}", w.token(who)))
        r = await api.client.get(f"/fhir/R4/Binary/{att}", headers={"Authorization": f"Bearer {w.token(who)}", **PDF})
        assert r.status_code in (403, 404) and "location" not in r.headers, who
    r = await api.client.get(f"/fhir/R4/Binary/{att}", headers=PDF)
    assert r.status_code == 401 and "location" not in r.headers
    nothing(await get(api, "/Binary/nothere", w.token("physician")))

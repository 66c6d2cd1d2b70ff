"""Bulk Data $export: kick-off, status polling with progress, NDJSON files that validate line by line,
encrypted at rest; only what the caller may read goes out, and only the caller fetches it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import orjson

from tests.clinical.helpers import draft
from tests.conftest import Api
from tests.fhir.helpers import issue, validate
from tests.policy.world import build_world

ASYNC = {"Prefer": "respond-async"}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def run_export(api: Api, token: str, path: str = "/$export", **params: str) -> tuple[str, dict[str, Any]]:
    r = await api.client.get(f"/fhir/R4{path}", params=params, headers={**auth(token), **ASYNC})
    assert r.status_code == 202, r.text
    status_url = r.headers["content-location"]
    for _ in range(200):
        r = await api.client.get(status_url, headers=auth(token))
        if r.status_code == 200:
            return status_url, r.json()
        assert r.status_code == 202 and " types, " in r.headers["x-progress"], r.text
        await asyncio.sleep(0.05)
    raise AssertionError("the export never finished")


async def lines(api: Api, token: str, url: str) -> list[dict[str, Any]]:
    r = await api.client.get(url, headers=auth(token))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/fhir+ndjson"), r.text
    found = [orjson.loads(line) for line in r.content.splitlines() if line]
    for resource in found:
        validate(resource)
    return found


async def test_system_export_of_what_the_caller_may_read(api: Api, core: Any) -> None:
    w = await build_world(api)
    psych = (await draft(w, "physician", noteType="psychotherapy"))["note"]["objectId"]
    token = w.token("physician")
    status_url, manifest = await run_export(api, token)
    assert manifest["requiresAccessToken"] is True and manifest["request"].endswith("/fhir/R4/$export")
    files = {o["type"]: o for o in manifest["output"]}
    assert {"Patient", "Encounter", "DocumentReference", "Practitioner", "Flag", "Appointment"} <= set(files)
    patients = await lines(api, token, files["Patient"]["url"])
    assert {p["id"] for p in patients} == {w.ids["Patient"], f"bh-{w.ids['PatientProfile']}"}
    docs = {d["id"] for d in await lines(api, token, files["DocumentReference"]["url"])}
    assert {w.ids["MedicalNote"], psych} <= docs  # the author reads her psychotherapy note
    for o in manifest["output"]:
        assert len(await lines(api, token, o["url"])) == o["count"]
    # at rest: encrypted, no MRN or name in the bytes on disk
    stored = b"".join(p.read_bytes() for p in Path(core.settings.data_dir, "fhir-export").rglob("*.ndjson.*"))
    assert stored and b"MRN-" not in stored and b"Pat " not in stored
    # another caller gets neither the status nor the files
    nurse = w.token("nurse")
    issue_404 = await api.client.get(status_url, headers=auth(nurse))
    assert issue_404.status_code == 404 and issue_404.json()["resourceType"] == "OperationOutcome"
    assert (await api.client.get(files["Patient"]["url"], headers=auth(nurse))).status_code == 404
    # the nurse's own export has the chart but not the psychotherapy note
    _, mine = await run_export(api, nurse, _type="DocumentReference")
    [only] = mine["output"]
    assert only["type"] == "DocumentReference"
    assert psych not in {d["id"] for d in await lines(api, nurse, only["url"])}
    # an outsider's export has nothing of the chart
    _, outsider = await run_export(api, w.token("outsider"), "/Patient/$export")
    assert {o["type"] for o in outsider["output"]} <= {"Practitioner"}
    # cancel: the job and its files are gone
    r = await api.client.delete(status_url, headers=auth(token))
    assert r.status_code == 202
    assert (await api.client.get(status_url, headers=auth(token))).status_code == 404


async def test_since_type_and_bad_kickoffs(api: Api) -> None:
    w = await build_world(api)
    token = w.token("physician")
    _, later = await run_export(api, token, "/Patient/$export", _type="Encounter,Patient", _since="2999-01-01T00:00:00Z")
    assert later["output"] == []
    _, now = await run_export(api, token, "/Patient/$export", _type="Encounter", _since="2000-01-01")
    assert [o["type"] for o in now["output"]] == ["Encounter"]
    r = await api.client.get("/fhir/R4/$export", headers=auth(token))
    issue(r, 400, "invalid", "Prefer: respond-async")
    for params, code in (({"_type": "Medication"}, "invalid"), ({"_outputFormat": "text/csv"}, "invalid"),
                         ({"_typeFilter": "x"}, "not-supported"), ({"colour": "x"}, "invalid")):
        r = await api.client.get("/fhir/R4/$export", params=params, headers={**auth(token), **ASYNC})
        issue(r, 400, code)
    r = await api.client.get("/fhir/R4/Patient/$export", params={"_type": "Practitioner"},
                             headers={**auth(token), **ASYNC})
    issue(r, 400, "invalid", "Practitioner")
    issue(await api.client.get("/fhir/R4/Group/g1/$export", headers={**auth(token), **ASYNC}), 404, "not-found")
    issue(await api.client.get("/fhir/R4/$export-status/" + "0" * 32, headers=auth(token)), 404, "not-found")
    issue(await api.client.get("/fhir/R4/$export-status/not-a-job", headers=auth(token)), 404, "not-found")
    issue(await api.client.get("/fhir/R4/$export"), 401, "login")

"""The lease of a Bulk Data $export job, on both databases: a job no process holds is claimed by
exactly one of two servers racing for it and completed as its owner; a job whose process kept
dying ends failed; a job handed back at a stop is not counted as interrupted."""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

import orjson

from chartkeep.app import build_core
from chartkeep.fhir.export_job import Request
from chartkeep.fhir.export_run import take_over
from chartkeep.schema_admin.bootstrap import load_registry
from chartkeep.storage.queries import fhir_exports as table
from tests.conftest import Api
from tests.fhir.helpers import issue, validate
from tests.policy.world import World, build_world


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def orphan(core: Any, w: World, lease: str | None, attempts: int, done: int = 0) -> str:
    """A job as a process left it: in progress, its lease lapsed (``lease`` set, in the past) or
    handed back (None)."""
    job_id = secrets.token_hex(16)
    (core.settings.data_dir / "fhir-export" / job_id).mkdir(parents=True)
    request = Request("patient", ("Patient", "Encounter"), url="http://testserver/fhir/R4/Patient/$export",
                      base_url="http://testserver/parse", client_ip="127.0.0.1")
    now = time.time()
    async with core.db.transaction() as tx:
        await table.insert(tx, {
            "objectId": job_id, "owner": f"user:{w.users['physician']['objectId']}", "request": request.dumps(),
            "status": table.IN_PROGRESS, "transactionTime": "2026-12-01T00:00:00.000Z", "done": done,
            "resources": 0, "output": "[]", "error": None, "lease": lease,
            "leaseUntil": None if lease is None else now - 1, "attempts": attempts, "createdAt": now, "updatedAt": now,
        })
    return job_id


async def finished(api: Api, token: str, job_id: str) -> Any:
    for _ in range(200):
        r = await api.client.get(f"/fhir/R4/$export-status/{job_id}", headers=auth(token))
        if r.status_code != 202:
            return r
        await asyncio.sleep(0.05)
    raise AssertionError("the job never ended")


async def test_two_servers_racing_for_a_lapsed_job_one_claims_it_and_completes_it_as_its_owner(
        api: Api, core: Any) -> None:
    w = await build_world(api)
    job_id = await orphan(core, w, "a-dead-process", attempts=1)
    other = build_core(core.settings)  # a second server on the same database and data directory
    await other.db.connect()
    await load_registry(other)
    try:
        claimed = await asyncio.gather(take_over(core), take_over(other))
        assert sorted(len(c) for c in claimed) == [0, 1] and [job_id] in claimed
        token = w.token("physician")
        r = await finished(api, token, job_id)
        assert r.status_code == 200, r.text
        manifest = r.json()
        assert manifest["transactionTime"] == "2026-12-01T00:00:00.000Z"
        assert [o["type"] for o in manifest["output"]] == ["Patient", "Encounter"]
        for o in manifest["output"]:
            got = await api.client.get(o["url"], headers=auth(token))
            lines = [orjson.loads(line) for line in got.content.splitlines() if line]
            assert len(lines) == o["count"]
            for resource in lines:
                validate(resource)
        patients = [orjson.loads(line) for line in (await api.client.get(
            manifest["output"][0]["url"], headers=auth(token))).content.splitlines()]
        # read as the physician (her care team's charts), not as the master key: the outsider's view differs
        assert {p["id"] for p in patients} == {w.ids["Patient"], f"bh-{w.ids['PatientProfile']}"}
        async with core.db.read() as conn:
            row = await table.get(conn, job_id)
        assert row is not None and row["lease"] is None and row["attempts"] == 2  # one lapsed run counted
        assert await take_over(core) == [] and await take_over(other) == []  # nothing left to claim
        issue(await api.client.get(f"/fhir/R4/$export-status/{job_id}", headers=auth(w.token("outsider"))),
              404, "not-found")
    finally:
        await other.background.close(5)
        await other.db.close()


async def test_a_job_whose_process_kept_dying_ends_failed(api: Api, core: Any) -> None:
    w = await build_world(api)
    job_id = await orphan(core, w, "died-again", attempts=core.settings.fhir_export_max_attempts)
    assert await take_over(core) == []
    r = await api.client.get(f"/fhir/R4/$export-status/{job_id}", headers=auth(w.token("physician")))
    issue(r, 500, "exception", f"interrupted {core.settings.fhir_export_max_attempts} times")


async def test_a_job_handed_back_is_resumed_without_counting_an_interruption(api: Api, core: Any) -> None:
    w = await build_world(api)
    job_id = await orphan(core, w, None, attempts=core.settings.fhir_export_max_attempts)
    assert await take_over(core) == [job_id]
    r = await finished(api, w.token("physician"), job_id)
    assert r.status_code == 200, r.text
    async with core.db.read() as conn:
        row = await table.get(conn, job_id)
    assert row is not None and row["attempts"] == core.settings.fhir_export_max_attempts


async def test_a_job_of_a_deleted_owner_fails_instead_of_reading_as_someone_else(api: Api, core: Any) -> None:
    w = await build_world(api)
    job_id = await orphan(core, w, "lapsed", attempts=1)
    async with core.db.transaction() as tx:
        await tx.execute(f'UPDATE "_FhirExport" SET "owner" = {tx.dialect.placeholder(1)}', ["user:nobody00"])
    assert await take_over(core) == [job_id]
    for _ in range(100):
        async with core.db.read() as conn:
            row = await table.get(conn, job_id)
        if row is not None and row["status"] != table.IN_PROGRESS:
            break
        await asyncio.sleep(0.05)
    assert row is not None and row["status"] == "failed" and "no longer exists" in row["error"]

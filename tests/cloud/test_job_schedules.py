"""The jobs Parse Dashboard lists and schedules (``/cloud_code/jobs``) when Cloud Code defines jobs:
the deployed jobs are listed; no schedule is kept, so scheduling says how to run one instead."""

from __future__ import annotations

from tests.conftest import Api


async def test_deployed_jobs_are_listed_and_a_schedule_says_how_to_run_them(api: Api) -> None:
    r = await api.get("/cloud_code/jobs/data", master=True)
    assert r.status_code == 200
    assert r.json()["in_use"] == [] and {"remind", "explode"} <= set(r.json()["jobs"])
    assert (await api.get("/cloud_code/jobs", master=True)).json() == []
    r = await api.post("/cloud_code/jobs", {"job_schedule": {"jobName": "remind"}}, master=True)
    assert (r.status_code, r.json()["code"]) == (400, 141)
    assert r.json()["error"].startswith("Chartkeep keeps no job schedule: run the job with POST /jobs/remind")
    r = await api.post("/cloud_code/jobs", {"job_schedule": {"jobName": "nope"}}, master=True)
    assert r.json() == {"code": 141, "error": "Cannot Schedule a job that is not deployed"}

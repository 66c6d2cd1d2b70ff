"""``@cloud.job``: POST /jobs/<name> with the master key, tracked in _JobStatus."""

from __future__ import annotations

from typing import Any

from tests.cloud.helpers import cloud_entries, finished, head
from tests.conftest import Api


async def test_a_job_runs_in_the_background_and_reports_through_job_status(api: Api, core: Any) -> None:
    seq = await head(core)
    r = await api.post("/jobs/remind", {"dryRun": True}, master=True)
    assert (r.status_code, r.json()) == (200, {})
    status_id = r.headers["X-Parse-Job-Status-Id"]
    done = await finished(core, status_id)
    assert (done["status"], done["message"], done["jobName"]) == ("succeeded", "0 patients", "remind")
    assert done["finishedAt"] is not None
    got = (await api.get(f"/classes/_JobStatus/{status_id}", master=True)).json()
    assert (got["status"], got["params"], got["source"]) == ("succeeded", {"dryRun": True}, "api")
    events = await cloud_entries(core, seq)
    assert [e[0] for e in events if e[1] == "_JobStatus"][:1] == ["create"]
    assert {e[3] for e in events} == {"job remind"}


async def test_a_failing_job_is_marked_failed_with_its_message(api: Api, core: Any) -> None:
    r = await api.post("/jobs/explode", {}, master=True)
    done = await finished(core, r.headers["X-Parse-Job-Status-Id"])
    assert (done["status"], done["message"]) == ("failed", "job broke")


async def test_jobs_need_the_master_key_and_a_known_name(api: Api, core: Any) -> None:
    r = await api.post("/jobs/remind", {})
    assert (r.status_code, r.json()) == (403, {"error": "Permission denied"})
    r = await api.post("/jobs/nope", {}, master=True)
    assert (r.status_code, r.json()) == (400, {"code": 141, "error": 'Invalid job: "nope"'})
    r = await api.get("/classes/_JobStatus")
    assert r.json()["code"] == 119


async def test_parse_dashboard_runs_a_job_named_in_the_body(api: Api, core: Any) -> None:
    """Parse Dashboard's Run button: POST /jobs with jobName in the body; the whole body is the params."""
    body = {"description": "Executing from job schedule web console.", "input": {}, "jobName": "remind", "when": 0}
    r = await api.post("/jobs", body, master=True)
    assert (r.status_code, r.json()) == (200, {})
    status_id = r.headers["X-Parse-Job-Status-Id"]
    done = await finished(core, status_id)
    assert (done["status"], done["message"], done["jobName"]) == ("succeeded", "0 patients", "remind")
    got = (await api.get(f"/classes/_JobStatus/{status_id}", master=True)).json()
    assert (got["jobName"], got["params"], got["source"]) == ("remind", body, "api")


async def test_post_jobs_needs_the_master_key_and_a_job_name(api: Api, core: Any) -> None:
    r = await api.post("/jobs", {"jobName": "remind"})
    assert (r.status_code, r.json()) == (403, {"error": "Permission denied"})
    for body in ({}, {"jobName": ""}, {"jobName": ["remind"]}):
        r = await api.post("/jobs", body, master=True)
        assert (r.status_code, r.json()) == (400, {"code": 141, "error": "Invalid job: POST /jobs needs a jobName"})
    r = await api.post("/jobs", {"jobName": "nope"}, master=True)
    assert (r.status_code, r.json()) == (400, {"code": 141, "error": 'Invalid job: "nope"'})
    assert (await api.get("/classes/_JobStatus", master=True)).json()["results"] == []

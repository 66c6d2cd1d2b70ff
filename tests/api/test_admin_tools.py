"""What Parse Dashboard calls besides the classes: the jobs and webhooks APIs, in Parse's shapes.

Without Cloud Code no job is deployed and no webhook is registered, so the lists are empty, a named
job or webhook is refused with Parse's code and message, and every route needs the master key
(with Cloud Code: tests/cloud/test_job_schedules.py, tests/cloud/test_webhooks.py).
"""

from __future__ import annotations

from tests.conftest import Api

DENIED = (403, {"error": "Permission denied"})


async def test_jobs_api_answers_in_parse_shapes(api: Api) -> None:
    r = await api.get("/cloud_code/jobs", master=True)
    assert (r.status_code, r.json()) == (200, [])
    r = await api.get("/cloud_code/jobs/data", master=True)
    assert (r.status_code, r.json()) == (200, {"in_use": [], "jobs": []})
    r = await api.post("/jobs/nightlyReport", {}, master=True)
    assert (r.status_code, r.json()) == (400, {"code": 141, "error": 'Invalid job: "nightlyReport"'})
    r = await api.post("/cloud_code/jobs", {"job_schedule": {"jobName": "nightlyReport"}}, master=True)
    assert (r.status_code, r.json()) == (400, {"code": 141, "error": "Cannot Schedule a job that is not deployed"})
    r = await api.delete("/cloud_code/jobs/abc123", master=True)
    assert (r.status_code, r.json()) == (404, {"code": 101, "error": "Object not found."})
    # the dashboard's job status list is an ordinary query on a class no job ever wrote
    assert (await api.get("/classes/_JobStatus", master=True)).json() == {"results": []}


async def test_webhooks_api_lists_none_without_registrations(api: Api) -> None:
    for kind in ("functions", "triggers"):
        r = await api.get(f"/hooks/{kind}", master=True)
        assert (r.status_code, r.json()) == (200, [])
    r = await api.get("/hooks/functions/sendReport", master=True)
    assert r.json() == {"code": 143, "error": "no function named: sendReport is defined"}
    assert (await api.get("/hooks/elsewhere", master=True)).status_code == 404


async def test_admin_tool_routes_need_the_master_key(api: Api) -> None:
    for method, path in (("GET", "/cloud_code/jobs"), ("GET", "/cloud_code/jobs/data"), ("POST", "/jobs/x"),
                         ("GET", "/hooks/functions"), ("POST", "/hooks/functions"),
                         ("GET", "/hooks/triggers/MedicalNote/beforeSave")):
        r = await api.request(method, path, json={} if method == "POST" else None)
        assert (r.status_code, r.json()) == DENIED, (method, path)


async def test_what_is_not_served_says_so(api: Api) -> None:
    for method, path, what in (("GET", "/aggregate/Patient", "Aggregation pipelines"),
                               ("DELETE", "/purge/MedicalNote", "Deleting every object of a class"),
                               ("GET", "/scriptlog", "Server logs")):
        r = await api.request(method, path, master=True)
        assert (r.status_code, r.json()["code"]) == (400, 108), (path, r.text)
        assert r.json()["error"].startswith(what + " (")
        assert (await api.request(method, path)).json() == DENIED[1]

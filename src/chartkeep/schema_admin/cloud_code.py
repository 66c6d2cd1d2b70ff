"""Scheduled jobs as administration tools ask for them (``/cloud_code/jobs``), in Parse Server's
shapes. Running a job (``POST /jobs/<name>``) and webhooks (``/hooks``) are Cloud Code's
(cloud/jobs.py, cloud/webhooks.py).

Chartkeep runs a job when it is asked to; it keeps no schedule (``_JobSchedule``): the schedule
list is empty, the deployed jobs are listed, and a schedule is refused with a message saying why —
never a 404 a tool cannot read.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chartkeep.errors import Code, ParseError


def job_schedules() -> list[dict[str, Any]]:
    """``GET /cloud_code/jobs``: the scheduled jobs (``_JobSchedule`` rows); none are kept."""
    return []


def jobs_data(deployed: Iterable[str]) -> dict[str, list[str]]:
    """``GET /cloud_code/jobs/data``: the deployed jobs and those a schedule uses."""
    return {"in_use": [], "jobs": sorted(deployed)}


def schedule_job(body: Any, deployed: Iterable[str]) -> dict[str, Any]:
    """``POST``/``PUT /cloud_code/jobs``: Parse's message for a job that is not deployed (code 141, a
    400, where Parse Server answers code 1 with a 500: a request for a missing job is bad input); a
    deployed one is refused too, since no schedule is kept (run it with ``POST /jobs/<name>`` from
    the operating system's scheduler: docs/cloud-code.md)."""
    job = body.get("job_schedule", {}).get("jobName") if isinstance(body, dict) else None
    if not isinstance(job, str) or job not in set(deployed):
        raise ParseError(Code.SCRIPT_FAILED, "Cannot Schedule a job that is not deployed")
    raise ParseError(Code.SCRIPT_FAILED, "Chartkeep keeps no job schedule: run the job with POST /jobs/"
                                         f"{job} from a scheduler (cron, a systemd timer)")


def delete_schedule(object_id: str) -> dict[str, Any]:
    """``DELETE /cloud_code/jobs/<id>``: there is no schedule to delete."""
    raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found.")

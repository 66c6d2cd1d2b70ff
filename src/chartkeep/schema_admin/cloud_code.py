"""Background jobs and webhooks as administration tools ask for them (``/jobs``,
``/cloud_code/jobs``, ``/hooks``), in Parse Server's shapes.

Chartkeep has no user Cloud Code yet: no job is deployed and no webhook can be registered (user code
will join through the hook registry, core/hooks.py, never through an outside URL that could skip
the clinical rules). So every list is empty, a named job or webhook is "not found" with Parse's code
and message, and a create is refused with a message saying why — never a 404 a tool cannot read.
"""

from __future__ import annotations

from typing import Any

from chartkeep.errors import Code, ParseError

WEBHOOK_ERROR = 143  # Parse.Error.WEBHOOK_ERROR (the SDKs' INVALID_IMAGE_DATA shares the number)
HOOK_KINDS = ("functions", "triggers")
NO_WEBHOOKS = ("Webhooks are not supported by Chartkeep: server code runs in-process on the hook "
               "registry, after the clinical rules.")


def deployed_jobs() -> list[str]:
    """The names of the jobs user code defined (none until Cloud Code lands)."""
    return []


def job_schedules() -> list[dict[str, Any]]:
    """``GET /cloud_code/jobs``: the scheduled jobs (``_JobSchedule`` rows); none can exist."""
    return []


def jobs_data() -> dict[str, list[str]]:
    """``GET /cloud_code/jobs/data``: the deployed jobs and those a schedule uses."""
    return {"in_use": [], "jobs": deployed_jobs()}


def schedule_job(body: Any) -> dict[str, Any]:
    """``POST``/``PUT /cloud_code/jobs``: only a deployed job can be scheduled (Parse's message; code
    141, a 400, where Parse Server answers code 1 with a 500: a request for a missing job is bad input)."""
    raise ParseError(Code.SCRIPT_FAILED, "Cannot Schedule a job that is not deployed")


def delete_schedule(object_id: str) -> dict[str, Any]:
    """``DELETE /cloud_code/jobs/<id>``: there is no schedule to delete."""
    raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found.")


def run_job(name: str) -> dict[str, Any]:
    """``POST /jobs/<name>``: Parse's message for a job no code defined (code 141, as for a Cloud
    function that does not exist)."""
    raise ParseError(Code.SCRIPT_FAILED, "Invalid job.")


def list_hooks(kind: str) -> list[dict[str, Any]]:
    """``GET /hooks/functions`` or ``/hooks/triggers``."""
    return []


def get_function_hook(name: str) -> dict[str, Any]:
    raise ParseError(WEBHOOK_ERROR, f"no function named: {name} is defined")


def get_trigger_hook(class_name: str, trigger: str) -> dict[str, Any]:
    raise ParseError(WEBHOOK_ERROR, f"class {class_name} does not exist")


def change_hook(body: Any) -> dict[str, Any]:
    """``POST``/``PUT``/``DELETE`` of a webhook: refused, with the reason."""
    raise ParseError(WEBHOOK_ERROR, NO_WEBHOOKS)

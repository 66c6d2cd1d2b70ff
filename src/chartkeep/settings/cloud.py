"""Cloud Code (docs/cloud-code.md): the clinic's code, its reload, webhooks, time limit."""

from __future__ import annotations

from pydantic import BaseModel, Field


class CloudCodeSettings(BaseModel):
    cloud: str | None = Field(
        None, description="The clinic's Cloud Code: a Python file (cloud/main.py) or an importable module name, "
        "loaded by every server process at start-up; a file that does not load stops start-up, naming the file "
        "and line."
    )
    cloud_reload: bool = Field(
        False, description="Development: load the cloud file again when it (or a .py file next to it) changes, "
        "checked every second; a version that fails to load is logged and the previous one keeps running."
    )
    webhook_key: str | None = Field(
        None, description="Sent as X-Parse-Webhook-Key with every Cloud Code webhook call (functions and triggers "
        "registered through /hooks), so the receiver can tell it came from this server (Parse's webhookKey)."
    )
    cloud_timeout: float = Field(
        10.0, ge=0, description="Seconds one Cloud function or trigger may run before it is cancelled and answered "
        "141 Script timed out (0: no limit). Jobs have no limit."
    )

"""Care and messaging: break-the-glass access to a chart, how long messages are kept
(docs/messaging.md)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class CareSettings(BaseModel):
    break_glass_minutes: int = Field(
        60, description="How long break-the-glass read access to a chart lasts, in minutes."
    )
    message_retention_days: int = Field(
        0, description="Messages older than this many days are deleted (with their attachments) by "
        "`chartkeep messages purge`; 0 keeps them forever (docs/messaging.md)."
    )

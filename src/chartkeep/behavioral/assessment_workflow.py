"""The behavioral-health assessment and crisis-log workflows' shared vocabulary and facts.

``IntakeAssessment.status``: pending → completed (a completed assessment is never edited in
place; a revision is a new row linked by ``previousVersion``). ``CrisisInterventionLog.status``:
open → in_progress → resolved → closed (docs/assessments.md). Every function here takes the
write's connection: what it reads is what the transaction sees.
"""

from __future__ import annotations

from typing import Any

from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.errors import Code, ParseError
from chartkeep.records import commit
from chartkeep.schema.model import ClassSchema
from chartkeep.storage import rows
from chartkeep.storage.database import Conn
from chartkeep.storage.queries import assessments

ASSESSMENT, CRISIS, REVISION, PROFILE = "IntakeAssessment", "CrisisInterventionLog", "CrisisLogRevision", "PatientProfile"
PENDING, COMPLETED = "pending", "completed"
STATUSES = (PENDING, COMPLETED)
OPEN, IN_PROGRESS, RESOLVED, CLOSED = "open", "in_progress", "resolved", "closed"
CRISIS_STATUSES = (OPEN, IN_PROGRESS, RESOLVED, CLOSED)
PRIORITIES = ("low", "normal", "high")
SCORE_FIELDS = ("totalScore", "severity", "crisisFlag")
# Set only by the server's transitions (publishAssessment, acknowledgeAssessment, a revision).
SERVER_ONLY = {
    "publishedAt": "publishAssessment", "publishedBy": "publishAssessment",
    "acknowledgedAt": "acknowledgeAssessment", "acknowledgedBy": "acknowledgeAssessment",
    "supersededBy": "a revision (reviseAssessment)",
}


def schema(core: Core, class_name: str) -> ClassSchema:
    found = core.registry.get(class_name)
    if found is None:  # pragma: no cover - the hooks only run for classes that exist
        raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found.")
    return found


async def lock(conn: Conn, core: Core, class_name: str, object_id: str,
               principals: list[str] | None = None) -> dict[str, Any] | None:
    """The row, locked until the transaction ends (``FOR UPDATE`` on PostgreSQL; SQLite has one
    writer); None when missing or (with ``principals``) not writable by them."""
    return await rows.fetch_for_write(conn, schema(core, class_name), object_id, principals)


async def patient_user(conn: Conn, profile_id: str) -> str | None:
    """The ``_User`` of a PatientProfile: the patient themself."""
    user = await rows.field_value(conn, PROFILE, profile_id, "user")
    return None if user is None else str(user)


def with_reader(perms: list[str] | None, user: str | None, present: bool) -> list[str]:
    """Read permissions with ``user`` added (``present``) or taken out."""
    out = set(perms or ())
    if user:
        (out.add if present else out.discard)(user)
    return sorted(out)


async def set_fields(core: Core, conn: Conn, ctx: RequestContext, class_name: str, object_id: str,
                     changes: dict[str, Any], *, why: str, event: str = "update",
                     before: dict[str, Any] | None = None) -> None:
    """A server-side change of a row in the write's transaction (client rules do not apply: this
    IS the rule), through the one write primitive: its ledger entry (``event``, saying ``why``)
    and, once the transaction commits, its LiveQuery event."""
    await commit.server_update(core, conn, ctx, class_name, object_id, changes, why=why, event=event, before=before)


async def chain(conn: Conn, assessment_id: str) -> list[str]:
    """The assessment and every version before it (newest first)."""
    out: list[str] = []
    current: str | None = assessment_id
    while current and current not in out:
        out.append(current)
        current = await rows.field_value(conn, ASSESSMENT, current, "previousVersion")
    return out


async def crisis_log_of(conn: Conn, assessment_ids: list[str]) -> str | None:
    """A crisis log already raised by one of these assessments, if any."""
    return await assessments.crisis_log_raised_by(conn, assessment_ids)

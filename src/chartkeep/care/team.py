"""The care team: who may read and write a patient's chart.

Each chart root — an EHR ``Patient`` or a behavioral-health ``PatientProfile`` — has one ``_Role``
named ``careTeam_<Class>_<objectId>``. Every chart object carries that role in its ACL, so adding
or removing a member changes access to the whole chart at once, without rewriting any object.

Members are recomputed from their sources whenever one changes:

* ``Patient``: its ``primaryClinician``, the ``admittingClinician`` of its encounters, and
  explicit ``CareTeamMember`` rows (the clinician who registered the patient is one);
* ``PatientProfile``: the ``provider`` of its appointments, the ``assessor`` of its intake
  assessments, and explicit ``CareTeamMember`` rows.

Break-the-glass grants (``BreakGlassAccess``) give read-only use of the same role for a time.
"""

from __future__ import annotations

from chartkeep.access.principals import ADMIN, team_principal, team_role
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.errors import Code, ParseError
from chartkeep.records import commit
from chartkeep.schema.registry import Registry
from chartkeep.storage import rows
from chartkeep.storage.database import Conn
from chartkeep.storage.queries import care_team
from chartkeep.storage.queries.roles import role_ids, role_users

MEMBERS = "CareTeamMember"
GRANTS = "BreakGlassAccess"

# The sources of membership: (class, user-pointer column, column pointing at the root).
SOURCES: dict[str, list[tuple[str, str, str]]] = {
    "Patient": [
        ("Patient", "primaryClinician", "objectId"),
        ("Encounter", "admittingClinician", "patient"),
        (MEMBERS, "user", "patient"),
    ],
    "PatientProfile": [
        ("Appointment", "provider", "patient"),
        ("IntakeAssessment", "assessor", "patient"),
        (MEMBERS, "user", "patientProfile"),
    ],
}


def on_team(ctx: RequestContext, root_class: str, root_id: str) -> bool:
    """May write in this chart: the master key, an admin, or a member of its care team."""
    if ctx.is_master:
        return True
    principals = ctx.principals()
    return ADMIN in principals or team_principal(root_class, root_id) in principals


def require_team(ctx: RequestContext, root_class: str, root_id: str) -> None:
    if not on_team(ctx, root_class, root_id):
        raise ParseError(Code.OPERATION_FORBIDDEN, "Permission denied: you are not on this patient's care team.")


async def _members(conn: Conn, registry: Registry, root_class: str, root_id: str) -> set[str]:
    """The users the sources that exist in this schema name."""
    sources: list[tuple[str, str, str]] = []
    for class_name, user_col, root_col in SOURCES[root_class]:
        schema = registry.get(class_name)
        if schema is None or (user_col not in schema.fields) or (root_col != "objectId" and root_col not in schema.fields):
            continue
        sources.append((class_name, user_col, root_col))
    return await care_team.members(conn, sources, root_id)


async def refresh(core: Core, conn: Conn, ctx: RequestContext, root_class: str, root_id: str) -> set[str]:
    """Make the team role's users exactly the members named by the sources (creating the role the
    first time), through the one write primitive; return the users whose access changed (their
    cached roles must be dropped once this commits)."""
    name = team_role(root_class, root_id)
    role_id = (await role_ids(conn, [name])).get(name)
    if role_id is None:
        role_id = await commit.server_insert(core, conn, ctx, "_Role", {
            "name": name, "_rperm": [team_principal(root_class, root_id), ADMIN], "_wperm": [],
        }, why=f"the care team of {root_class} {root_id}")
    wanted = await _members(conn, core.registry, root_class, root_id)
    have = await role_users(conn, role_id)
    await commit.relation(core, conn, ctx, "_Role", "users", role_id, sorted(wanted - have), sorted(have - wanted),
                          why=f"the care team of {root_class} {root_id} follows its sources",
                          event="permission_change")
    return wanted ^ have


async def root_of(conn: Conn, class_name: str, object_id: str, column: str = "patient") -> str | None:
    """The value of a pointer column of a stored object (e.g. a MedicalNote's ``patient``)."""
    value = await rows.field_value(conn, class_name, object_id, column)
    return None if value is None else str(value)

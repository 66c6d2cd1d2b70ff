"""Who may read a chart: the two access modes of the bench data.

``careteam`` (the default) is what the templates describe ("only authenticated care-team users can
access Patient and Encounter data") and what Chartkeep does for them: each patient has one role,
``careTeam_Patient_<id>``, whose users are the patient's ``primaryClinician`` and the
``admittingClinician`` of its encounters; every chart object's ACL names that role and
``role:admin`` (plus the signer on a ``Signature``). A clinician sits on many teams (50 by default),
so every request expands their roles: ``physician`` → ``clinician`` and each team.

Chartkeep builds the team and writes the ACLs itself (``care/team.py``, ``care/chart_acl.py``).
Parse Server has no care teams, so the bench does what an app on Parse does: it creates the same
roles with the same users (and ``physician`` with every clinician, inherited by ``clinician``, as
Chartkeep's seed roles) and sends the same ACLs.

``owner`` (the bench before issue 22) gives every object ``{clinicianId: read/write}`` with one
clinician per patient: access is a user-id check, and Parse expands no roles at all.
"""

from __future__ import annotations

import math
from typing import Any

from ckbench.client import pointer

MODES = ("careteam", "owner")
ADMIN = "role:admin"
# Chart classes the bench writes: (the team writes, admins write), as Chartkeep's care/chart_acl.py RULES.
WRITES: dict[str, tuple[bool, bool]] = {
    "Patient": (True, True),
    "Encounter": (True, True),
    "MedicalNote": (True, False),
    "NoteVersion": (False, False),
    "Signature": (False, False),
}


def team_role(patient_id: str) -> str:
    return f"careTeam_Patient_{patient_id}"


def team_acl(class_name: str, patient_id: str, signer: str | None = None) -> dict[str, dict[str, bool]]:
    """The ACL Chartkeep gives a chart object of this patient (the signer: a Signature's)."""
    team_writes, admin_writes = WRITES[class_name]
    team = "role:" + team_role(patient_id)
    acl = {team: {"read": True}, ADMIN: {"read": True}}
    if team_writes:
        acl[team]["write"] = True
    if admin_writes:
        acl[ADMIN]["write"] = True
    if signer:
        acl[signer] = {"read": True, "write": True}
    return acl


def clinicians_for(patients: int, team_size: int, teams_per_clinician: int) -> int:
    """How many clinicians put each one on ``teams_per_clinician`` teams of ``team_size``."""
    return max(team_size, math.ceil(patients * team_size / teams_per_clinician))


def team_of(patient_index: int, team_size: int, clinicians: int) -> list[int]:
    """The patient's team, round robin: every clinician is on the same number of teams (±1)."""
    return [(patient_index * team_size + j) % clinicians for j in range(team_size)]


def seed_role_requests(clinician_ids: list[str]) -> list[dict[str, Any]]:
    """Parse only: Chartkeep's seed roles the clinicians hold (``physician``, inherited by
    ``clinician``) and ``admin``, so a Parse request walks the same role graph."""
    users = [pointer("_User", uid) for uid in clinician_ids]
    read_all = {"*": {"read": True}}
    return [
        {"method": "POST", "path": "/parse/roles", "body": {"name": "admin", "ACL": read_all}},
        {"method": "POST", "path": "/parse/roles",
         "body": {"name": "physician", "ACL": read_all, "users": {"__op": "AddRelation", "objects": users}}},
    ]


def clinician_role_request(physician_role_id: str) -> dict[str, Any]:
    return {"method": "POST", "path": "/parse/roles", "body": {
        "name": "clinician", "ACL": {"*": {"read": True}},
        "roles": {"__op": "AddRelation", "objects": [pointer("_Role", physician_role_id)]},
    }}


def team_role_request(patient_id: str, member_ids: list[str]) -> dict[str, Any]:
    """Parse only: the team role as Chartkeep makes it (readable by the team and admins)."""
    return {"method": "POST", "path": "/parse/roles", "body": {
        "name": team_role(patient_id),
        "ACL": {"role:" + team_role(patient_id): {"read": True}, ADMIN: {"read": True}},
        "users": {"__op": "AddRelation", "objects": [pointer("_User", uid) for uid in member_ids]},
    }}

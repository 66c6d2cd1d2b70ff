"""The ACL principals the server writes for charts, and how their names are made.

* ``role:careTeam_<Root>_<id>``: a chart's care team (one ``_Role`` per chart root);
* ``chart:<Root>:<id>``: a marker on a restricted record's ACL that no caller holds, so whose
  chart a row belongs to is still known (the ledger reads it);
* ``role:recordGrant_<Class>_<id>``: the read-only role of a record's ``RecordGrant`` holders;
* ``role:admin``, ``role:clinician``, ``role:auditor``: seed roles the rules name.

Role names starting with one of ``SERVER_PREFIXES`` are the server's: no client creates them.
"""

from __future__ import annotations

ADMIN = "role:admin"
CLINICIAN = "role:clinician"
AUDITOR = "role:auditor"
TEAM_PREFIX = "careTeam_"
GRANT_PREFIX = "recordGrant_"
SERVER_PREFIXES = (TEAM_PREFIX, GRANT_PREFIX)
MARK = "chart:"


def team_role(root_class: str, root_id: str) -> str:
    return f"{TEAM_PREFIX}{root_class}_{root_id}"


def team_principal(root_class: str, root_id: str) -> str:
    return f"role:{team_role(root_class, root_id)}"


def chart_mark(root_class: str, root_id: str) -> str:
    return f"{MARK}{root_class}:{root_id}"


def chart_of_principal(principal: str, roots: tuple[str, ...]) -> tuple[str, str] | None:
    """(root class, id) named by a care-team principal or a chart marker, else None."""
    if principal.startswith("role:" + TEAM_PREFIX):
        root, _, object_id = principal[len("role:" + TEAM_PREFIX):].partition("_")
    elif principal.startswith(MARK):
        root, _, object_id = principal[len(MARK):].partition(":")
    else:
        return None
    return (root, object_id) if root in roots and object_id else None

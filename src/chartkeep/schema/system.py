"""Parse's built-in classes and the class-level permissions a new class starts with.

Besides the account classes: ``_Installation`` (what the mobile SDKs save at launch,
devices/installations.py), ``_PushStatus`` (one row per ``POST /push``, devices/push.py) and
``_GlobalConfig`` (Parse Config, one row ``"1"``, schema_admin/config.py) and ``_JobStatus`` (one row
per Cloud Code job run, cloud/jobs.py). The last three are master-key only, as in Parse
(``MASTER_ONLY_CLASSES``); clients may neither find nor delete installations.
"""

from __future__ import annotations

from typing import Any

from chartkeep.schema.model import ClassSchema, FieldSpec


def default_clp() -> dict[str, Any]:
    """Parse's default: every operation open to everyone; no protected fields but email."""
    open_ = {"*": True}
    return {
        "find": dict(open_),
        "count": dict(open_),
        "get": dict(open_),
        "create": dict(open_),
        "update": dict(open_),
        "delete": dict(open_),
        "addField": dict(open_),
        "protectedFields": {"*": []},
    }


# Parse's classesWithMasterOnlyAccess (SharedRest.js), those of them Chartkeep has
MASTER_ONLY_CLASSES = frozenset({"_PushStatus", "_GlobalConfig", "_JobStatus", "_Hooks"})
# Operations no client may make on an installation, whatever its CLP says (Parse's rule)
INSTALLATION_MASTER_ONLY = frozenset({"find", "delete"})
GLOBAL_CONFIG_ID = "1"  # the one row of _GlobalConfig, as in Parse


def installation_clp() -> dict[str, Any]:
    """A device creates, reads and updates its own installation without a session; only the master
    key lists or deletes installations. Custom fields may be added, as in Parse."""
    clp = default_clp()
    for op in ("find", "count", "delete"):
        clp[op] = {}
    return clp


def master_only_clp() -> dict[str, Any]:
    return {op: {} for op in ("find", "count", "get", "create", "update", "delete", "addField")} | {
        "protectedFields": {}
    }


def _installation() -> ClassSchema:
    fields = {name: FieldSpec("String") for name in (
        "installationId", "deviceToken", "deviceType", "pushType", "GCMSenderId", "timeZone",
        "localeIdentifier", "appVersion", "appName", "appIdentifier", "parseVersion")}
    fields["channels"] = FieldSpec("Array")
    fields["badge"] = FieldSpec("Number")
    return ClassSchema("_Installation", fields)


def _push_status() -> ClassSchema:
    kinds = {
        "pushTime": "String", "source": "String", "query": "String", "payload": "String", "title": "String",
        "expiry": "Number", "expiration_interval": "Number", "status": "String", "numSent": "Number",
        "numFailed": "Number", "pushHash": "String", "errorMessage": "Object", "sentPerType": "Object",
        "failedPerType": "Object", "sentPerUTCOffset": "Object", "failedPerUTCOffset": "Object",
        "count": "Number",
    }
    return ClassSchema("_PushStatus", {name: FieldSpec(kind) for name, kind in kinds.items()})


def _job_status() -> ClassSchema:
    """Parse's ``_JobStatus``: one row per job run (``POST /jobs/<name>``)."""
    kinds = {"jobName": "String", "source": "String", "status": "String", "message": "String",
             "params": "Object", "finishedAt": "Date"}
    return ClassSchema("_JobStatus", {name: FieldSpec(kind) for name, kind in kinds.items()})


def _hooks() -> ClassSchema:
    """Parse's ``_Hooks``: the webhooks registered through ``/hooks`` (cloud/webhooks.py)."""
    kinds = {"functionName": "String", "className": "String", "triggerName": "String", "url": "String"}
    return ClassSchema("_Hooks", {name: FieldSpec(kind) for name, kind in kinds.items()})


def system_classes() -> dict[str, ClassSchema]:
    user = ClassSchema(
        "_User",
        {
            "username": FieldSpec("String"),
            "email": FieldSpec("String"),
            "emailVerified": FieldSpec("Boolean"),
            "authData": FieldSpec("Object"),
            "requestedRole": FieldSpec("String"),  # a role applied for at sign-up (accounts/role_applications.py)
            "applicationStatus": FieldSpec("String"),  # pending, approved, rejected
        },
    )
    role = ClassSchema(
        "_Role",
        {
            "name": FieldSpec("String"),
            "users": FieldSpec("Relation", "_User"),
            "roles": FieldSpec("Relation", "_Role"),
        },
    )
    session = ClassSchema(
        "_Session",
        {
            "sessionToken": FieldSpec("String"),
            "user": FieldSpec("Pointer", "_User"),
            "createdWith": FieldSpec("Object"),
            "restricted": FieldSpec("Boolean"),
            "expiresAt": FieldSpec("Date"),
            "installationId": FieldSpec("String"),
        },
    )
    config = ClassSchema("_GlobalConfig", {"params": FieldSpec("Object"), "masterKeyOnly": FieldSpec("Object")})
    out = {c.name: c for c in (user, role, session, _installation(), _push_status(), config, _job_status(), _hooks())}
    for c in out.values():
        c.clp = default_clp()
    out["_User"].clp["protectedFields"] = {"*": ["email"]}
    out["_Installation"].clp = installation_clp()
    out["_PushStatus"].clp = master_only_clp()
    out["_GlobalConfig"].clp = master_only_clp()
    out["_JobStatus"].clp = master_only_clp()
    out["_Hooks"].clp = master_only_clp()
    return out

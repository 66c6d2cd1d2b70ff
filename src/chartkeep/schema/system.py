"""Parse's built-in classes and the class-level permissions a new class starts with."""

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


def system_classes() -> dict[str, ClassSchema]:
    user = ClassSchema(
        "_User",
        {
            "username": FieldSpec("String"),
            "email": FieldSpec("String"),
            "emailVerified": FieldSpec("Boolean"),
            "authData": FieldSpec("Object"),
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
    out = {c.name: c for c in (user, role, session)}
    for c in out.values():
        c.clp = default_clp()
    out["_User"].clp["protectedFields"] = {"*": ["email"]}
    return out

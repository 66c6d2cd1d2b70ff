"""Class-level permissions, exactly as Parse's schema API defines them.

A CLP maps each operation (``get find count create update delete addField``) to the principals
allowed: ``"*"``, a user id, ``"role:Name"``, ``"requiresAuthentication"`` and ``"pointerFields"``.
An operation missing from the CLP is open; ``{}`` means master key only. ``readUserFields`` /
``writeUserFields`` (and an operation's ``pointerFields``) admit a user named in a pointer (or
array of pointers) field of the object — that becomes a filter on the query, never a check after
fetching. ``protectedFields`` is read by :mod:`chartkeep.access.protected`.
"""

from __future__ import annotations

import re
from typing import Any

from chartkeep.context import RequestContext
from chartkeep.errors import Code, ParseError
from chartkeep.schema.model import DEFAULT_FIELDS, ClassSchema

OPERATIONS = ("find", "count", "get", "create", "update", "delete", "addField")
READ_OPERATIONS = frozenset({"get", "find", "count"})
VALID_KEYS = frozenset({*OPERATIONS, "readUserFields", "writeUserFields", "protectedFields"})
USER_ID = re.compile(r"^[A-Za-z0-9]{10}$")
_PERMISSION_KEY = re.compile(r"^(\*|requiresAuthentication|role:.*)$")
_PROTECTED_KEY = re.compile(r"^(\*|authenticated|role:.*|userField:.*)$")


def _denied(op: str, class_name: str) -> ParseError:
    return ParseError(Code.OPERATION_FORBIDDEN, f"Permission denied for action {op} on class {class_name}.")


def _granted(perms: dict[str, Any], ctx: RequestContext) -> bool:
    return perms.get("*") is True or any(perms.get(p) is True for p in ctx.principals())


def pointer_fields(clp: dict[str, Any], op: str) -> list[str]:
    """The user-pointer fields that admit a caller to ``op``: the operation's own
    ``pointerFields`` then the class's ``readUserFields`` / ``writeUserFields``."""
    out = list((clp.get(op) or {}).get("pointerFields") or [])
    group = "readUserFields" if op in READ_OPERATIONS else "writeUserFields"
    out += [f for f in clp.get(group) or [] if f not in out]
    return out


def require(ctx: RequestContext, schema: ClassSchema, op: str, action: str | None = None) -> list[str]:
    """Raise unless the CLP lets this caller attempt ``op``; return the pointer fields that must
    name the caller on each object it touches (empty: no per-object restriction).

    Parse's order: a matching public/user/role grant wins; then ``requiresAuthentication``
    (error 101 for an anonymous caller); then pointer permissions; else 119.
    """
    if ctx.is_master:
        return []
    clp = schema.clp
    perms = clp.get(op)
    if perms is None or _granted(perms, ctx):
        return []
    if perms.get("requiresAuthentication"):
        if ctx.user is None:
            raise ParseError(Code.OBJECT_NOT_FOUND, "Permission denied, user needs to be authenticated.")
        return []
    if op == "create":
        raise _denied(op, schema.name)
    fields = pointer_fields(clp, op)
    if fields and (op != "addField" or action == "update"):
        return fields
    raise _denied(op, schema.name)


# ---- validation of a CLP sent to the schema API -------------------------------------------------


def _js(value: Any) -> str:
    """A value as JavaScript's template strings print it (Parse's messages)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, list):
        return ",".join(_js(v) for v in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


def _invalid(message: str) -> ParseError:
    return ParseError(Code.INVALID_JSON, message)


def _check_pointer_field(name: Any, schema: ClassSchema, where: str) -> None:
    spec = schema.fields.get(name) if isinstance(name, str) else None
    ok = spec is not None and ((spec.type == "Pointer" and spec.target_class == "_User") or spec.type == "Array")
    if not ok:
        raise _invalid(f"'{name}' is not a valid column for class level pointer permissions {where}")


def _check_protected(entities: Any, schema: ClassSchema) -> None:
    if not isinstance(entities, dict):
        raise _invalid(f"'{_js(entities)}' is not a valid value for class level permissions protectedFields - must be an object")
    for entity, names in entities.items():
        if not (_PROTECTED_KEY.match(entity) or USER_ID.match(entity)):
            raise _invalid(f"'{entity}' is not a valid key for class level permissions")
        if not isinstance(names, list):
            raise _invalid(f"'{_js(names)}' is not a valid value for protectedFields[{entity}] - expected an array.")
        for name in names:
            if name in DEFAULT_FIELDS:
                raise _invalid(f"Default field '{name}' can not be protected")
            if name not in schema.fields:
                raise _invalid(f"Field '{name}' in protectedFields:{entity} does not exist")


EMPTY: dict[str, Any] = {op: {} for op in OPERATIONS} | {"protectedFields": {}}


def validate(clp: Any, schema: ClassSchema) -> dict[str, Any]:
    """Parse's ``validateCLP``: the same keys, value shapes and messages (error 107). Returns the
    CLP as Parse stores it: an operation left out is master-only (``{}``)."""
    if not isinstance(clp, dict):
        raise _invalid(f"'{_js(clp)}' is not a valid value for class level permissions - must be an object")
    for key, value in clp.items():
        if key not in VALID_KEYS:
            raise _invalid(f"{key} is not a valid operation for class level permissions")
        if key in ("readUserFields", "writeUserFields"):
            if not isinstance(value, list):
                raise _invalid(f"'{_js(value)}' is not a valid value for class level permissions {key} - must be an array")
            for name in value:
                _check_pointer_field(name, schema, key)
            continue
        if key == "protectedFields":
            _check_protected(value, schema)
            continue
        if not isinstance(value, dict):
            raise _invalid(f"'{_js(value)}' is not a valid value for class level permissions {key} - must be an object")
        for entity, permit in value.items():
            if not (_PERMISSION_KEY.match(entity) or entity == "pointerFields" or USER_ID.match(entity)):
                raise _invalid(f"'{entity}' is not a valid key for class level permissions")
            if entity == "pointerFields":
                if not isinstance(permit, list):
                    raise _invalid(f"'{_js(permit)}' is not a valid value for {key}[{entity}] - expected an array.")
                for name in permit:
                    _check_pointer_field(name, schema, key)
            elif permit is not True:
                raise _invalid(f"'{_js(permit)}' is not a valid value for class level permissions {key}:{entity}:{_js(permit)}")
    return {**EMPTY, **clp}

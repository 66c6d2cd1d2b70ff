"""Parse ACLs ↔ the ``_rperm``/``_wperm`` permission columns, and who may read or write.

An object without an ACL is public (both columns NULL), as in Parse. The master key bypasses ACLs
(``None`` principals means "no guard").
"""

from __future__ import annotations

from typing import Any

from chartkeep.context import RequestContext
from chartkeep.errors import Code, ParseError


def acl_to_perms(acl: Any) -> tuple[list[str], list[str]]:
    """``{"*": {"read": true}, "uid": {"read": true, "write": true}}`` → (rperm, wperm)."""
    if not isinstance(acl, dict):
        raise ParseError(Code.INVALID_ACL, "Invalid ACL.")
    rperm: list[str] = []
    wperm: list[str] = []
    for principal, grant in acl.items():
        if not isinstance(principal, str) or not principal or not isinstance(grant, dict):
            raise ParseError(Code.INVALID_ACL, "Invalid ACL.")
        for perm, allowed in grant.items():
            if perm not in ("read", "write") or not isinstance(allowed, bool):
                raise ParseError(Code.INVALID_ACL, "Invalid ACL.")
            if allowed:
                (rperm if perm == "read" else wperm).append(principal)
    return rperm, wperm


def perms_to_acl(rperm: list[str] | None, wperm: list[str] | None) -> dict[str, dict[str, bool]] | None:
    if rperm is None and wperm is None:
        return None
    acl: dict[str, dict[str, bool]] = {}
    for principal in rperm or []:
        acl.setdefault(principal, {})["read"] = True
    for principal in wperm or []:
        acl.setdefault(principal, {})["write"] = True
    return acl


def read_principals(ctx: RequestContext) -> list[str] | None:
    """Who the caller is when reading: their principals plus read-only grants (break-the-glass)."""
    if ctx.is_master:
        return None
    return [*ctx.principals(), *(f"role:{name}" for name in ctx.read_roles)]


def write_principals(ctx: RequestContext) -> list[str] | None:
    return None if ctx.is_master else ctx.principals()


def can_read(ctx: RequestContext, obj: dict[str, Any]) -> bool:
    principals = read_principals(ctx)
    rperm = obj.get("_rperm")
    return principals is None or rperm is None or any(p in rperm for p in principals)

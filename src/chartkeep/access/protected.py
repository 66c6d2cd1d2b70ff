"""``protectedFields``: which fields of an object a caller may not see, as Parse computes it.

Every entry that applies to the caller (``*``; ``authenticated`` and each ``role:Name`` they hold
when logged in; their own user id) names a set of fields; the caller loses the fields common to
*all* those sets (intersection). ``userField:<pointer>`` entries apply per object: when the
object's pointer (or array of pointers) names the caller, that entry's set joins the intersection.
A ``_User`` never loses fields of their own object, and another user's ``authData`` is never shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chartkeep.context import RequestContext
from chartkeep.errors import Code, ParseError
from chartkeep.schema.model import ClassSchema

USER_FIELD = "userField:"


@dataclass(frozen=True, slots=True)
class Protection:
    """What one caller may not see in one class."""

    base: frozenset[str]
    by_pointer: tuple[tuple[str, frozenset[str]], ...] = ()

    def hidden(self, ctx: RequestContext, obj: dict[str, Any]) -> frozenset[str]:
        if not self.by_pointer or ctx.user_id is None:
            return self.base
        hidden = self.base
        for field, names in self.by_pointer:
            if _names_user(obj.get(field), ctx.user_id):
                hidden = hidden & names
        return hidden


NOTHING = Protection(frozenset())


def _names_user(value: Any, user_id: str) -> bool:
    if isinstance(value, str):  # internal form of a pointer: the target's objectId
        return value == user_id
    if isinstance(value, dict):
        return value.get("objectId") == user_id
    if isinstance(value, list):
        return any(_names_user(v, user_id) for v in value)
    return False


def _intersect(sets: list[frozenset[str]]) -> frozenset[str]:
    if not sets:
        return frozenset()
    out = sets[0]
    for s in sets[1:]:
        out &= s
    return out


def protection(ctx: RequestContext, schema: ClassSchema) -> Protection:
    if ctx.is_master:
        return NOTHING
    rules: dict[str, Any] = schema.clp.get("protectedFields") or {}
    sets: list[frozenset[str]] = []
    by_pointer: list[tuple[str, frozenset[str]]] = []
    for entity, names in rules.items():
        if entity.startswith(USER_FIELD):
            by_pointer.append((entity[len(USER_FIELD):], frozenset(names or ())))
        elif entity == "*" or (
            ctx.user is not None
            and (entity == "authenticated" or entity == ctx.user_id or (entity.startswith("role:") and entity[5:] in ctx.roles))
        ):
            sets.append(frozenset(names or ()))
    base = _intersect(sets)
    if schema.name == "_User":
        base |= {"authData"}
    if not base and not by_pointer:
        return NOTHING
    return Protection(base, tuple(by_pointer))


def hidden_fields(ctx: RequestContext, schema: ClassSchema, obj: dict[str, Any], p: Protection | None = None) -> frozenset[str]:
    if ctx.is_master or (schema.name == "_User" and obj.get("objectId") == ctx.user_id and ctx.user_id):
        return frozenset()
    if p is None:
        cache = ctx.extra.setdefault("protection", {})
        p = cache.get(schema.name)
        if p is None:
            p = cache[schema.name] = protection(ctx, schema)
    return p.hidden(ctx, obj)


def _where_keys(where: Any) -> set[str]:
    keys: set[str] = set()
    if isinstance(where, dict):
        for key, value in where.items():
            if key in ("$or", "$and", "$nor") and isinstance(value, list):
                for sub in value:
                    keys |= _where_keys(sub)
            else:
                keys.add(key.split(".")[0])
    return keys


def deny_protected_query(ctx: RequestContext, schema: ClassSchema, where: dict[str, Any], order: list[str]) -> None:
    """Parse refuses a ``where`` on a protected field (error 119). Chartkeep also looks inside
    ``$or``/``$and``/``$nor`` and at ``order``, which would otherwise reveal the values."""
    if ctx.is_master:
        return
    base = protection(ctx, schema).base
    if schema.name == "_User":
        base = base - {"authData"}  # authData.<provider>.id lookups are Parse's own business
    if not base:
        return
    for key in sorted(_where_keys(where) | {o.lstrip("-").split(".")[0] for o in order}):
        if key in base:
            raise ParseError(Code.OPERATION_FORBIDDEN, f"This user is not allowed to query {key} on class {schema.name}")

"""Who a subscription reads as, decided again at the time of each event.

A subscription reads with its own ``sessionToken`` or, without one, its connection's (Parse's
rule), or as the master key when the connection proved it. At each event the token is looked up
again through the same session and role caches REST uses (``auth``), so a logout, a revoked
session, an idle or expired session (events do not count as a use of it), a care-team change or an expired break-the-glass grant takes effect for live events as
it does for queries. A token that no longer names a live session reads as nobody (public only).

What a viewer may see of one object is decided by the same code REST compiles into SQL: the read
guard of ``access.guards`` (ACL ∧ the CLP's operation and pointer permissions) evaluated with the
in-memory matcher, and ``access.protected`` for the fields to strip.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chartkeep.access.guards import read_guard
from chartkeep.access.protected import Protection, hidden_fields, protection
from chartkeep.auth.roles import user_roles
from chartkeep.auth.sessions import user_for_token
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.errors import ParseError
from chartkeep.query import ir
from chartkeep.query.matcher import matches
from chartkeep.schema.model import ClassSchema

_DENIED = object()


@dataclass(frozen=True, slots=True)
class Identity:
    """The credentials a subscription reads with (hashable: subscriptions sharing it share work)."""

    app_id: str
    session_token: str | None = None
    is_master: bool = False


@dataclass(slots=True)
class Access:
    """One identity's view of one class for one event: the guard and the protection."""

    ctx: RequestContext
    guard: Any  # ir.Node | None (master) | _DENIED
    protection: Protection | None

    def readable(self, row: dict[str, Any] | None) -> bool:
        if row is None or self.guard is _DENIED:
            return False
        return self.guard is None or matches(self.guard, row)

    def hidden(self, schema: ClassSchema, row: dict[str, Any]) -> frozenset[str]:
        if self.protection is None:
            return frozenset()
        return hidden_fields(self.ctx, schema, row, self.protection)


async def context_for(core: Core, identity: Identity) -> RequestContext:
    ctx = RequestContext(app_id=identity.app_id, is_master=identity.is_master)
    if identity.is_master or identity.session_token is None:
        return ctx
    try:
        user = await user_for_token(core, identity.session_token, touch=False)  # an event is not a use
    except ParseError:
        return ctx  # the session ended: the subscription now reads as nobody
    roles = await user_roles(core, user["objectId"])
    ctx.user, ctx.session_token = user, identity.session_token
    ctx.roles, ctx.read_roles = roles.names, roles.read_names
    return ctx


@dataclass(slots=True)
class EventAccess:
    """Access decisions for one event, shared by every subscription with the same identity."""

    core: Core
    schema: ClassSchema
    _by_key: dict[tuple[Identity, str], Access] = field(default_factory=dict)

    async def get(self, identity: Identity, op: str) -> Access:
        key = (identity, op)
        found = self._by_key.get(key)
        if found is None:
            ctx = await context_for(self.core, identity)
            found = self._by_key[key] = access_for(self.core, ctx, self.schema, op)
        return found


def access_for(core: Core, ctx: RequestContext, schema: ClassSchema, op: str) -> Access:
    try:
        guard: Any = read_guard(ctx, schema, op, core.registry)
    except ParseError:
        guard = _DENIED  # the CLP refuses this operation to this caller: no events at all
    prot = None if ctx.is_master else protection(ctx, schema)
    return Access(ctx, guard, prot)


def needs_other_rows(node: ir.Node) -> bool:
    """A guard or query the matcher cannot decide from the object alone."""
    return next(ir.unresolved(node), None) is not None

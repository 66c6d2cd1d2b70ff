"""Applying for a clinical role at sign-up (the behavioral-health seed's "sign-up for patients and
providers"), held until an administrator decides.

A client signing itself up with a role listed in ``signup_applicant_roles`` (default ``provider``)
and not in ``signup_roles`` gets an account at once, but as an *applicant*: ``role`` is
``applicant`` (a role no ``_Role`` and no class-level permission names), ``requestedRole`` the role
asked for, ``applicationStatus`` ``pending``, and an ACL private to the account and admins. The
account logs in and reads itself, and nothing else of the clinic. The sign-up's ledger entries are
the ``create`` of the user and a ``role_application`` entry (the new account as actor) naming the
role requested.

``requestedRole`` and ``applicationStatus`` are the server's: a client other than an admin writing
them gets 119. The decision is the Cloud function ``decideRoleApplication``
(accounts/role_decisions.py).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from chartkeep.access.principals import ADMIN
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.core.hooks import Hooks, WriteEvent
from chartkeep.errors import Code, ParseError
from chartkeep.ledger import entries as ledger

APPLICANT = "applicant"
FIELDS = ("requestedRole", "applicationStatus")
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


@dataclass(frozen=True, slots=True)
class Application:
    role: str


def administers(ctx: RequestContext) -> bool:
    return ctx.is_master or ADMIN in ctx.principals()


def may_apply(core: Core, role: object) -> bool:
    return isinstance(role, str) and role in core.settings.signup_applicant_roles


def hold(event: WriteEvent, role: str) -> None:
    """Turn a sign-up asking for ``role`` into an application: the account holds ``applicant``."""
    event.values.update({"role": APPLICANT, "requestedRole": role, "applicationStatus": PENDING,
                         "_rperm": [event.object_id, ADMIN], "_wperm": [event.object_id, ADMIN]})
    event.carry(Application(role))


async def fields_are_the_servers(core: Core, event: WriteEvent) -> None:
    if administers(event.ctx):
        return
    for name in FIELDS:
        if name in event.body:
            raise ParseError(Code.OPERATION_FORBIDDEN,
                             f"Permission denied: {name} is set by the server (a role application and its decision).")


async def record_application(core: Core, event: WriteEvent) -> None:
    found = event.carried(Application)
    if found is None:
        return
    applicant = dataclasses.replace(event.ctx, user={"objectId": event.object_id})  # the actor: the new account
    await ledger.record(core, event.conn, [ledger.entry(
        applicant, "role_application", target_class="_User", target_id=event.object_id,
        details=f"applied at sign-up for the role {found.role}; holds no clinical role until an administrator decides",
        metadata={"requestedRole": found.role, "applicationStatus": PENDING})])


def register(hooks: Hooks[Core]) -> None:
    hooks.add("before_save", "_User", fields_are_the_servers)
    hooks.add("after_save", "_User", record_application)

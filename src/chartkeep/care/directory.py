"""``ProviderProfile`` (the seed prompt's fifth class): a clinician's entry in the provider directory.

* Every logged-in user reads the directory (class-level ``requiresAuthentication``): patients see
  who their providers are, staff find colleagues. Anonymous callers get 101.
* A profile belongs to one clinician account (``user``: physician, nurse, scribe or provider —
  142 otherwise), at most one per account (137), and ``user`` never changes (142).
* A clinician opens and edits only their own profile; an admin (or the master key) any (119).
* The ACL is the server's: readable by every logged-in user, written by its clinician and admins.
"""

from __future__ import annotations

from chartkeep.accounts.seed_roles import CLINICAL, user_role
from chartkeep.care.team import ADMIN
from chartkeep.core.handles import Core
from chartkeep.core.hooks import Hooks, WriteEvent
from chartkeep.errors import Code, ParseError
from chartkeep.storage import rows

PROVIDERS = "ProviderProfile"


async def provider_before_save(core: Core, event: WriteEvent) -> None:
    ctx = event.ctx
    if not event.is_new:
        if "ACL" in event.body and not ctx.is_master:
            raise ParseError(Code.OPERATION_FORBIDDEN, "The ACL of a ProviderProfile is set by the server.")
        current = await event.load_current()
        if current is not None and "user" in event.values and event.values["user"] != current.get("user"):
            raise ParseError(Code.VALIDATION_ERROR, "user cannot be changed once set")
        return
    user = event.values.get("user")
    staff = ctx.is_master or ADMIN in ctx.principals()
    if not staff and user != ctx.user_id:
        raise ParseError(Code.OPERATION_FORBIDDEN, "Permission denied: a clinician opens only their own ProviderProfile.")
    if await user_role(event.conn, user) not in CLINICAL:
        raise ParseError(Code.VALIDATION_ERROR,
                         f"A ProviderProfile is for a clinician account ({', '.join(CLINICAL)}).")
    if await rows.count_by(event.conn, PROVIDERS, "user", str(user)):  # a clinician's, so not None
        raise ParseError(Code.DUPLICATE_VALUE, "A duplicate value for a field with unique values was provided")
    if not (ctx.is_master and "ACL" in event.body):
        event.values["_rperm"], event.values["_wperm"] = ["*"], sorted({user, ADMIN})


def register(hooks: Hooks[Core]) -> None:
    hooks.add("before_save", PROVIDERS, provider_before_save)

"""The account rules around a ``_User`` write (sign-up, update), planned before the write and
applied inside its transaction:

    plan:  email_verified_is_server_owned → password_policy → auth_data (MFA) → verification_needed
    apply: store/remove the MFA secret → void reset links (password or email changed)
           → mail a verification link (after commit)

Parse's order and texts (src/RestWrite.js checkRestrictedFields, transformUser, _validateEmail):
119 ``Clients aren't allowed to manually update email verification.``; the policy's 142s; a new or
changed email with ``verifyUserEmails`` sets ``emailVerified: false`` and sends the link.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chartkeep.accounts import email_verification, mfa, tokens
from chartkeep.accounts.password_policy import check_password
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.errors import Code, ParseError
from chartkeep.storage import rows
from chartkeep.storage.database import Conn, use


@dataclass(slots=True)
class AccountPlan:
    auth_data: mfa.AuthDataChange | None = None
    send_verification: bool = False
    void_reset_links: bool = False
    response: dict[str, Any] = field(default_factory=dict)

    async def apply(self, core: Core, conn: Conn, ctx: RequestContext, user_id: str) -> None:
        if self.auth_data is not None:
            await self.auth_data.apply(conn, user_id)
        if self.void_reset_links:
            await tokens.void(conn, tokens.RESET, user_id)
        if self.send_verification:
            user = await rows.field_values(conn, "_User", user_id, ("username", "email"))
            if user is not None and user["email"]:
                await email_verification.send_link(core, conn, ctx, user_id, user["username"], user["email"])


def email_verified_is_server_owned(ctx: RequestContext, body: dict[str, Any]) -> None:
    if "emailVerified" in body and not ctx.is_master:
        raise ParseError(Code.OPERATION_FORBIDDEN, "Clients aren't allowed to manually update email verification.")


async def _plan_auth_data(
    ctx: RequestContext, conn: Conn, user_id: str | None, body: dict[str, Any]
) -> mfa.AuthDataChange:
    """``body.authData`` becomes what reads show; the secret goes to the plan, never the row."""
    change = await mfa.plan_auth_data(ctx, conn, user_id, body["authData"])
    body["authData"] = change.visible
    return change


def _verification_needed(core: Core, body: dict[str, Any]) -> bool:
    email = body.get("email")
    if not email_verification.required(core) or not isinstance(email, str) or not email:
        return False
    body["emailVerified"] = False
    return True


async def plan_sign_up(
    core: Core, ctx: RequestContext, body: dict[str, Any], password: str, conn: Conn | None = None
) -> AccountPlan:
    """Check and adjust a sign-up ``body`` (password already taken out of it)."""
    plan = AccountPlan()
    email_verified_is_server_owned(ctx, body)
    username = body.get("username")
    check_password(core.settings, password, username if isinstance(username, str) else None)
    if "authData" in body:
        async with use(core.db, conn) as c:
            plan.auth_data = await _plan_auth_data(ctx, c, None, body)
        plan.response = {"authDataResponse": plan.auth_data.response} if plan.auth_data.response else {}
    plan.send_verification = _verification_needed(core, body)
    return plan


def sign_up_opens_session(core: Core) -> bool:
    """Parse gives no session at sign-up while the email must be verified before login."""
    return not email_verification.blocks_login(core)


async def check_new_password(
    core: Core, user_id: str, password: str, new_username: Any, conn: Conn | None = None
) -> None:
    """The policy for a password change: against the new username, else the stored one."""
    username = new_username if isinstance(new_username, str) else None
    if username is None and core.settings.password_disallow_username:
        async with use(core.db, conn) as c:
            username = await rows.field_value(c, "_User", user_id, "username")
    check_password(core.settings, password, username)


async def plan_update(
    core: Core, ctx: RequestContext, user_id: str, body: dict[str, Any], password_changed: bool,
    conn: Conn | None = None,
) -> AccountPlan:
    """Check and adjust an update ``body`` (the new password, if any, already checked)."""
    plan = AccountPlan()
    email_verified_is_server_owned(ctx, body)
    if "authData" in body:
        async with use(core.db, conn, write=True) as c:  # checking an old MFA code may spend it
            plan.auth_data = await _plan_auth_data(ctx, c, user_id, body)
        plan.response = {"authDataResponse": plan.auth_data.response} if plan.auth_data.response else {}
    plan.void_reset_links = password_changed or "email" in body
    plan.send_verification = _verification_needed(core, body)
    return plan


async def forget_user(conn: Conn, user_id: str) -> None:
    """A deleted user's MFA secret and outstanding links go with it."""
    await mfa.forget(conn, user_id)
    await tokens.void(conn, None, user_id)

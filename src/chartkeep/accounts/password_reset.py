"""Password reset: ``POST /requestPasswordReset`` mails a single-use link; the pages route
``POST /apps/:appId/request_password_reset`` sets the new password and ends every session.

Parse's texts (src/Routers/UsersRouter.js handleResetRequest, src/Controllers/UserController.js,
src/Routers/PublicAPIRouter.js resetPassword): 204 ``you must provide an email``, 125 ``you must
provide a valid email string``; an unknown email answers ``{}`` (``resetPasswordSuccessOnInvalidEmail``,
default true) or 101 ``A user with that email does not exist.``; using the link: 200 ``Missing
username``, -1 ``Missing token``, 201 ``Missing password``, and every failure of the reset itself
(bad or used token, expired link, password policy) as -1 with the reason, as Parse's pages route.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote as urlquote

from chartkeep.accounts import lockout, tokens
from chartkeep.accounts.email_verification import check_email_param
from chartkeep.accounts.mail import Mail, link_base, send_after_commit
from chartkeep.accounts.password_policy import check_password
from chartkeep.accounts.passwords import hash_password
from chartkeep.accounts.sessions import revoke_user_sessions
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.errors import Code, ParseError
from chartkeep.records import commit
from chartkeep.storage.queries import users

INVALID = "Failed to reset password: username / email / token is invalid"
EXPIRED = "The password reset link has expired"


async def request_password_reset(core: Core, ctx: RequestContext, body: dict[str, Any]) -> dict[str, Any]:
    email = check_email_param(body)
    settings = core.settings
    async with core.db.transaction() as tx:
        user = await users.for_password_reset(tx, email)
        if user is None:
            if settings.reset_password_success_on_invalid_email:
                return {}
            raise ParseError(Code.OBJECT_NOT_FOUND, "A user with that email does not exist.")
        token = await tokens.issue(
            core, tx, ctx, tokens.RESET, user["objectId"], settings.password_reset_token_validity
        )
        username = user["username"]
        link = (
            f"{link_base(settings)}/apps/{urlquote(settings.app_id, safe='')}/request_password_reset"
            f"?token={urlquote(token, safe='')}&username={urlquote(username, safe='')}"
        )
        text = (
            f"Hi,\n\nYou requested to reset your password for {settings.app_name} "
            f"(your username is '{username}').\n\nClick here to reset it:\n{link}"
        )
        mail = Mail(user["email"] or username, f"Password Reset for {settings.app_name}", text)
        send_after_commit(core, tx, mail)
    return {}


def check_reset_params(username: Any, token: Any, new_password: Any) -> None:
    if not username:
        raise ParseError(Code.USERNAME_MISSING, "Missing username")
    if not token:
        raise ParseError(Code.OTHER_CAUSE, "Missing token")
    if not new_password:
        raise ParseError(Code.PASSWORD_MISSING, "Missing password")


async def reset_password(core: Core, ctx: RequestContext, username: Any, token: Any, new_password: Any) -> None:
    """Set the password a reset link was sent for; the link is spent and every session ends. The
    ledger entry (``password_reset``, on the user, by the user: the link's holder acts as them)
    names the password, never its hash."""
    check_reset_params(username, token, new_password)
    if not (isinstance(username, str) and isinstance(token, str)):
        raise ParseError(Code.OTHER_CAUSE, INVALID)
    schema = core.registry.get("_User")
    assert schema is not None
    async with core.db.transaction() as tx:
        found = await tokens.find(tx, tokens.RESET, token, username)
        if found is None:
            raise ParseError(Code.OTHER_CAUSE, INVALID)
        if found.expired:
            raise ParseError(Code.OTHER_CAUSE, EXPIRED)
        if not isinstance(new_password, str):
            raise ParseError(Code.OTHER_CAUSE, "password must be a string")
        try:
            check_password(core.settings, new_password, username)
        except ParseError as exc:
            raise ParseError(Code.OTHER_CAUSE, exc.message) from None
        changes = {"_hashed_password": await hash_password(new_password)}
        acting = RequestContext(ctx.app_id, user={"objectId": found.user_id}, client_ip=ctx.client_ip)
        await commit.server_update(core, tx, acting, "_User", found.user_id, changes, event="password_reset",
                                   why="password set through a reset link; every session ended")
        await tokens.void(tx, tokens.RESET, found.user_id)
        await revoke_user_sessions(core, tx, found.user_id)
        if core.settings.account_lockout_unlock_on_password_reset:
            await lockout.reset(core, lockout.lockout_key(found.user_id, username), tx)


async def reset_link_valid(core: Core, username: str, token: str) -> bool:
    """Whether a reset link may still be used (Parse's checkResetTokenValidity), for the form page."""
    async with core.db.read() as conn:
        found = await tokens.find(conn, tokens.RESET, token, username)
    return found is not None and not found.expired

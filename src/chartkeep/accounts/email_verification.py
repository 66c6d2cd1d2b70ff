"""Email verification (Parse's ``verifyUserEmails``): a link mailed at sign-up / email change,
``POST /verificationEmailRequest`` to send it again, ``GET /apps/:appId/verify_email`` to use it.

Parse's texts (src/Controllers/UserController.js defaultVerificationEmail, src/Routers/UsersRouter.js
handleVerificationEmailRequest): 204 ``you must provide an email``, 125 ``you must provide a valid
email string``, 205 ``No user found with email <email>``, -1 ``Email <email> is already verified.``
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote as urlquote

from chartkeep.accounts import tokens
from chartkeep.accounts.mail import Mail, link_base, send_after_commit
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.errors import Code, ParseError
from chartkeep.records import commit
from chartkeep.storage.database import Conn
from chartkeep.storage.queries import users


def required(core: Core) -> bool:
    return core.settings.verify_user_emails


def blocks_login(core: Core) -> bool:
    """Parse: both ``verifyUserEmails`` and ``preventLoginWithUnverifiedEmail`` are on."""
    return core.settings.verify_user_emails and core.settings.prevent_login_with_unverified_email


def check_email_param(body: dict[str, Any]) -> str:
    email = body.get("email")
    if not email:
        raise ParseError(Code.EMAIL_MISSING, "you must provide an email")
    if not isinstance(email, str):
        raise ParseError(Code.INVALID_EMAIL_ADDRESS, "you must provide a valid email string")
    return email


async def send_link(core: Core, conn: Conn, ctx: RequestContext, user_id: str, username: str, email: str) -> None:
    """A fresh token for the user and the mail that carries it (sent after commit)."""
    settings = core.settings
    token = await tokens.issue(core, conn, ctx, tokens.VERIFY, user_id,
                                       settings.email_verify_token_validity)
    link = (
        f"{link_base(settings)}/apps/{urlquote(settings.app_id, safe='')}/verify_email"
        f"?token={urlquote(token, safe='')}&username={urlquote(username, safe='')}"
    )
    text = (
        f"Hi,\n\nYou are being asked to confirm the e-mail address {email} with {settings.app_name}\n\n"
        f"Click here to confirm it:\n{link}"
    )
    send_after_commit(core, conn, Mail(email, f"Please verify your e-mail for {settings.app_name}", text))


async def request_verification_email(core: Core, ctx: RequestContext, body: dict[str, Any]) -> dict[str, Any]:
    email = check_email_param(body)
    async with core.db.transaction() as tx:
        user = await users.with_email(tx, email)
        if user is None:
            raise ParseError(Code.EMAIL_NOT_FOUND, f"No user found with email {email}")
        if user["emailVerified"]:
            raise ParseError(Code.OTHER_CAUSE, f"Email {email} is already verified.")
        if required(core):
            await send_link(core, tx, ctx, user["objectId"], user["username"], user["email"])
    return {}


async def verify_email(core: Core, ctx: RequestContext, username: str, token: str) -> bool:
    """Use a verification link: True when it was valid (the email is now verified, an ``update`` of
    the user by the user: the link's holder acts as them)."""
    if not required(core):
        return False
    schema = core.registry.get("_User")
    assert schema is not None
    async with core.db.transaction() as tx:
        found = await tokens.find(tx, tokens.VERIFY, token, username)
        if found is None or found.expired:
            return False
        acting = RequestContext(ctx.app_id, user={"objectId": found.user_id}, client_ip=ctx.client_ip)
        await commit.server_update(core, tx, acting, "_User", found.user_id, {"emailVerified": True},
                                   why="email verified through a mailed link")
        await tokens.void(tx, tokens.VERIFY, found.user_id)
    return True

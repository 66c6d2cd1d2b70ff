"""``invitePatient``: a provider brings a patient into the portal.

Params: ``email`` and either the fields of a new ``PatientProfile`` (``medicalRecordNumber``,
``displayName``, optional ``dateOfBirth``, ``primaryClinic``, ``contact``, ``patientHistory``) or
an existing ``patientProfile``. In one transaction:

* a new profile: a ``_User`` is created — username and email the given address, role
  ``patient``, a password nobody knows — and the profile (``isActive: true``) linked to it by
  ``user``, written with the caller's own session, so the class-level permission (physician,
  nurse, provider, admin: 119 otherwise) and the care-team rules apply and the inviting clinician
  joins the care team; an address already in use is 203;
* an existing profile: the caller must be on its care team (or an admin); its account must be a
  ``patient`` account with this address (or none yet: the address is set), and the profile active.

Then a single-use link to choose a password (the password-reset page, valid
``portal_invite_token_validity`` seconds) and the same token as an invitation code, for signing up
in the app (accounts/invited_sign_up.py), are mailed once the transaction commits, and an
``invite`` ledger entry names the patient. The link is never returned to the caller.
"""

from __future__ import annotations

import dataclasses
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import quote as urlquote

from chartkeep.accounts import tokens
from chartkeep.accounts.mail import Mail, link_base, send_after_commit
from chartkeep.accounts.passwords import hash_password
from chartkeep.accounts.user_roles import default_user_acl
from chartkeep.accounts.users import EMAIL_RE
from chartkeep.care.team import require_team
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.core.hooks import Hooks
from chartkeep.errors import Code, ParseError
from chartkeep.ledger import entries
from chartkeep.records import commit, reads, writes
from chartkeep.records.cloud_values import as_object, object_id, pointer, require_user
from chartkeep.schema.dates import iso_ms, now_ms
from chartkeep.schema.ids import new_object_id
from chartkeep.storage import rows
from chartkeep.storage.database import Conn
from chartkeep.storage.queries import users

PROFILE = "PatientProfile"
PROFILE_FIELDS = ("medicalRecordNumber", "displayName", "dateOfBirth", "primaryClinic", "contact", "patientHistory")


def _email(params: dict[str, Any]) -> str | None:
    email = params.get("email")
    if email is None:
        return None
    if not isinstance(email, str) or not EMAIL_RE.match(email):
        raise ParseError(Code.INVALID_EMAIL_ADDRESS, "Email address format is invalid.")
    return email.strip().lower()


async def _new_account(core: Core, ctx: RequestContext, tx: Conn, email: str) -> str:
    """The patient's ``_User``, created in the inviting clinician's name (the ledger's actor). Only
    administrators assign roles, so this one server-built write runs with the admin role added."""
    if await users.holding_address(tx, email):
        raise ParseError(Code.EMAIL_TAKEN, "Account already exists for this email address.")
    user_id = new_object_id()
    body: dict[str, Any] = {"username": email, "email": email, "role": "patient",
                            "ACL": default_user_acl(user_id, "patient")}
    if core.settings.verify_user_emails:
        body["emailVerified"] = True  # only the emailed link opens the account: using it proves the address
    acting = dataclasses.replace(ctx, roles=tuple(sorted({*ctx.roles, "admin"})), extra={})
    unusable = await hash_password(secrets.token_urlsafe(32))
    await writes.create(core, acting, "_User", body, tx, hidden={"_hashed_password": unusable}, assign_id=user_id)
    return user_id


async def _existing(core: Core, ctx: RequestContext, tx: Conn, profile_id: str, email: str | None
                    ) -> tuple[dict[str, Any], str, str]:
    profile = await reads.get(core, ctx, PROFILE, profile_id, {}, tx)
    require_team(ctx, PROFILE, profile_id)
    if not profile.get("isActive"):
        raise ParseError(Code.VALIDATION_ERROR, "Portal access is off for this profile (isActive is false).")
    user_id = profile["user"]["objectId"]
    user = await rows.field_values(tx, "_User", user_id, ("email", "role"))
    if user is None or user["role"] != "patient":
        raise ParseError(Code.VALIDATION_ERROR, "The profile's account is not a patient account.")
    if user["email"]:
        if email is not None and email != user["email"].lower():
            raise ParseError(Code.VALIDATION_ERROR, "The patient's account has another email address.")
        return profile, user_id, user["email"]
    if email is None:
        raise ParseError(Code.EMAIL_MISSING, "email is required: the patient's account has none")
    if await users.holding_address(tx, email):
        raise ParseError(Code.EMAIL_TAKEN, "Account already exists for this email address.")
    await commit.server_update(core, tx, ctx, "_User", user_id, {"email": email},
                               why="the address a portal invitation is mailed to")
    return profile, user_id, email


def _mail(core: Core, tx: Conn, username: str, email: str, name: str, token: str, inviter: str) -> None:
    settings = core.settings
    link = (f"{link_base(settings)}/apps/{urlquote(settings.app_id, safe='')}/request_password_reset"
            f"?token={urlquote(token, safe='')}&username={urlquote(username, safe='')}")
    days = max(1, round(settings.portal_invite_token_validity / 86400))
    text = (f"Hi {name},\n\n{inviter} invited you to the patient portal of {settings.app_name}.\n"
            f"Your username is '{username}'. Choose your password here (the link works once, for "
            f"{days} day{'s' if days != 1 else ''}):\n{link}\n\n"
            f"Or sign up in the app with your username and this invitation code (it works once too):\n{token}")
    send_after_commit(core, tx, Mail(email, f"Your invitation to {settings.app_name}", text))


async def invite_patient(core: Core, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    me = require_user(ctx, "invitePatient")
    email = _email(params)
    profile_id = object_id(params, "patientProfile", PROFILE, required=False)
    async with core.db.transaction() as tx:
        if profile_id is None:
            if email is None:
                raise ParseError(Code.EMAIL_MISSING, "email is required")
            user_id = await _new_account(core, ctx, tx, email)
            body = {k: params[k] for k in PROFILE_FIELDS if params.get(k) is not None}
            body.update({"user": pointer("_User", user_id), "isActive": True})
            profile_id = str((await writes.create(core, ctx, PROFILE, body, tx))["objectId"])
            profile = await reads.get(core, ctx, PROFILE, profile_id, {}, tx)
        else:
            profile, user_id, email = await _existing(core, ctx, tx, profile_id, email)
        username = await rows.field_value(tx, "_User", user_id, "username")
        validity = core.settings.portal_invite_token_validity
        token = await tokens.issue(core, tx, ctx, tokens.RESET, user_id, validity, "a portal invitation")
        inviter = (ctx.user or {}).get("displayName") or (ctx.user or {}).get("username") or "Your care team"
        _mail(core, tx, username, email, profile.get("displayName") or username, token, inviter)
        expires = now_ms() + timedelta(seconds=validity)
        await entries.record(core, tx, [entries.entry(
            ctx, "invite", target_class="_User", target_id=user_id, patient=profile_id, patient_class=PROFILE,
            details=f"Patient portal invitation mailed to {email}",
            metadata={"email": email, "invitedBy": me})])
    return {"patientProfile": as_object(PROFILE, profile), "user": pointer("_User", user_id),
            "invitationSentTo": email,
            "expiresAt": {"__type": "Date", "iso": iso_ms(expires)}}


def register(hooks: Hooks[Core]) -> None:
    hooks.define("invitePatient", invite_patient)

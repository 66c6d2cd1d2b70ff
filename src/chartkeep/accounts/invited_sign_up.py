"""Signing up with a portal invitation: the patient takes over the account a clinician's
``invitePatient`` made for them, already linked to their ``PatientProfile``.

``POST /users`` (the SDK's ``signUp``) with ``invitationToken`` — the token of the invitation mail's
link — and ``username`` the invited address (the mail names it): instead of a new account, the
invited one gets the password chosen here, and the answer is Parse's sign-up answer for that
account (``objectId``, ``createdAt``, ``sessionToken``), so the app finds the profile with
``PatientProfile where user = me`` as the seed's flow does. Other fields sent (``displayName``…)
are written as the patient's own update, under the rules of any update of one's user
(``emailVerified`` 119, ``authData`` as MFA enrolment); ``email``, if sent, must be the invited
address, and ``role``, if sent, ``patient``.

In one transaction: the user update (by the patient: the ledger's ``update`` entry names the
fields, never the password), the link spent, an ``invite_accepted`` entry, the session. A token
that is unknown, spent, expired, for another username or not for a patient account is 142
``The portal invitation is invalid or has expired.``, and nothing changes.
"""

from __future__ import annotations

from typing import Any

from chartkeep.accounts import tokens, user_rules
from chartkeep.accounts.password_policy import check_password
from chartkeep.accounts.passwords import hash_password
from chartkeep.accounts.sessions import create_session
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.errors import Code, ParseError
from chartkeep.ledger import entries as ledger
from chartkeep.records import reads, writes
from chartkeep.storage import rows
from chartkeep.storage.database import Conn, use

FIELD = "invitationToken"
INVALID = "The portal invitation is invalid or has expired."
PATIENT = "patient"


def _check_body(body: dict[str, Any], email: Any) -> None:
    sent = body.pop("email", None)
    if sent is not None and (not isinstance(sent, str) or sent.strip().lower() != str(email or "").lower()):
        raise ParseError(Code.VALIDATION_ERROR, "email must be the address the invitation was sent to")
    role = body.pop("role", PATIENT)
    if role != PATIENT:
        raise ParseError(Code.VALIDATION_ERROR, "A portal invitation opens a patient account: role must be patient.")


async def accept(core: Core, ctx: RequestContext, body: dict[str, Any], password: str,
                 conn: Conn | None = None) -> dict[str, Any]:
    """``body``: the sign-up body without the password, holding ``invitationToken`` and ``username``."""
    body = dict(body)
    token, username = body.pop(FIELD), body.pop("username")
    if not isinstance(token, str) or not token:
        raise ParseError(Code.VALIDATION_ERROR, INVALID)
    check_password(core.settings, password, username)
    hashed = await hash_password(password)
    async with use(core.db, conn, write=True) as tx:
        found = await tokens.find(tx, tokens.RESET, token, username)
        if found is None or found.expired:
            raise ParseError(Code.VALIDATION_ERROR, INVALID)
        user = await rows.field_values(tx, "_User", found.user_id, ("email", "role"))
        if user is None or user["role"] != PATIENT:
            raise ParseError(Code.VALIDATION_ERROR, INVALID)
        _check_body(body, user["email"])
        patient = RequestContext(ctx.app_id, user={"objectId": found.user_id}, client_ip=ctx.client_ip,
                                 installation_id=ctx.installation_id)
        # the account rules of any update of one's user (emailVerified, authData/MFA); the new
        # password voids the reset links, the invitation's included
        plan = await user_rules.plan_update(core, patient, found.user_id, body, True, tx)
        await writes.update(core, patient, "_User", found.user_id, body, tx, hidden={"_hashed_password": hashed})
        await plan.apply(core, tx, patient, found.user_id)
        await ledger.record(core, tx, [ledger.entry(
            patient, "invite_accepted", target_class="_User", target_id=found.user_id,
            details="the invited patient signed up with the portal invitation and chose a password")])
        session = await create_session(core, tx, found.user_id, "signup", ctx.installation_id)
        shown = await reads.get(core, patient, "_User", found.user_id, {"keys": "objectId"}, tx)
    return {"objectId": found.user_id, "createdAt": shown["createdAt"], "sessionToken": session}

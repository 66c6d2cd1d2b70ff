"""Authorization codes, access tokens and refresh tokens of SMART apps (RFC 6749, PKCE RFC 7636,
revocation RFC 7009), stored as SHA-256 digests in ``_SmartToken``.

One consent starts a *family*: its code, the access and refresh tokens the code is exchanged for,
and every pair a refresh rotates to. A code and a refresh token are single-use; presenting one a
second time revokes the whole family (a replay means it leaked). Revoking any token of a family
revokes the family. Each issue, use, rotation and revocation is a ledger entry on the row it
changed (``smart_grant``, ``smart_token``, ``smart_refresh``, ``smart_revoke``); each refusal a
``smart_refused`` entry with outcome ``failure``. No entry carries a token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

from chartkeep.audit.entry import FAILURE, Entry
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.fhir.smart import scopes
from chartkeep.fhir.smart.clients import Client
from chartkeep.fhir.values import parse_patient
from chartkeep.ledger import entries as ledger
from chartkeep.schema.ids import new_object_id, token_digest
from chartkeep.storage.database import Conn
from chartkeep.storage.queries import smart as table

CODE_SECONDS = 60
ACCESS_SECONDS = 3600
REFRESH_SECONDS = 30 * 24 * 3600
ACCESS_PREFIX = "smart-at."  # tells an access token from a session token without a lookup
REFRESH_PREFIX = "smart-rt."


class OAuthError(Exception):
    """An OAuth error answer: ``{"error": …, "error_description": …}`` with its HTTP status."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


@dataclass(frozen=True, slots=True)
class Grant:
    """What an access token allows: the user, the app, the granted scopes, the launch patient."""

    user_id: str
    client_id: str
    scopes: tuple[str, ...]
    patient: str | None

    @property
    def patient_only(self) -> bool:
        return scopes.USER_READ not in self.scopes


def challenge_of(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def acting(core: Core, user_id: str | None, ip: str | None) -> RequestContext:
    return RequestContext(core.settings.app_id, user={"objectId": user_id} if user_id else None, client_ip=ip)


def _entry(ctx: RequestContext, event: str, row_id: str, details: str, client_id: str,
           patient: str | None = None) -> Entry:
    chart = parse_patient(patient) if patient else None  # the launch patient's chart names the entry too
    e = ledger.entry(ctx, event, target_class="_SmartToken", target_id=row_id, details=details,
                     patient_class=chart[0] if chart else None, patient=chart[1] if chart else None)
    e.metadata = {**(e.metadata or {}), "client": client_id, **({"launchPatient": patient} if patient else {})}
    return e


async def refused(core: Core, ctx: RequestContext, error: OAuthError, client_id: str | None,
                  what: str) -> None:
    e = ledger.entry(ctx, "smart_refused", target_class="_SmartToken", outcome=FAILURE,
                     details=f"{what}: {error.error}: {error.description}")
    e.metadata = {**(e.metadata or {}), **({"client": client_id} if client_id else {})}
    await core.ledger.append([e])


async def _insert(tx: Conn, kind: str, token: str, client_id: str, user_id: str, scope: str, patient: str | None,
                  family: str, seconds: int, challenge: str | None = None, redirect_uri: str | None = None) -> str:
    row_id = new_object_id()
    await table.insert_token(tx, {"objectId": row_id, "digest": token_digest(token), "kind": kind,
                                  "client": client_id, "user": user_id, "scope": scope, "patient": patient,
                                  "challenge": challenge, "redirectUri": redirect_uri, "family": family,
                                  "expiresAt": time.time() + seconds})
    return row_id


async def issue_code(core: Core, ctx: RequestContext, client: Client, redirect_uri: str, granted: list[str],
                     patient: str | None, challenge: str) -> str:
    """The consent's authorization code (single use, ``CODE_SECONDS``), bound to the PKCE challenge
    and the exact redirect URI; the ``smart_grant`` entry names the app, scopes and patient."""
    assert ctx.user_id is not None
    code = secrets.token_urlsafe(32)
    family = new_object_id(16)
    async with core.db.transaction() as tx:
        row_id = await _insert(tx, "code", code, client.client_id, ctx.user_id, " ".join(granted), patient, family,
                               CODE_SECONDS, challenge, redirect_uri)
        await ledger.record(core, tx, [_entry(ctx, "smart_grant", row_id, f"authorized {client.name!r}: "
                                              f"{' '.join(granted)}", client.client_id, patient)])
    return code


async def _pair(core: Core, tx: Conn, ctx: RequestContext, row: Any, event: str) -> tuple[dict[str, Any], list[Entry]]:
    """A new access token (and refresh token with ``offline_access``) of the row's family."""
    granted = scopes.split(row["scope"])
    access = ACCESS_PREFIX + secrets.token_urlsafe(32)
    entries = []
    access_id = await _insert(tx, "access", access, row["client"], row["user"], row["scope"], row["patient"],
                              row["family"], ACCESS_SECONDS)
    entries.append(_entry(ctx, event, access_id, "access token issued", row["client"], row["patient"]))
    out: dict[str, Any] = {"access_token": access, "token_type": "Bearer", "expires_in": ACCESS_SECONDS,
                           "scope": row["scope"]}
    if scopes.OFFLINE in granted:
        refresh = REFRESH_PREFIX + secrets.token_urlsafe(32)
        refresh_id = await _insert(tx, "refresh", refresh, row["client"], row["user"], row["scope"], row["patient"],
                                   row["family"], REFRESH_SECONDS)
        entries.append(_entry(ctx, event, refresh_id, "refresh token issued", row["client"], row["patient"]))
        out["refresh_token"] = refresh
    if row["patient"] and scopes.LAUNCH_PATIENT in granted:
        out["patient"] = row["patient"]
    return out, entries


async def _revoke_family(core: Core, tx: Conn, ctx: RequestContext, family: str, client_id: str, why: str) -> None:
    live = await table.live_in_family(tx, family)
    await table.revoke_family(tx, family, time.time())
    await ledger.record(core, tx, [_entry(ctx, "smart_revoke", r["objectId"], f"{r['kind']} revoked: {why}", client_id)
                                   for r in live])


async def _single_use(core: Core, client: Client, presented: str | None, kind: str, ip: str | None) -> Any:
    """The code or refresh token row, checked: exists, this client's, unused, not revoked or
    expired. A second use of it revokes its family before the refusal."""
    if not presented:
        raise OAuthError("invalid_request", f"{'code' if kind == 'code' else 'refresh_token'} is required")
    async with core.db.read() as conn:
        row = await table.token(conn, token_digest(presented))
    if row is None or row["kind"] != kind or row["client"] != client.client_id:
        raise OAuthError("invalid_grant", f"unknown {kind.replace('code', 'authorization code')}")
    if row["revokedAt"] is not None:
        raise OAuthError("invalid_grant", f"the {kind} was revoked")
    if row["usedAt"] is not None:
        async with core.db.transaction() as tx:
            await _revoke_family(core, tx, acting(core, row["user"], ip), row["family"], client.client_id,
                                 f"the {kind} was presented again")
        raise OAuthError("invalid_grant", f"the {kind} was already used; its tokens are revoked")
    if row["expiresAt"] <= time.time():
        raise OAuthError("invalid_grant", f"the {kind} expired")
    return row


async def exchange_code(core: Core, client: Client, code: str | None, redirect_uri: str | None,
                        verifier: str | None, ip: str | None) -> dict[str, Any]:
    row = await _single_use(core, client, code, "code", ip)
    if redirect_uri != row["redirectUri"]:
        raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request")
    if not verifier or not hmac.compare_digest(challenge_of(verifier), row["challenge"]):
        raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge (PKCE S256)")
    ctx = acting(core, row["user"], ip)
    async with core.db.transaction() as tx:
        if not await table.use(tx, row["objectId"], time.time()):
            raise OAuthError("invalid_grant", "the code was already used")
        out, entries = await _pair(core, tx, ctx, row, "smart_token")
        entries.insert(0, _entry(ctx, "smart_token", row["objectId"], "authorization code exchanged",
                                 client.client_id, row["patient"]))
        await ledger.record(core, tx, entries)
    return out


async def refresh(core: Core, client: Client, token: str | None, scope: str | None, ip: str | None) -> dict[str, Any]:
    """Rotation: the refresh token is spent and a new access and refresh token issued. A ``scope``
    may only narrow the grant (RFC 6749 §6)."""
    row = await _single_use(core, client, token, "refresh", ip)
    if scope is not None:
        asked = scopes.split(scope)
        if not asked or not set(asked) <= set(scopes.split(row["scope"])):
            raise OAuthError("invalid_scope", "a refresh may only narrow the granted scope")
        row = {**dict(row), "scope": " ".join(asked)}
    ctx = acting(core, row["user"], ip)
    async with core.db.transaction() as tx:
        if not await table.use(tx, row["objectId"], time.time()):
            raise OAuthError("invalid_grant", "the refresh token was already used")
        out, entries = await _pair(core, tx, ctx, row, "smart_refresh")
        entries.insert(0, _entry(ctx, "smart_refresh", row["objectId"], "refresh token rotated", client.client_id,
                                 row["patient"]))
        await ledger.record(core, tx, entries)
    return out


async def revoke(core: Core, client: Client, token: str | None, ip: str | None) -> None:
    """RFC 7009: an unknown token, or one of another app, changes nothing and is answered alike."""
    if not token:
        raise OAuthError("invalid_request", "token is required")
    async with core.db.read() as conn:
        row = await table.token(conn, token_digest(token))
    if row is None or row["client"] != client.client_id or row["revokedAt"] is not None:
        await refused(core, acting(core, None, ip), OAuthError("invalid_token", "unknown or already revoked token"),
                      client.client_id, "revocation changed nothing")
        return
    async with core.db.transaction() as tx:
        await _revoke_family(core, tx, acting(core, row["user"], ip), row["family"], client.client_id,
                             f"the app revoked its {row['kind']} token")


async def access(core: Core, token: str) -> Grant:
    """The grant of a live access token; ``OAuthError("invalid_token", …, 401)`` otherwise."""
    async with core.db.read() as conn:
        row = await table.token(conn, token_digest(token))
    if row is None or row["kind"] != "access":
        raise OAuthError("invalid_token", "unknown access token", 401)
    if row["revokedAt"] is not None:
        raise OAuthError("invalid_token", "the access token was revoked", 401)
    if row["expiresAt"] <= time.time():
        raise OAuthError("invalid_token", "the access token expired", 401)
    return Grant(row["user"], row["client"], tuple(scopes.split(row["scope"])), row["patient"])

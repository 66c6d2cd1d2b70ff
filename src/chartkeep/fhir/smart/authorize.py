"""The authorization endpoint's decisions: which app asks, to where the answer goes, what may be
granted, who signs in and which patient is the launch context.

An unknown ``client_id`` or a ``redirect_uri`` not registered exactly for the app is answered on
the page itself (``BadClient``), never by a redirect; every other problem goes back to the app's
redirect URI as ``error=…&state=…`` (RFC 6749 §4.1.2.1).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from chartkeep.accounts.login import check_credentials
from chartkeep.auth.roles import user_roles
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.errors import ParseError
from chartkeep.fhir import search
from chartkeep.fhir.registry import RESOURCES
from chartkeep.fhir.smart import clients, scopes
from chartkeep.fhir.smart.clients import Client
from chartkeep.fhir.smart.tokens import OAuthError, acting, issue_code, refused

FIELDS = ("response_type", "client_id", "redirect_uri", "scope", "state", "aud", "code_challenge",
          "code_challenge_method")


class BadClient(Exception):
    """No app, or not its redirect URI: shown on the page, never redirected to."""


class LoginFailed(Exception):
    """The sign-in or the patient choice was refused: the form again, with the reason."""


@dataclass(frozen=True, slots=True)
class AuthRequest:
    params: dict[str, str]
    client: Client
    granted: list[str]

    def redirect(self, **answer: str) -> str:
        state = self.params.get("state")
        query = urlencode({**answer, **({"state": state} if state else {})})
        uri = self.params["redirect_uri"]
        return f"{uri}{'&' if '?' in uri else '?'}{query}"


async def check(core: Core, params: dict[str, str], fhir_base: str, ip: str | None) -> AuthRequest:
    """The request of a registered app to one of its redirect URIs; ``BadClient`` otherwise."""
    client = await clients.find(core, params.get("client_id"))
    if client is None:
        await refused(core, acting(core, None, ip), OAuthError("invalid_client", "unknown client_id"),
                      params.get("client_id"), "authorization request")
        raise BadClient("Unknown client_id: this app is not registered with the server.")
    if params.get("redirect_uri") not in client.redirect_uris:
        await refused(core, acting(core, None, ip), OAuthError("invalid_request", "redirect_uri not registered"),
                      client.client_id, "authorization request")
        raise BadClient("The redirect_uri is not one registered for this app.")
    request = AuthRequest(params, client, scopes.grantable(params.get("scope"), client.scope))
    return request


def problems(request: AuthRequest, fhir_base: str) -> OAuthError | None:
    p = request.params
    if p.get("response_type") != "code":
        return OAuthError("unsupported_response_type", "response_type must be code")
    if p.get("code_challenge_method") != "S256" or not p.get("code_challenge"):
        return OAuthError("invalid_request", "PKCE is required: code_challenge with code_challenge_method=S256")
    if (p.get("aud") or "").rstrip("/") != fhir_base.rstrip("/"):
        return OAuthError("invalid_request", f"aud must be this server's FHIR base URL, {fhir_base}")
    if not scopes.reads_anything(request.granted):
        return OAuthError("invalid_scope", "ask for patient/*.read or user/*.read (as registered for the app)")
    return None


async def _launch_patient(core: Core, ctx: RequestContext, chosen: str) -> str:
    """A patient account's own chart; for staff, the chart they named, when they may read it."""
    patient = RESOURCES["Patient"]
    if ctx.user and ctx.user.get("role") == "patient":  # the portal's own profile (EHR classes are closed to it)
        portal = replace(patient, sources=tuple(s for s in patient.sources if s.class_name == "PatientProfile"))
        page, total, _ = await search.run(core, ctx, portal, search.Plan(count=2))
        if total != 1:
            raise LoginFailed("No patient record is linked to this account.")
        return str(page[0]["id"])
    if not chosen:
        raise LoginFailed("Name the patient (FHIR Patient id) this app may open.")
    _, total, _ = await search.run(core, ctx, patient, search.Plan(count=0), base_filters=[("_id", None, chosen)])
    if total == 0:
        raise LoginFailed("No patient with that id that you may read.")
    return chosen


async def approve(core: Core, request: AuthRequest, form: dict[str, Any], ip: str | None) -> str:
    """Sign in, pick the launch patient, issue the code: the redirect URL with ``code``."""
    ctx = acting(core, None, ip)
    signed: dict[str, Any] = {"username": form.get("username"), "password": form.get("password"),
                              "purpose": f"SMART sign-in for {request.client.name!r}"}
    if form.get("mfa"):  # the one-time code of an account with MFA, as /login's authData.mfa.token
        signed["authData"] = {"mfa": {"token": str(form["mfa"]).strip()}}
    try:
        user = await check_credentials(core, ctx, signed)
    except ParseError as exc:
        raise LoginFailed(exc.message) from None
    ctx.user = user
    ctx.user.pop("_hashed_password", None)
    roles = await user_roles(core, user["objectId"])
    ctx.roles, ctx.read_roles = roles.names, roles.read_names
    patient = None
    if scopes.needs_patient(request.granted):
        try:
            patient = await _launch_patient(core, ctx, str(form.get("patient") or "").strip())
        except LoginFailed as exc:
            await refused(core, ctx, OAuthError("access_denied", str(exc)), request.client.client_id,
                          "launch patient")
            raise
    code = await issue_code(core, ctx, request.client, request.params["redirect_uri"], request.granted, patient,
                            request.params["code_challenge"])
    return request.redirect(code=code)


async def deny(core: Core, request: AuthRequest, ip: str | None) -> str:
    error = OAuthError("access_denied", "the user declined")
    await refused(core, acting(core, None, ip), error, request.client.client_id, "authorization request")
    return request.redirect(error=error.error, error_description=error.description)

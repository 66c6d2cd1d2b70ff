"""Credentials as a client sent them → RequestContext, following Parse Server's rules.

* the application id must match (else 403 ``unauthorized``);
* a matching master key makes the request master, but only from an allowed IP and never from a
  browser page of another origin (else 403);
  a wrong master key is refused (119 ``Permission denied``, as Parse Server 9);
* when a REST/JavaScript key is configured, one of them must match;
* a session token must name a live session (else 209); ``/login`` ignores any token.

A wrong master key, the master key from an IP not allowed, and a session token that names no live
session are recorded in the ledger (``auth_failed``, outcome ``failure``) before the refusal is
answered: credential guessing leaves a trace. Neither the key nor the token is copied into it.
"""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass

from chartkeep.auth import file_links
from chartkeep.auth.roles import user_roles
from chartkeep.auth.sessions import user_for_token
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.errors import Code, ParseError, Unauthorized
from chartkeep.ledger.entries import record_refusal


@dataclass(slots=True)
class Credentials:
    app_id: str | None = None
    master_key: str | None = None
    session_token: str | None = None
    installation_id: str | None = None
    rest_key: str | None = None
    javascript_key: str | None = None
    client_ip: str | None = None
    base_url: str = ""
    client_version: str | None = None  # the SDK's "js5.3.0", "i1.19.0"… (X-Parse-Client-Version)
    cross_origin: bool = False  # a browser page of another origin sent it (api/rest/origins.py)
    origin: str | None = None  # that page's origin (the browser's Origin header)


def master_key_origin(origin: str | None, listed: list[str]) -> bool:
    """``origin`` is one the admin listed in ``master_key_origins`` (an admin console's page)."""
    return origin is not None and origin.rstrip("/").lower() in {o.rstrip("/").lower() for o in listed}


def _same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and hmac.compare_digest(a.encode(), b.encode())


def ip_allowed(ip: str | None, allowed: list[str]) -> bool:
    if ip is None:
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for entry in allowed:
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


async def resolve(core: Core, creds: Credentials, ignore_session: bool = False) -> RequestContext:
    settings = core.settings
    if not _same(creds.app_id, settings.app_id):
        raise Unauthorized()
    ctx = RequestContext(
        app_id=settings.app_id,
        installation_id=creds.installation_id,
        client_ip=creds.client_ip,
        base_url=creds.base_url,
    )
    ctx.file_link = file_links.link_maker(settings, ctx)
    if creds.client_version:
        ctx.extra["client_version"] = creds.client_version
    if creds.master_key:
        if not _same(creds.master_key, settings.master_key):
            wrong = ParseError(Code.OPERATION_FORBIDDEN, "Permission denied")
            await _refused(core, ctx, wrong, "masterKey", "wrong master key")
            raise wrong
        if creds.cross_origin and not master_key_origin(creds.origin, settings.master_key_origins):
            refused = Unauthorized()
            await _refused(core, ctx, ParseError(Code.OPERATION_FORBIDDEN, refused.message), "masterKey",
                           "master key sent from a browser page of another origin")
            raise refused
        if not ip_allowed(creds.client_ip, settings.master_key_ips):
            denied = Unauthorized()
            await _refused(core, ctx, ParseError(Code.OPERATION_FORBIDDEN, denied.message), "masterKey",
                           "master key from an IP not in master_key_ips")
            raise denied
        ctx.is_master = True
        return ctx
    if settings.rest_api_key and not (
        _same(creds.rest_key, settings.rest_api_key) or _same(creds.javascript_key, settings.rest_api_key)
    ):
        raise Unauthorized()
    if creds.session_token and not ignore_session:
        try:
            ctx.user = await user_for_token(core, creds.session_token)
        except ParseError as exc:
            await _refused(core, ctx, exc, "sessionToken")
            raise
        ctx.session_token = creds.session_token
        roles = await user_roles(core, ctx.user["objectId"])
        ctx.roles, ctx.read_roles = roles.names, roles.read_names
    return ctx


async def _refused(core: Core, ctx: RequestContext, error: ParseError, credential: str, why: str | None = None) -> None:
    meta: dict[str, object] = {"credential": credential}
    if why:
        meta["reason"] = why
    await record_refusal(core, ctx, "auth_failed", None, None, error, metadata=meta)

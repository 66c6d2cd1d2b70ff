"""Credentials as a client sent them → RequestContext, following Parse Server's rules.

* the application id must match (else 403 ``unauthorized``);
* a matching master key makes the request master, but only from an allowed IP (else 403);
  a wrong master key is refused (119 ``Permission denied``, as Parse Server 9);
* when a REST/JavaScript key is configured, one of them must match;
* a session token must name a live session (else 209); ``/login`` ignores any token.
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
            raise ParseError(Code.OPERATION_FORBIDDEN, "Permission denied")
        if not ip_allowed(creds.client_ip, settings.master_key_ips):
            raise Unauthorized()
        ctx.is_master = True
        return ctx
    if settings.rest_api_key and not (
        _same(creds.rest_key, settings.rest_api_key) or _same(creds.javascript_key, settings.rest_api_key)
    ):
        raise Unauthorized()
    if creds.session_token and not ignore_session:
        ctx.user = await user_for_token(core, creds.session_token)
        ctx.session_token = creds.session_token
        roles = await user_roles(core, ctx.user["objectId"])
        ctx.roles, ctx.read_roles = roles.names, roles.read_names
    return ctx

"""The RequestContext a signed file link acts for: the user it names (with their current roles),
the master key, or an anonymous reader. Browsers follow links without Parse headers, so the link
itself says who; the download then checks that this principal can still read the file's holder."""

from __future__ import annotations

from chartkeep.auth.file_links import MASTER, PUBLIC, Link, LinkRefused
from chartkeep.auth.roles import user_roles
from chartkeep.auth.sessions import user_for_token
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.errors import ParseError
from chartkeep.storage import rows


async def context_for_link(
    core: Core, link: Link, client_ip: str | None, base_url: str, session_token: str | None = None
) -> RequestContext | None:
    """None when the link's user no longer exists. A request that also names a user (a session
    token) must be that user: a link issued to someone else is refused."""
    if session_token:
        try:
            caller = (await user_for_token(core, session_token))["objectId"]
        except ParseError:
            caller = None
        if caller != link.principal:
            raise LinkRefused("Permission denied: this file link was issued to another user.")
    ctx = RequestContext(core.settings.app_id, client_ip=client_ip, base_url=base_url)
    if link.principal == MASTER:
        ctx.is_master = True
        return ctx
    if link.principal == PUBLIC:
        return ctx
    schema = core.registry.get("_User")
    assert schema is not None
    async with core.db.read() as conn:
        user = await rows.fetch(conn, schema, link.principal)
    if user is None:
        return None  # the user was deleted since the link was issued
    user.pop("_hashed_password", None)
    ctx.user = user
    roles = await user_roles(core, link.principal)
    ctx.roles, ctx.read_roles = roles.names, roles.read_names
    return ctx

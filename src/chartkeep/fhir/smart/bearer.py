"""A SMART access token as FHIR credentials: the token's user, with the user's roles as they are now
(so a revoked role or a removed care-team membership narrows the token at once), and its grant on
the context (``ctx.extra["smart"]``) for ``narrow.py``. The Parse API never looks here: an access
token is no session token there."""

from __future__ import annotations

from chartkeep.auth.roles import user_roles
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.fhir.smart.tokens import Grant, OAuthError, access
from chartkeep.storage import rows


async def sign_in(core: Core, ctx: RequestContext, token: str) -> Grant:
    grant = await access(core, token)
    schema = core.registry.get("_User")
    assert schema is not None
    async with core.db.read() as conn:
        found = await rows.fetch_by(conn, schema, "objectId", grant.user_id)
    if not found:
        raise OAuthError("invalid_token", "the token's user no longer exists", 401)
    user = dict(found[0])
    user.pop("_hashed_password", None)
    ctx.user = user
    roles = await user_roles(core, grant.user_id)
    ctx.roles, ctx.read_roles = roles.names, roles.read_names
    ctx.extra["smart"] = grant
    return grant

"""What every resolver receives as ``info.context``: the core, who is asking, and the per-app limiters."""

from __future__ import annotations

from dataclasses import dataclass, field

from chartkeep.api.rest.ratelimit import RateLimiter, login_limit, signup_limit
from chartkeep.auth.resolve import Credentials, resolve
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core


@dataclass(slots=True)
class Limiters:
    """GraphQL's own buckets for logIn/signUp (REST keeps its own per app, as for ``/batch``)."""

    login: RateLimiter = field(default_factory=lambda: RateLimiter(login_limit))
    signup: RateLimiter = field(default_factory=lambda: RateLimiter(signup_limit))


@dataclass(slots=True)
class GraphQLContext:
    core: Core
    ctx: RequestContext
    creds: Credentials
    limiters: Limiters

    async def as_session(self, token: str) -> RequestContext:
        """The context of a session just opened by signUp/logIn (to read the new viewer)."""
        creds = Credentials(
            app_id=self.creds.app_id, session_token=token, installation_id=self.creds.installation_id,
            client_ip=self.creds.client_ip, base_url=self.creds.base_url,
        )
        return await resolve(self.core, creds)

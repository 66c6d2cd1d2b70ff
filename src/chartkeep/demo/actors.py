"""Who acts in the demo: accounts created with the master key, and a RequestContext per account
built from a real session, as a request carrying that session token would get."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chartkeep.accounts import users
from chartkeep.auth.resolve import Credentials, resolve
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.records import writes

DEMO_IP = "127.0.0.1"


def ptr(class_name: str, object_id: str) -> dict[str, str]:
    return {"__type": "Pointer", "className": class_name, "objectId": object_id}


def date(value: Any) -> dict[str, str]:
    return {"__type": "Date", "iso": value.isoformat(timespec="milliseconds").replace("+00:00", "Z")}


@dataclass
class Actor:
    username: str
    role: str
    display_name: str
    ctx: RequestContext

    @property
    def id(self) -> str:
        assert self.ctx.user_id is not None
        return self.ctx.user_id

    @property
    def pointer(self) -> dict[str, str]:
        return ptr("_User", self.id)


def master(core: Core) -> RequestContext:
    return RequestContext(core.settings.app_id, is_master=True, client_ip=DEMO_IP)


async def account(core: Core, username: str, password: str, role: str, display_name: str,
                  **fields: Any) -> Actor:
    body = {"username": username, "password": password, "role": role, "displayName": display_name,
            "email": f"{username}@demo.chartkeep.test", **fields}
    made = await users.sign_up(core, master(core), body)
    creds = Credentials(app_id=core.settings.app_id, session_token=made["sessionToken"], client_ip=DEMO_IP)
    return Actor(username, role, display_name, await resolve(core, creds))


async def refresh(core: Core, actor: Actor) -> None:
    """Roles change as care teams form: re-read them as the next request would."""
    core.roles.invalidate([actor.id])
    assert actor.ctx.session_token is not None
    creds = Credentials(app_id=core.settings.app_id, session_token=actor.ctx.session_token, client_ip=DEMO_IP)
    actor.ctx = await resolve(core, creds)


async def create(core: Core, who: Actor | RequestContext, class_name: str, body: dict[str, Any]) -> str:
    ctx = who.ctx if isinstance(who, Actor) else who
    made = await writes.create(core, ctx, class_name, body)
    return str(made["objectId"])

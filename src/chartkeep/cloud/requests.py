"""What cloud code receives: ``req`` of a function, a trigger or a job (docs/cloud-code.md)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from chartkeep.cloud.data import DataApi
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.records.present import present
from chartkeep.storage.database import Conn

CONTEXT = "cloud.context"  # RequestContext.extra key: req.context, shared by the triggers of one request


def shown_user(core: Core, ctx: RequestContext) -> dict[str, Any] | None:
    """The caller as Parse JSON (what ``GET /users/me`` shows, without the session token)."""
    if ctx.user is None:
        return None
    schema = core.registry.get("_User")
    if schema is None:
        return {"objectId": ctx.user["objectId"]}
    return present(schema, ctx.user, replace(ctx, is_master=True))


class CloudRequest(DataApi):
    """Shared by every kind: who is asking, and the data API acting as them."""

    def __init__(self, core: Core, ctx: RequestContext, origin: str, conn: Conn | None = None) -> None:
        super().__init__(core, ctx, origin, conn)
        self.user = shown_user(core, ctx)
        self.master = ctx.is_master
        self.ip = ctx.client_ip
        self.headers: dict[str, str] = dict(ctx.headers)
        self.installation_id = ctx.installation_id
        self.roles = tuple(ctx.roles)


class FunctionRequest(CloudRequest):
    def __init__(self, core: Core, ctx: RequestContext, name: str, params: dict[str, Any]) -> None:
        super().__init__(core, ctx, f"function {name}")
        self.function_name = name
        self.params = params


class TriggerRequest(CloudRequest):
    def __init__(self, core: Core, ctx: RequestContext, kind: str, class_name: str, obj: dict[str, Any],
                 original: dict[str, Any] | None, conn: Conn | None) -> None:
        super().__init__(core, ctx, f"{kind} {class_name}", conn)
        self.trigger_name = kind
        self.class_name = class_name
        self.object = obj
        self.original = original
        self.context: dict[str, Any] = ctx.extra.setdefault(CONTEXT, {})

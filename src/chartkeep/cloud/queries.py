"""``@cloud.before_find`` / ``@cloud.after_find`` and the login hooks, on the hook registry.

``before_find`` gets ``req.query`` — the query's parameters (``where`` as a dict, ``limit``,
``skip``, ``order``, ``keys``, ``include``, ``count``) — and may change it; the caller's read guard
(ACL, class-level permissions, care team) is ANDed to whatever it leaves, so a hook can narrow a
query, never widen it. ``after_find`` gets ``req.objects`` (Parse JSON, as the caller may see them)
and may drop or reshape them; an object it adds (an objectId the query did not return) refuses the
read with 141. Both run on every read path that queries the class (REST, the SDKs, GraphQL, the
data API); ``before_find`` does not run for a get by id.

``after_live_query_event`` gets one LiveQuery event for one subscriber (``req.event``,
``req.object``, ``req.original``, ``req.user``: the subscriber) and may reshape it or drop it
(``req.send_event = False``); the hub keeps what it leaves within what the subscriber may read.

``before_login`` (``req.object``: the user) may refuse a login by raising; ``after_login`` and
``after_logout`` run once it is done, failures logged.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import replace
from typing import Any

import orjson

from chartkeep.cloud.declare import TriggerSpec
from chartkeep.cloud.requests import CloudRequest
from chartkeep.cloud.run import invoke
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.core.hooks import AccountHook, LiveDelivery, LiveEventHook, LiveHook, QueryHook, ResultHook
from chartkeep.errors import Code, ParseError
from chartkeep.records.present import present

log = logging.getLogger("chartkeep.cloud")


class QueryRequest(CloudRequest):
    def __init__(self, core: Core, ctx: RequestContext, kind: str, class_name: str) -> None:
        super().__init__(core, ctx, f"{kind} {class_name}")
        self.trigger_name = kind
        self.class_name = class_name
        self.query: dict[str, Any] = {}
        self.objects: list[dict[str, Any]] = []


class AccountRequest(CloudRequest):
    def __init__(self, core: Core, ctx: RequestContext, kind: str, user: dict[str, Any]) -> None:
        super().__init__(core, ctx, kind)
        self.trigger_name = kind
        self.object = user


def _decoded(params: dict[str, Any]) -> dict[str, Any]:
    out = dict(params)
    where = out.get("where")
    if isinstance(where, str | bytes):
        with contextlib.suppress(orjson.JSONDecodeError):  # else left for the query's own check (107)
            out["where"] = orjson.loads(where)
    return out


def before_find(spec: TriggerSpec, timeout: float | None) -> QueryHook[Core]:
    async def hook(core: Core, ctx: RequestContext, class_name: str, params: dict[str, Any]) -> dict[str, Any]:
        req = QueryRequest(core, ctx, "before_find", class_name)
        req.query = _decoded(params)
        await invoke(f"before_find {class_name}", spec.fn, req, timeout)
        if not isinstance(req.query, dict):
            raise ParseError(Code.SCRIPT_FAILED, f"before_find of {class_name}: req.query must stay a dict")
        return req.query

    return hook


def after_find(spec: TriggerSpec, timeout: float | None) -> ResultHook[Core]:
    async def hook(core: Core, ctx: RequestContext, class_name: str,
                   found: list[dict[str, Any]]) -> list[dict[str, Any]]:
        req = QueryRequest(core, ctx, "after_find", class_name)
        req.objects = [dict(o) for o in found]
        await invoke(f"after_find {class_name}", spec.fn, req, timeout)
        ids = {o.get("objectId") for o in found}
        kept = req.objects
        if not isinstance(kept, list) or any(not isinstance(o, dict) or o.get("objectId") not in ids for o in kept):
            raise ParseError(Code.SCRIPT_FAILED, f"after_find of {class_name} may only remove or reshape the "
                                                 "objects the query found")
        return kept

    return hook


class LiveRequest(CloudRequest):
    def __init__(self, core: Core, ctx: RequestContext, kind: str, class_name: str, query: dict[str, Any]) -> None:
        super().__init__(core, ctx, f"{kind} {class_name}")
        self.trigger_name = kind
        self.class_name = class_name
        self.query = query


def live(spec: TriggerSpec, timeout: float | None) -> LiveHook[Core]:
    """``before_connect`` (``req.query``: ``{"installationId": …}``) or ``before_subscribe``
    (``req.query``: the subscription's ``className``, ``where``, ``keys``)."""

    async def hook(core: Core, ctx: RequestContext, query: dict[str, Any]) -> dict[str, Any]:
        req = LiveRequest(core, ctx, spec.kind, spec.class_name, query)
        await invoke(f"{spec.kind} {spec.class_name}", spec.fn, req, timeout)
        if not isinstance(req.query, dict):
            raise ParseError(Code.SCRIPT_FAILED, f"{spec.kind}: req.query must stay a dict")
        return req.query

    return hook


class LiveEventRequest(CloudRequest):
    def __init__(self, core: Core, delivery: LiveDelivery) -> None:
        super().__init__(core, delivery.ctx, f"after_live_query_event {delivery.class_name}")
        self.trigger_name = "after_live_query_event"
        self.class_name = delivery.class_name
        self.event = delivery.event
        self.object = delivery.object
        self.original = delivery.original
        self.send_event = True


def live_event(spec: TriggerSpec, timeout: float | None) -> LiveEventHook[Core]:
    """``after_live_query_event``: what it leaves in ``req.object`` / ``req.original`` and
    ``req.send_event`` goes back to the hub (live/hub.py), which filters it (live/reshape.py)."""

    async def hook(core: Core, delivery: LiveDelivery) -> None:
        req = LiveEventRequest(core, delivery)
        await invoke(f"after_live_query_event {spec.class_name}", spec.fn, req, timeout)
        delivery.object, delivery.original, delivery.send = req.object, req.original, bool(req.send_event)

    return hook


def account(spec: TriggerSpec, timeout: float | None) -> AccountHook[Core]:
    async def hook(core: Core, ctx: RequestContext, user: dict[str, Any]) -> None:
        schema = core.registry.get("_User")
        shown = present(schema, user, replace(ctx, is_master=True)) if schema else {"objectId": user["objectId"]}
        acting = replace(ctx, user=user) if spec.kind != "after_logout" else ctx
        req = AccountRequest(core, acting, spec.kind, shown)
        if spec.kind == "before_login":
            await invoke(spec.kind, spec.fn, req, timeout)
            return
        try:
            await invoke(spec.kind, spec.fn, req, timeout)
        except ParseError as exc:  # logged: the login or logout is done
            log.error("cloud %s: %s (%s)", spec.kind, exc.message, exc.code)

    return hook

"""Parse's ``/hooks`` API (master key): Cloud functions and triggers served by another process over
HTTP, for teams whose logic lives in another language.

A webhook is a ``_Hooks`` row (``functionName`` + ``url``, or ``className`` + ``triggerName`` +
``url``), written through the pipeline like any row (ledger entries included). When it fires, the
server POSTs Parse's webhook payload to the URL — ``{"master", "user", "installationId", "ip",
"headers", "params"}`` for a function, ``{..., "triggerName", "object", "original"}`` for a trigger
— with ``X-Parse-Webhook-Key`` (setting ``webhook_key``) and waits up to ``cloud_timeout`` seconds
for ``{"success": …}`` or ``{"error": "…"}`` (141 with that message). A ``beforeSave`` webhook's
``success`` object is applied as a ``before_save`` trigger's ``req.object`` is (cloud/triggers.py:
what the server owns stays out of reach). Webhook triggers run after the file's own triggers;
each process reads the registered triggers again at most every ``TRIGGER_CACHE_SECONDS``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from chartkeep.cloud.requests import shown_user
from chartkeep.cloud.run import log
from chartkeep.cloud.triggers import apply_changes, rules_changed, shown, to_store
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.core.hooks import Function, Hooks, Kind, WriteEvent
from chartkeep.errors import Code, ParseError
from chartkeep.records import reads, writes
from chartkeep.storage import rows
from chartkeep.storage.database import Conn

HOOKS = "_Hooks"
WEBHOOK_ERROR = 143  # Parse.Error.WEBHOOK_ERROR
TRIGGERS: dict[str, Kind] = {"beforeSave": "before_save", "afterSave": "after_save", "beforeDelete": "before_delete",
                             "afterDelete": "after_delete"}
TRIGGER_CACHE_SECONDS = 5.0


# ---- the /hooks API ---------------------------------------------------------------------------------


def _master(ctx: RequestContext) -> RequestContext:
    if not ctx.is_master:
        raise ParseError(Code.OPERATION_FORBIDDEN, "unauthorized: master key is required")
    return ctx


def _url(body: dict[str, Any]) -> str:
    url = body.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ParseError(WEBHOOK_ERROR, "url must be an http(s) URL")
    return url


async def _rows(core: Core, ctx: RequestContext, where: dict[str, Any],
                conn: Conn | None = None) -> list[dict[str, Any]]:
    found = await reads.find(core, _master(ctx), HOOKS, {"where": where, "limit": 1000}, conn)
    results: list[dict[str, Any]] = found["results"]
    return results


def _function(row: dict[str, Any]) -> dict[str, Any]:
    return {"functionName": row["functionName"], "url": row["url"]}


def _trigger(row: dict[str, Any]) -> dict[str, Any]:
    return {"className": row["className"], "triggerName": row["triggerName"], "url": row["url"]}


async def list_functions(core: Core, ctx: RequestContext) -> list[dict[str, Any]]:
    return [_function(r) for r in await _rows(core, ctx, {"functionName": {"$exists": True}})]


async def get_function(core: Core, ctx: RequestContext, name: str) -> dict[str, Any]:
    found = await _rows(core, ctx, {"functionName": name})
    if not found:
        raise ParseError(WEBHOOK_ERROR, f"no function named: {name} is defined")
    return _function(found[0])


async def create_function(core: Core, ctx: RequestContext, body: dict[str, Any]) -> dict[str, Any]:
    name = body.get("functionName")
    if not isinstance(name, str) or not name:
        raise ParseError(WEBHOOK_ERROR, "invalid hook declaration: functionName is required")
    url = _url(body)
    if name in core.hooks.functions or await _rows(core, ctx, {"functionName": name}):
        raise ParseError(WEBHOOK_ERROR, f"function name: {name} already exists")
    await writes.create(core, ctx, HOOKS, {"functionName": name, "url": url})
    return {"functionName": name, "url": url}


async def update_function(core: Core, ctx: RequestContext, name: str, body: dict[str, Any]) -> dict[str, Any]:
    found = await _rows(core, ctx, {"functionName": name})
    if not found:
        raise ParseError(WEBHOOK_ERROR, f"no function named: {name} is defined")
    if body.get("__op") == "Delete":
        await writes.delete(core, ctx, HOOKS, found[0]["objectId"])
        return {}
    url = _url(body)
    await writes.update(core, ctx, HOOKS, found[0]["objectId"], {"url": url})
    return {"functionName": name, "url": url}


def _trigger_name(name: Any) -> str:
    if name not in TRIGGERS:
        raise ParseError(WEBHOOK_ERROR, f"invalid trigger name: {name} (one of {', '.join(TRIGGERS)})")
    return str(name)


async def list_triggers(core: Core, ctx: RequestContext) -> list[dict[str, Any]]:
    return [_trigger(r) for r in await _rows(core, ctx, {"triggerName": {"$exists": True}})]


async def get_trigger(core: Core, ctx: RequestContext, class_name: str, trigger: str) -> dict[str, Any]:
    found = await _rows(core, ctx, {"className": class_name, "triggerName": trigger})
    if not found:
        raise ParseError(WEBHOOK_ERROR, f"class {class_name} does not exist or has no trigger {trigger}")
    return _trigger(found[0])


async def create_trigger(core: Core, ctx: RequestContext, body: dict[str, Any]) -> dict[str, Any]:
    class_name, trigger = body.get("className"), _trigger_name(body.get("triggerName"))
    if not isinstance(class_name, str) or not class_name:
        raise ParseError(WEBHOOK_ERROR, "invalid hook declaration: className is required")
    url = _url(body)
    if await _rows(core, ctx, {"className": class_name, "triggerName": trigger}):
        raise ParseError(WEBHOOK_ERROR, f"class {class_name} already has trigger {trigger}")
    await writes.create(core, ctx, HOOKS, {"className": class_name, "triggerName": trigger, "url": url})
    cache_of(core).drop()
    return {"className": class_name, "triggerName": trigger, "url": url}


async def update_trigger(core: Core, ctx: RequestContext, class_name: str, trigger: str,
                         body: dict[str, Any]) -> dict[str, Any]:
    found = await _rows(core, ctx, {"className": class_name, "triggerName": trigger})
    if not found:
        raise ParseError(WEBHOOK_ERROR, f"class {class_name} does not exist or has no trigger {trigger}")
    cache_of(core).drop()
    if body.get("__op") == "Delete":
        await writes.delete(core, ctx, HOOKS, found[0]["objectId"])
        return {}
    url = _url(body)
    await writes.update(core, ctx, HOOKS, found[0]["objectId"], {"url": url})
    return {"className": class_name, "triggerName": trigger, "url": url}


# ---- calling a webhook ------------------------------------------------------------------------------


async def post(core: Core, url: str, payload: dict[str, Any], what: str) -> Any:
    """POST the payload; the ``success`` value, or 141 with the receiver's ``error``."""
    headers = {"Content-Type": "application/json"}
    if core.settings.webhook_key:
        headers["X-Parse-Webhook-Key"] = core.settings.webhook_key
    timeout = core.settings.cloud_timeout or None
    try:
        async with httpx.AsyncClient(timeout=timeout) as http:
            answer = await http.post(url, content=orjson.dumps(payload), headers=headers)
        body = answer.json()
    except httpx.TimeoutException:
        log.error("webhook %s: %s timed out", what, url)
        raise ParseError(Code.SCRIPT_FAILED, "Script timed out") from None
    except (httpx.HTTPError, ValueError) as exc:
        log.error("webhook %s: %s failed: %s", what, url, exc)
        raise ParseError(Code.SCRIPT_FAILED, f"Webhook {what} failed") from None
    if isinstance(body, dict) and "error" in body:
        raise ParseError(Code.SCRIPT_FAILED, str(body["error"]))
    if not isinstance(body, dict) or "success" not in body:
        log.error("webhook %s: %s answered %s without success or error", what, url, answer.status_code)
        raise ParseError(Code.SCRIPT_FAILED, f"Webhook {what} failed")
    return body["success"]


def _caller(core: Core, ctx: RequestContext) -> dict[str, Any]:
    return {"master": ctx.is_master, "user": shown_user(core, ctx), "installationId": ctx.installation_id,
            "ip": ctx.client_ip, "headers": dict(ctx.headers)}


async def _function_source(core: Core, name: str) -> Function[Core] | None:
    if core.registry.get(HOOKS) is None:
        return None
    found = await _rows(core, RequestContext(core.settings.app_id, is_master=True), {"functionName": name})
    if not found:
        return None
    url = found[0]["url"]

    async def call(core: Core, ctx: RequestContext, params: dict[str, Any]) -> Any:
        return await post(core, url, {**_caller(core, ctx), "params": params, "functionName": name},
                          f"function {name}")

    return call


@dataclass(slots=True)
class TriggerCache:
    """The registered webhook triggers, read again at most every TRIGGER_CACHE_SECONDS."""

    urls: dict[tuple[str, str], str] = field(default_factory=dict)
    read_at: float = -1e9

    def drop(self) -> None:
        self.read_at = -1e9

    async def url(self, core: Core, conn: Conn, class_name: str, trigger: str) -> str | None:
        """The trigger's URL. Read through ``conn``, the write's own connection: a write that
        holds a pool connection and waits for a second one deadlocks once every connection is
        held by such a write (the pool's size in concurrent writes). While one write re-reads the
        table, the others go on with the URLs read before (at most one refresh old)."""
        stale_at = self.read_at
        if time.monotonic() - stale_at > TRIGGER_CACHE_SECONDS:
            self.read_at = time.monotonic()  # the others keep the current URLs meanwhile
            master = RequestContext(core.settings.app_id, is_master=True)
            try:
                found = await _rows(core, master, {"triggerName": {"$exists": True}}, conn)
            except BaseException:
                self.read_at = stale_at
                raise
            self.urls = {(r["className"], r["triggerName"]): r["url"] for r in found}
        return self.urls.get((class_name, trigger))


_CACHES: dict[int, TriggerCache] = {}


def cache_of(core: Core) -> TriggerCache:
    return _CACHES.setdefault(id(core.hooks), TriggerCache())


def _trigger_hook(trigger: str) -> Any:
    kind = TRIGGERS[trigger]

    async def hook(core: Core, event: WriteEvent) -> None:
        if event.class_name == HOOKS:
            return
        url = await cache_of(core).url(core, event.conn, event.class_name, trigger)
        if url is None:
            return
        what = f"{trigger} {event.class_name}"
        current = None if event.is_new else await event.load_current()
        if kind == "before_save":
            by_rules = rules_changed(event)
            obj = to_store(event, current)
            payload = {**_caller(core, event.ctx), "triggerName": trigger, "object": {"className": event.class_name,
                       **obj}, "original": shown(event, current) if current else None}
            result = await post(core, url, payload, what)
            if isinstance(result, dict):
                changed = {**obj, **{k: v for k, v in result.items() if k != "className"}}
                apply_changes(core, event, obj, changed, by_rules, f"webhook {what}")
            return
        if kind == "before_delete":
            await post(core, url, {**_caller(core, event.ctx), "triggerName": trigger,
                                   "object": {"className": event.class_name, **shown(event, current or {})}}, what)
            return
        stored = current if kind == "after_delete" else await rows.fetch_for_write(
            event.conn, event.schema, event.object_id, None)
        payload = {**_caller(core, event.ctx), "triggerName": trigger,
                   "object": {"className": event.class_name, **shown(event, stored or {})}}

        async def later() -> None:
            try:
                await post(core, url, payload, what)
            except ParseError as exc:  # logged: the write is committed
                log.error("webhook %s: %s (%s)", what, exc.message, exc.code)

        event.conn.on_commit(later)

    return hook


def register(hooks: Hooks[Core]) -> None:
    """Webhook functions and triggers, after every built-in rule and the cloud file's own code."""
    hooks.function_sources.append(_function_source)
    add_trigger_hooks(hooks)


def add_trigger_hooks(hooks: Hooks[Core]) -> None:
    for trigger, kind in TRIGGERS.items():
        hooks.add(kind, "*", _trigger_hook(trigger), builtin=False)

"""``POST /push`` (master key): Parse's push, checked as Parse checks it, tracked in ``_PushStatus``
and delivered through the configured push adapter (devices/adapter.py).

The request is answered once the push is stored — ``{"result": true}`` with its ``_PushStatus`` id
in ``X-Parse-Push-Status-Id`` (what ``Parse.Push.send`` resolves to) — and delivered in the
background (core/background.py): the installations the push targets that have a ``deviceToken``
are read in batches of ``push_batch_size`` and handed to the adapter, batch by batch. The status goes
``pending`` → ``running`` (``count``: batches left) → ``succeeded``, or ``failed`` with
``errorMessage`` when a batch could not be delivered; ``numSent``/``numFailed`` and
``sentPerType``/``failedPerType`` count devices. Every change of the status is a ledger entry.

Checks, in Parse's order and with Parse's code 115 (``PUSH_MISCONFIGURED``) and messages: both or
neither of ``where`` and ``channels``; no adapter (``Missing push configuration``);
``expiration_time``, ``expiration_interval``, ``push_time``; ``data.badge``. Chartkeep also checks
before storing anything what Parse only finds out while sending: the ``where`` query (Parse's
query errors) and that ``data`` is an object.

``data.badge`` as Parse: a number sets every targeted installation's badge, ``"Increment"`` or
``{"__op": "Increment", "amount": n}`` adds to it; each device then carries its own ``badge``.
``push_time`` is handed to the adapter and the push delivered at once (the ``scheduledPush``
feature is off, as in a Parse Server without a scheduler); so are ``expiration_time`` and
localized keys such as ``alert-fr`` (with each device's ``localeIdentifier``).
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.devices.adapter import Delivery, Device, PushAdapter, PushMessage
from chartkeep.devices.webhook import WebhookAdapter
from chartkeep.errors import Code, ParseError
from chartkeep.query import ir
from chartkeep.query.order import parse_order
from chartkeep.query.parse import parse_where
from chartkeep.query.sql import compile_count, compile_select
from chartkeep.query.values import js_str
from chartkeep.records import commit
from chartkeep.schema.dates import iso_ms, parse_iso
from chartkeep.settings import Settings
from chartkeep.storage import rows

log = logging.getLogger("chartkeep.push")
INSTALLATION = "_Installation"
STATUS = "_PushStatus"
EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"  # Parse's pushHash of a push without an alert
BADGE_ERROR = "Invalid value for badge, expected number or 'Increment' or {increment: number}"
_OFFSET = re.compile(r".+[+-]\d\d:\d\d$")


def _misconfigured(message: str) -> ParseError:
    return ParseError(Code.PUSH_MISCONFIGURED, message)


def available(settings: Settings) -> bool:
    return bool(settings.push_adapter or settings.push_webhook_url)


def make_adapter(settings: Settings) -> PushAdapter | None:
    """The configured adapter, or None when push is not configured."""
    if settings.push_adapter:
        module, _, attr = settings.push_adapter.partition(":")
        if not module or not attr:
            raise _misconfigured("push_adapter must be module:factory")
        try:
            factory: Any = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            raise _misconfigured(f"push_adapter {settings.push_adapter} cannot be loaded: {exc}") from None
        adapter: PushAdapter = factory(settings)
        return adapter
    if settings.push_webhook_url:
        return WebhookAdapter(settings)
    return None


# ---- the push body, checked as Parse checks it --------------------------------------------------------


def query_condition(body: dict[str, Any]) -> dict[str, Any]:
    """Parse's ``PushRouter.getQueryCondition``."""
    has_where, has_channels = "where" in body, "channels" in body
    if has_where and has_channels:
        raise _misconfigured("Channels and query can not be set at the same time.")
    if has_where:
        where = body["where"]
        if not isinstance(where, dict):
            raise ParseError(Code.INVALID_QUERY, "where must be a JSON object")
        return where
    if has_channels:
        return {"channels": {"$in": body["channels"]}}
    raise _misconfigured('Sending a push requires either "channels" or a "where" query.')


def _time(body: dict[str, Any], key: str) -> tuple[datetime, bool]:
    """A time the client sent: epoch seconds or date text; and whether it is local (text without an
    offset, which Parse keeps local)."""
    value = body[key]
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC), False
        if isinstance(value, str):
            local = not (value.endswith(("Z", "z")) or _OFFSET.match(value))
            return parse_iso(value), local
    except (ValueError, OverflowError, OSError):
        pass
    raise _misconfigured(f"{js_str(value)} is not valid time.")


def _badge(data: dict[str, Any]) -> tuple[str, float] | None:
    """("set", n) or ("increment", n) for ``data.badge``, as Parse's ``PushController`` reads it."""
    badge = data.get("badge")
    if not badge:
        return None
    if isinstance(badge, str) and badge.lower() == "increment":
        return "increment", 1
    if isinstance(badge, dict) and isinstance(badge.get("__op"), str) and badge["__op"].lower() == "increment":
        amount = _number(badge.get("amount"))
        if amount:
            return "increment", amount
    elif not isinstance(badge, (dict, list)):
        number = _number(badge)
        if number:
            return "set", number
    raise _misconfigured(BADGE_ERROR)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _with_token(where: dict[str, Any]) -> dict[str, Any]:
    """Only installations that can be reached: Parse's ``applyDeviceTokenExists``."""
    return where if "deviceToken" in where else {**where, "deviceToken": {"$exists": True}}


def _push_hash(data: dict[str, Any]) -> str:
    alert = data.get("alert")
    if isinstance(alert, str):
        text = alert
    elif isinstance(alert, (dict, list)):
        text = orjson.dumps(alert).decode()
    else:
        return EMPTY_MD5
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


# ---- the use case -------------------------------------------------------------------------------------


async def send_push(core: Core, ctx: RequestContext, body: dict[str, Any]) -> str:
    """Check and store the push, start its delivery; the ``_PushStatus`` objectId."""
    if not ctx.is_master:
        raise ParseError(Code.OPERATION_FORBIDDEN, "Permission denied")
    where = query_condition(body)
    adapter = make_adapter(core.settings)
    if adapter is None:
        raise _misconfigured("Missing push configuration")
    now = datetime.now(UTC)
    expiration_time: int | None = None
    if "expiration_time" in body:
        expiration_time = int(_time(body, "expiration_time")[0].timestamp() * 1000)
    interval: float | None = None
    if "expiration_interval" in body:
        raw = body["expiration_interval"]
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or raw <= 0:
            raise _misconfigured("expiration_interval must be a number greater than 0")
        interval = raw
    if expiration_time is not None and interval is not None:
        raise _misconfigured("Both expiration_time and expiration_interval cannot be set")
    if interval is not None and "push_time" not in body:
        expiration_time = int((now + timedelta(seconds=interval)).timestamp() * 1000)
    push_time: str | None = None
    if "push_time" in body:
        at, local = _time(body, "push_time")
        push_time = iso_ms(at)[:-1] if local else iso_ms(at)
        log.warning("push_time %s is handed to the push adapter: Chartkeep does not schedule pushes", push_time)
    data = body.get("data") if body.get("data") is not None else {}
    if not isinstance(data, dict):
        raise ParseError(Code.INVALID_JSON, "data must be an object.")
    badge = _badge(data)
    target = parse_where(INSTALLATION, _with_token(where), core.registry)  # a bad query fails here, before anything is stored

    status: dict[str, Any] = {
        "pushTime": iso_ms(now), "query": orjson.dumps(where).decode(), "payload": orjson.dumps(data).decode(),
        "source": "rest", "expiry": expiration_time, "expiration_interval": interval, "status": "pending",
        "numSent": 0, "pushHash": _push_hash(data), "_rperm": [], "_wperm": [],
    }
    async with core.db.transaction() as tx:
        status_id = await commit.server_insert(core, tx, ctx, STATUS, {k: v for k, v in status.items() if v is not None},
                                               why="a push was sent (POST /push)")
    message = PushMessage(status_id, data, push_time, expiration_time, interval)
    core.background.spawn(deliver(core, ctx, message, target, badge, adapter), f"chartkeep-push-{status_id}")
    return status_id


# ---- delivery -----------------------------------------------------------------------------------------


def _device(row: dict[str, Any]) -> Device:
    badge = row.get("badge")
    return Device(row["deviceToken"], row.get("deviceType"), row.get("pushType"), row.get("appIdentifier"),
                  row.get("localeIdentifier"), float(badge) if isinstance(badge, (int, float)) else None)


async def _count(core: Core, target: ir.Node) -> int:
    schema = core.schema_or_404(INSTALLATION)
    async with core.db.read() as conn:
        sql, params = compile_count(schema, target, conn.dialect)
        return int(await conn.fetchval(sql, params) or 0)


async def _page(core: Core, target: ir.Node, after: str | None, size: int) -> list[dict[str, Any]]:
    """The next ``size`` targeted installations, by objectId (a page survives installations added or
    removed meanwhile)."""
    schema = core.schema_or_404(INSTALLATION)
    where = target if after is None else ir.and_(target, parse_where(INSTALLATION, {"objectId": {"$gt": after}},
                                                                    core.registry))
    async with core.db.read() as conn:
        sql, params = compile_select(schema, where, conn.dialect, order=parse_order("objectId", schema), limit=size)
        return rows.decode_rows(schema, await conn.fetch(sql, params), conn)


async def _apply_badge(core: Core, ctx: RequestContext, found: list[dict[str, Any]], badge: tuple[str, float],
                       status_id: str) -> None:
    """Parse's badge update on the installations of this batch, each a ledger entry."""
    kind, amount = badge
    async with core.db.transaction() as tx:
        for row in found:
            stored = row.get("badge")
            current = float(stored) if isinstance(stored, (int, float)) else 0.0
            row["badge"] = current + amount if kind == "increment" else amount
            await commit.server_update(core, tx, ctx, INSTALLATION, row["objectId"], {"badge": row["badge"]},
                                       why=f"the badge of push {status_id}")


async def _update_status(core: Core, ctx: RequestContext, status_id: str, changes: dict[str, Any], why: str) -> None:
    async with core.db.transaction() as tx:
        await commit.server_update(core, tx, ctx, STATUS, status_id, changes, why=why)


def _per_type(devices: list[Device], into: dict[str, int]) -> dict[str, int]:
    for device in devices:
        key = device.device_type or "unknown"
        into[key] = into.get(key, 0) + 1
    return into


async def deliver(core: Core, ctx: RequestContext, message: PushMessage, target: ir.Node,
                  badge: tuple[str, float] | None, adapter: PushAdapter) -> None:
    status_id = message.status_id
    try:
        size = core.settings.push_batch_size
        total = await _count(core, target)
        if total == 0:
            await _update_status(core, ctx, status_id, {"status": "succeeded"}, "push delivered: no installation matched")
            return
        batches = math.ceil(total / size)
        await _update_status(core, ctx, status_id, {"status": "running", "count": batches},
                             f"push delivery started: {total} installations, {batches} batches")
        sent = failed = done = 0
        sent_per_type: dict[str, int] = {}
        failed_per_type: dict[str, int] = {}
        errors: list[str] = []
        after: str | None = None
        while True:
            found = await _page(core, target, after, size)
            if not found:
                break
            after = found[-1]["objectId"]
            if badge is not None:
                await _apply_badge(core, ctx, found, badge, status_id)
            devices = [_device(r) for r in found if isinstance(r.get("deviceToken"), str)]
            result = await _send(adapter, message, devices)
            done += 1
            sent, failed = sent + len(result.sent), failed + len(result.failed)
            if result.error:
                errors.append(result.error)
            changes: dict[str, Any] = {
                "numSent": sent, "numFailed": failed, "count": max(batches - done, 0),
                "sentPerType": _per_type(result.sent, sent_per_type),
                "failedPerType": _per_type(result.failed, failed_per_type),
            }
            await _update_status(core, ctx, status_id, changes, f"push batch {done} delivered: "
                                 f"{len(result.sent)} sent, {len(result.failed)} failed")
        final: dict[str, Any] = {"status": "failed" if failed else "succeeded", "count": None}
        if failed:
            final["errorMessage"] = {"message": errors[-1] if errors else "some devices could not be reached"}
        await _update_status(core, ctx, status_id, final, f"push {final['status']}: {sent} sent, {failed} failed")
    except Exception as exc:  # noqa: BLE001 - the status must say the push failed, whatever happened
        log.exception("push %s failed", status_id)
        try:
            await _update_status(core, ctx, status_id, {"status": "failed", "errorMessage": {"message": str(exc)}},
                                 "push failed")
        except Exception:  # noqa: BLE001 - the database may be gone (shutdown): the log has it
            log.exception("push %s: its failure could not be recorded", status_id)


async def _send(adapter: PushAdapter, message: PushMessage, devices: list[Device]) -> Delivery:
    if not devices:
        return Delivery()
    try:
        return await adapter.send(message, devices)
    except Exception as exc:  # noqa: BLE001 - an adapter's bug fails its batch, not the delivery loop
        log.exception("push %s: the push adapter failed", message.status_id)
        return Delivery(failed=devices, error=f"the push adapter failed: {type(exc).__name__}: {exc}")

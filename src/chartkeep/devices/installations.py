"""Installations: what the iOS, Android and JS SDKs save when an app starts (``_Installation``).

Parse's rules (Parse Server's ``RestWrite.handleInstallation``), kept here:

* A device creates and updates its own installation without a session. A save must name the
  device: ``installationId`` or ``deviceToken`` in the body, or the ``X-Parse-Installation-Id`` the
  SDK sends (135 ``at least one ID field (deviceToken, installationId) must be specified in this
  operation``); a new installation needs ``deviceType`` (135 ``deviceType must be specified in this
  operation``).
* ``installationId`` is stored lowercased, and so is a 64-character (iOS) ``deviceToken``.
* A ``POST`` for an installationId (or a device token) already stored updates that installation
  instead of making a second one: the answer is then 200 with ``updatedAt`` (and, in Chartkeep,
  the ``objectId``) instead of 201.
* An update by objectId may not change ``installationId`` or ``deviceType``, nor ``deviceToken``
  when neither side has an installationId (136 ``<field> may not be changed in this operation``);
  an unknown objectId is 101 ``Object not found for update.``
* A device token belongs to one device: when an installation takes a token, the other
  installations holding it (of the same ``appIdentifier``, when one is sent) are deleted — also when
  the body names no ``installationId``, where Parse leaves them; an installation imported with only
  a token is merged into the device's own one. A token shared by
  several installations with no ``installationId`` to tell them apart is 132 ``Must specify
  installationId when deviceToken matches multiple Installation objects``.
* Only the master key finds or deletes installations (access/system.py).

Chartkeep adds one rule: a client may set an installation's ``user`` only to itself (the session it
sends), so nobody can have a clinician's pushes sent to their own device (119).

Everything happens in one transaction through the write pipeline: the installation's create or
update, and each removed duplicate through ``commit.server_delete`` — all ledger entries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.core.hooks import Hooks, WriteEvent
from chartkeep.errors import Code, ParseError
from chartkeep.ledger import entries as ledger
from chartkeep.query.parse import parse_where
from chartkeep.query.sql import compile_select
from chartkeep.records import commit, writes
from chartkeep.schema.codec import infer_spec
from chartkeep.storage import rows
from chartkeep.storage.database import Conn, use
from chartkeep.storage.queries import locks

CLASS = "_Installation"
IDENTITY = ("installationId", "deviceToken", "deviceType")


@dataclass(slots=True)
class Plan:
    """What a save of an installation turns into: which stored installation it updates (None: a
    new one) and which other installations it removes, each with the reason."""

    target: str | None
    remove: list[tuple[str, str]] = field(default_factory=list)


def _delete_op(value: Any) -> bool:
    return isinstance(value, dict) and value.get("__op") == "Delete"


def _normalized(body: dict[str, Any]) -> dict[str, Any]:
    """The body with ``installationId`` lowercased, and a 64-character (APNs) ``deviceToken`` too;
    identity fields of another type refused with the schema's 111."""
    out = dict(body)
    for key in IDENTITY:
        value = out.get(key)
        if value is None or isinstance(value, str) or (key == "deviceToken" and _delete_op(value)):
            continue
        if _delete_op(value):
            raise ParseError(136, f"{key} may not be changed in this operation")
        got = infer_spec(value)
        raise ParseError(Code.INCORRECT_TYPE,
                         f"schema mismatch for {CLASS}.{key}; expected String but got {got.type if got else 'null'}")
    if isinstance(out.get("installationId"), str):
        out["installationId"] = out["installationId"].lower()
    token = out.get("deviceToken")
    if isinstance(token, str) and len(token) == 64:
        out["deviceToken"] = token.lower()
    return out


def _text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    return value if isinstance(value, str) and value else None


async def _matching(core: Core, conn: Conn, where: dict[str, Any]) -> list[dict[str, Any]]:
    """Stored installations matching ``where``, whatever their ACL, locked until the transaction ends."""
    schema = core.schema_or_404(CLASS)
    sql, params = compile_select(schema, parse_where(CLASS, where, core.registry), conn.dialect, for_update=True)
    return rows.decode_rows(schema, await conn.fetch(sql, params), conn)


async def plan(core: Core, ctx: RequestContext, conn: Conn, body: dict[str, Any], object_id: str | None) -> Plan:
    """Parse's decision for a save of ``body`` (create when ``object_id`` is None)."""
    token = _text(body, "deviceToken")
    sent_id = _text(body, "installationId")
    if object_id is None and not token and not sent_id and not ctx.installation_id:
        raise ParseError(135, "at least one ID field (deviceToken, installationId) must be specified in this operation")
    installation_id = sent_id or (None if ctx.is_master else (ctx.installation_id or "").lower() or None)
    if object_id is not None and not token and not installation_id and not body.get("deviceType"):
        return Plan(object_id)  # nothing that identifies the device changes
    alternatives: list[dict[str, Any]] = []
    if object_id is not None:
        alternatives.append({"objectId": object_id})
    if installation_id:
        alternatives.append({"installationId": installation_id})
    if token:
        alternatives.append({"deviceToken": token})
    if not alternatives:
        return Plan(None)
    for key in sorted({f"{k}:{v}" for alt in alternatives for k, v in alt.items()}):
        await locks.xact_lock(conn, f"chartkeep.installation:{key}")  # concurrent saves of one device take turns
    found = await _matching(core, conn, {"$or": alternatives})
    by_object = next((r for r in found if object_id is not None and r["objectId"] == object_id), None)
    by_installation = next((r for r in found if installation_id and r.get("installationId") == installation_id), None)
    by_token = [r for r in found if token and r.get("deviceToken") == token]

    matched: dict[str, Any] | None = None
    if object_id is not None:
        if by_object is None:
            raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found for update.")
        if sent_id and by_object.get("installationId") and sent_id != by_object["installationId"]:
            raise ParseError(136, "installationId may not be changed in this operation")
        if (token and by_object.get("deviceToken") and token != by_object["deviceToken"] and not sent_id
                and not by_object.get("installationId")):
            raise ParseError(136, "deviceToken may not be changed in this operation")
        if body.get("deviceType") and body["deviceType"] != by_object.get("deviceType"):
            raise ParseError(136, "deviceType may not be changed in this operation")
        matched = by_object
    if installation_id and by_installation is not None:
        matched = by_installation
    if object_id is None and not body.get("deviceType") and matched is None:
        raise ParseError(135, "deviceType must be specified in this operation")

    if matched is None:
        if not by_token or token is None:
            return Plan(None)
        if len(by_token) == 1 and (not by_token[0].get("installationId") or not installation_id):
            return Plan(by_token[0]["objectId"])  # an installation known only by its token: this device's
        if not sent_id:
            raise ParseError(132, "Must specify installationId when deviceToken matches multiple Installation objects")
        return Plan(None, await _token_holders(core, conn, body, token, {"installationId": {"$ne": installation_id}}))
    if len(by_token) == 1 and not by_token[0].get("installationId") and by_token[0]["objectId"] != matched["objectId"]:
        # the device's installation meets the one imported with only its token: keep that one
        why = f"merged into installation {by_token[0]['objectId']}, which holds its device token"
        return Plan(by_token[0]["objectId"], [(matched["objectId"], why)])
    out = Plan(matched["objectId"])
    if token and matched.get("deviceToken") != token:
        # the installation takes a token others hold: they are stale (Parse skips this when the body
        # names no installationId; Chartkeep keeps a token to one installation whatever the body says)
        other = {"installationId": {"$ne": sent_id}} if sent_id else {"objectId": {"$ne": matched["objectId"]}}
        out.remove = [(oid, why) for oid, why in await _token_holders(core, conn, body, token, other)
                      if oid != out.target]
    return out


async def _token_holders(core: Core, conn: Conn, body: dict[str, Any], token: str,
                         other: dict[str, Any]) -> list[tuple[str, str]]:
    """The other installations holding ``token`` (of the same app, when the body names one)."""
    where: dict[str, Any] = {"deviceToken": token, **other}
    if _text(body, "appIdentifier"):
        where["appIdentifier"] = body["appIdentifier"]
    return [(r["objectId"], "its device token was taken by another installation of the same device")
            for r in await _matching(core, conn, where)]


def _clean(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in ("objectId", "createdAt")}


async def _carry_out(core: Core, ctx: RequestContext, tx: Conn, found: Plan) -> None:
    for object_id, why in found.remove:
        await commit.server_delete(core, tx, ctx, CLASS, object_id, why=why)


async def save_new(core: Core, ctx: RequestContext, body: dict[str, Any], conn: Conn | None = None
                   ) -> tuple[dict[str, Any], bool]:
    """``POST /classes/_Installation`` (and ``/installations``): the reply and whether an
    installation was created (201) or the device's stored one updated (200)."""
    async with ledger.refusals(core, ctx, conn, "create", CLASS):
        body = _normalized(body)
        async with use(core.db, conn, write=True) as tx:
            found = await plan(core, ctx, tx, body, None)
            await _carry_out(core, ctx, tx, found)
            if found.target is None:
                return await writes.create(core, ctx, CLASS, body, tx), True
            reply = await writes.update(core, ctx, CLASS, found.target, _clean(body), tx)
    return {"objectId": found.target, **reply}, False


async def save(core: Core, ctx: RequestContext, object_id: str, body: dict[str, Any],
               conn: Conn | None = None) -> dict[str, Any]:
    """``PUT /classes/_Installation/<id>`` (and ``/installations/<id>``)."""
    async with ledger.refusals(core, ctx, conn, "update", CLASS, object_id):
        body = _normalized(body)
        async with use(core.db, conn, write=True) as tx:
            found = await plan(core, ctx, tx, body, object_id)
            await _carry_out(core, ctx, tx, found)
            return await writes.update(core, ctx, CLASS, found.target or object_id, _clean(body), tx)


# ---- an installation's user is the device's signed-in user ----------------------------------------


async def _own_user_only(core: Core, event: WriteEvent) -> None:
    if event.ctx.is_master or "user" not in event.body:
        return
    value = event.body["user"]
    if value is None or _delete_op(value):
        return
    own = (isinstance(value, dict) and value.get("__type") == "Pointer" and value.get("className") == "_User"
           and event.ctx.user_id is not None and value.get("objectId") == event.ctx.user_id)
    if not own:
        raise ParseError(Code.OPERATION_FORBIDDEN, "An installation's user can only be the signed-in user.")


def register(hooks: Hooks[Core]) -> None:
    hooks.add("before_save", CLASS, _own_user_only)
